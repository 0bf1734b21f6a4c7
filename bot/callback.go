package bot

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"hash"
	"strings"
	"sync"
)

// Callback data is signed so a client cannot forge a button the bot never
// sent (another agency's record, an admin's approval): "payload~signature",
// the signature being the first 8 bytes of HMAC-SHA256 in base64url.
// Telegram limits callback data to 64 bytes, so payloads stay short.

const sigLen = 11 // base64url of 8 bytes, unpadded

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
