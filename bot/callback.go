package bot

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"hash"
	"strconv"
	"strings"
	"sync"
)

// Callback data is signed so a client cannot forge a button the bot never
// sent (another agency's record, an admin's approval): "payload~signature",
// the signature being the first 8 bytes of HMAC-SHA256 in base64url.
// Telegram limits callback data to 64 bytes, so payloads stay short.

const sigLen = 11 // base64url of 8 bytes, unpadded

// The protocol of buttons: a payload is a prefix naming the handler
// (onCallback routes on it), then that handler's action and arguments, all
// joined by "|". These strings are on buttons already sent and still in
// people's chats: a value here never changes, or every such button goes
// stale. A new meaning takes a new name.
const (
	cbFlow     = "f"    // f|<session>|<seq>|<flow action>|<arg>: a flow's step or review
	cbRole     = "role" // role|<roleLiaison or roleVendor>: a newcomer's choice
	cbLanguage = "lang" // lang|<language>
	cbLiaison  = "lr"   // lr|<lrApprove or lrReject>|<request>: an admin's decision
	cbInvite   = "inv"  // inv|<agency, or inviteCancel>: an admin's invite link
	cbRecord   = "rec"  // rec|<record action>|<record, or list offset>[|<field>]
	cbRegister = "reg"  // reg: register another placement
	cbAgency   = "ag"   // ag|agAdd, ag|agRename|<agency>
	cbOffer    = "of"   // of|<offer action>|<stall request>
	cbMarket   = "mk"   // mk|<market action>|<market>
	cbStall    = "st"   // st|stallCancel|<stall request>
	cbCheck    = "ck"   // ck|<flow>: a verifier's or inspector's next record
	cbContest  = "ct"   // ct|<contest action>|<record>: a liaison's contest, an admin's decision
)

// A flow button's action, cbFlow's fourth part.
const (
	flowChoice   = "c"  // arg: the choice's value
	flowShortcut = "s"  // arg: the shortcut's index under a text step
	flowEdit     = "e"  // arg: the step to edit from the review
	flowConfirm  = "ok" // save the reviewed answers
	flowBack     = "b"
	flowCancel   = "x"
)

// A record's action, cbRecord's second part.
const (
	recOpen     = "open"  // the record's card
	recList     = "list"  // a page of the agency's records; the argument is the offset
	recFix      = "fix"   // choose the field to correct
	recField    = "field" // correct the field named by the fourth part
	recWithdraw = "wd"
)

// The actions of the other prefixes.
const (
	roleLiaison = "liaison" // also the name of the flow started
	roleVendor  = "stall"   // also the name of the flow started

	lrApprove = "a"
	lrReject  = "r"

	inviteCancel = "x" // no link after all

	agAdd    = "add"
	agRename = "ren"

	offerAccept  = "a" // also names the catalogue's "stall.answer.a"
	offerDecline = "d" // and "stall.answer.d"
	offerAsk     = "q" // ask to confirm a decline
	offerKeep    = "k" // not declining after all: the offer again

	mkAllocate = "al"
	mkExport   = "ex"
	mkEdit     = "ed"
	mkList     = "ls" // the argument is the list's offset
	mkOpen     = "op"

	stallCancel = "x"

	ctStart    = "c" // a liaison contests a rejection
	ctUphold   = "u" // an admin keeps the rejection
	ctOverturn = "o" // an admin finds the job exists
)

// parseID reads the id of a row (a record, an agency, a market, a
// request) from a button or a session's data. Ids are positive: a
// malformed or zero id is an error, for the caller to answer as a stale
// button or a domain error, never a row to act on.
func parseID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("malformed id %q", s)
	}
	return id, nil
}

// signer signs with a pool of keyed HMACs: every prompt signs a button per
// choice, and a new HMAC per button was a twentieth of a reply's allocations.
type signer struct{ macs *sync.Pool }

func newSigner(key []byte) signer {
	return signer{&sync.Pool{New: func() any { return hmac.New(sha256.New, key) }}}
}

func (s signer) sign(parts ...string) string {
	payload := strings.Join(parts, "|")
	data := payload + "~" + s.mac(payload)
	if len(data) > 64 {
		// A programming error: a flow declared a value too long for a button.
		panic(fmt.Sprintf("callback data over 64 bytes: %q", payload))
	}
	return data
}

func (s signer) mac(payload string) string {
	m := s.macs.Get().(hash.Hash)
	defer s.macs.Put(m)
	m.Reset()
	m.Write([]byte(payload))
	var sum [sha256.Size]byte
	return base64.RawURLEncoding.EncodeToString(m.Sum(sum[:0])[:8])
}

// verify returns the payload's parts, or ok=false for data the bot did not sign.
func (s signer) verify(data string) (parts []string, ok bool) {
	i := strings.LastIndexByte(data, '~')
	if i < 0 || len(data)-i-1 != sigLen {
		return nil, false
	}
	payload, sig := data[:i], data[i+1:]
	if !hmac.Equal([]byte(sig), []byte(s.mac(payload))) {
		return nil, false
	}
	return strings.Split(payload, "|"), true
}
