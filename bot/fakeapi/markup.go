package fakeapi

import (
	"bytes"
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"
)

// markup is a parsed reply_markup. At most one field is set.
type markup struct {
	inline     *tgInlineKeyboard // nil when there are no buttons
	reply      *tgReplyKeyboard
	remove     bool
	forceReply bool
}

// inlineActionKeys are the fields that make an inline button do something;
// a button with none of them is a "text button", which Telegram refuses.
var inlineActionKeys = []string{
	"url", "callback_data", "login_url", "switch_inline_query",
	"switch_inline_query_current_chat", "switch_inline_query_chosen_chat",
	"callback_game", "pay", "web_app", "copy_text",
}

const maxInlineButtons = 100

// parseMarkup parses and validates reply_markup. inlineOnly is set for
// edit methods, which accept nothing but an inline keyboard.
func parseMarkup(raw string, inlineOnly bool) (*markup, *apiError) {
	if strings.TrimSpace(raw) == "" {
		return nil, nil
	}
	if rows, ok := scanInlineMarkup(raw); ok {
		kb, err := inlineKeyboard(rows, func(b scannedButton) (tgInlineButton, *apiError) {
			return checkInlineButton(b.btn, b.hasAction)
		})
		if err != nil {
			return nil, err
		}
		return &markup{inline: kb}, nil
	}
	return decodeMarkup(raw, inlineOnly)
}

// decodeMarkup is parseMarkup for any JSON.
func decodeMarkup(raw string, inlineOnly bool) (*markup, *apiError) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &probe); err != nil {
		return nil, badRequest("can't parse reply keyboard markup JSON object")
	}
	if rowsRaw, ok := probe["inline_keyboard"]; ok {
		kb, err := parseInlineKeyboard(rowsRaw)
		if err != nil {
			return nil, err
		}
		return &markup{inline: kb}, nil
	}
	if inlineOnly {
		return nil, badRequest("inline keyboard expected")
	}
	if rowsRaw, ok := probe["keyboard"]; ok {
		kb, err := parseReplyKeyboard(rowsRaw)
		if err != nil {
			return nil, err
		}
		return &markup{reply: kb}, nil
	}
	if v, ok := probe["remove_keyboard"]; ok {
		if string(bytes.TrimSpace(v)) != "true" {
			return nil, badRequest("remove_keyboard must be true")
		}
		return &markup{remove: true}, nil
	}
	if v, ok := probe["force_reply"]; ok {
		if string(bytes.TrimSpace(v)) != "true" {
			return nil, badRequest("force_reply must be true")
		}
		return &markup{forceReply: true}, nil
	}
	return nil, badRequest("can't parse reply keyboard markup JSON object")
}

func parseInlineKeyboard(rowsRaw json.RawMessage) (*tgInlineKeyboard, *apiError) {
	var rows [][]json.RawMessage
	if err := json.Unmarshal(rowsRaw, &rows); err != nil {
		return nil, badRequest("field \"inline_keyboard\" of the InlineKeyboardMarkup should be an Array of Arrays")
	}
	return inlineKeyboard(rows, parseInlineButton)
}

// inlineKeyboard builds the keyboard from rows of buttons, each made and
// checked by button in order: the first failing button's error wins.
// Empty rows are dropped; no buttons at all is no keyboard.
func inlineKeyboard[B any](rows [][]B, button func(B) (tgInlineButton, *apiError)) (*tgInlineKeyboard, *apiError) {
	kb := &tgInlineKeyboard{InlineKeyboard: [][]tgInlineButton{}}
	total := 0
	for _, row := range rows {
		if len(row) == 0 {
			continue
		}
		out := make([]tgInlineButton, 0, len(row))
		for _, b := range row {
			btn, err := button(b)
			if err != nil {
				return nil, err
			}
			out = append(out, btn)
			total++
		}
		kb.InlineKeyboard = append(kb.InlineKeyboard, out)
	}
	if total > maxInlineButtons {
		return nil, badRequest("reply markup is too long")
	}
	if total == 0 {
		return nil, nil
	}
	return kb, nil
}

func parseInlineButton(raw json.RawMessage) (tgInlineButton, *apiError) {
	var btn tgInlineButton
	var fields map[string]json.RawMessage
	if json.Unmarshal(raw, &fields) != nil || json.Unmarshal(raw, &btn) != nil {
		return btn, badRequest("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
	}
	hasAction := false
	for _, k := range inlineActionKeys {
		if _, ok := fields[k]; ok {
			hasAction = true
		}
	}
	return checkInlineButton(btn, hasAction)
}

// checkInlineButton validates a decoded button; hasAction tells whether
// its JSON had one of inlineActionKeys (present, even if null).
func checkInlineButton(btn tgInlineButton, hasAction bool) (tgInlineButton, *apiError) {
	if btn.Text == "" {
		return btn, badRequest("can't parse inline keyboard button: Text must be non-empty")
	}
	if !hasAction {
		return btn, badRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
	}
	if btn.CallbackData != nil {
		if n := len(*btn.CallbackData); n < 1 || n > 64 {
			return btn, badRequest("BUTTON_DATA_INVALID")
		}
	}
	if btn.URL != nil {
		u, err := url.Parse(*btn.URL)
		if err != nil || u.Scheme == "" || (u.Host == "" && u.Opaque == "" && u.Scheme != "tg") {
			return btn, badRequest("BUTTON_URL_INVALID")
		}
	}
	return btn, nil
}

// parseReplyKeyboard reads the rows of a reply keyboard: buttons as
// objects or, as Telegram also accepts, plain strings.
func parseReplyKeyboard(rowsRaw json.RawMessage) (*tgReplyKeyboard, *apiError) {
	var kb tgReplyKeyboard
	var rows [][]json.RawMessage
	if err := json.Unmarshal(rowsRaw, &rows); err != nil {
		return nil, badRequest("field \"keyboard\" of the ReplyKeyboardMarkup should be an Array of Arrays")
	}
	for _, row := range rows {
		if len(row) == 0 {
			continue
		}
		out := make([]tgKeyboardButton, 0, len(row))
		for _, b := range row {
			var btn tgKeyboardButton
			var text string
			if json.Unmarshal(b, &text) == nil {
				btn.Text = text
			} else if err := json.Unmarshal(b, &btn); err != nil {
				return nil, badRequest("can't parse keyboard button: KeyboardButton must be a String or an Object")
			}
			if btn.Text == "" {
				return nil, badRequest("can't parse keyboard button: Text must be non-empty")
			}
			out = append(out, btn)
		}
		kb.Keyboard = append(kb.Keyboard, out)
	}
	if len(kb.Keyboard) == 0 {
		return nil, badRequest("keyboard must be non-empty")
	}
	return &kb, nil
}

// sameInline reports whether two inline keyboards are identical, for the
// "message is not modified" check: whether they encode to the same JSON,
// found field by field without encoding them. Equal strings encode alike
// and, being valid UTF-8 (they come from decoded JSON), different ones
// differently.
func sameInline(a, b *tgInlineKeyboard) bool {
	if a == nil || b == nil {
		return a == b // a keyboard never encodes as null
	}
	if len(a.InlineKeyboard) != len(b.InlineKeyboard) || (a.InlineKeyboard == nil) != (b.InlineKeyboard == nil) {
		return false
	}
	for i, ra := range a.InlineKeyboard {
		rb := b.InlineKeyboard[i]
		if len(ra) != len(rb) || (ra == nil) != (rb == nil) {
			return false
		}
		for j := range ra {
			x, y := &ra[j], &rb[j]
			if x.Text != y.Text || !sameString(x.URL, y.URL) || !sameString(x.CallbackData, y.CallbackData) {
				return false
			}
		}
	}
	return true
}

func sameString(a, b *string) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// scannedButton is a button read by scanInlineMarkup.
type scannedButton struct {
	btn       tgInlineButton
	hasAction bool
}

// scanInlineMarkup is parseMarkup's fast path for what bots nearly always
// send, an inline keyboard of buttons with text, callback_data and url:
// {"inline_keyboard":[[{"text":"…","callback_data":"…"}]]}. It reads the
// JSON once, without reflection, and gives up (ok false) on anything else
// — other keys, a key twice, strings with escapes or invalid UTF-8 —
// which the general path then decodes. So both paths agree on every
// input, errors included: what it accepts is valid JSON that the general
// path decodes into the same buttons.
func scanInlineMarkup(raw string) (rows [][]scannedButton, ok bool) {
	sc := &jsonScanner{s: raw}
	if !sc.eat('{') || sc.str() != "inline_keyboard" || !sc.ok || !sc.eat(':') {
		return nil, false
	}
	rows, ok = scanArray(sc, func(sc *jsonScanner) ([]scannedButton, bool) {
		return scanArray(sc, (*jsonScanner).button)
	})
	if !ok || !sc.eat('}') {
		return nil, false
	}
	sc.space()
	return rows, sc.i == len(sc.s)
}

// scanArray reads [ item, ... ].
func scanArray[T any](sc *jsonScanner, item func(*jsonScanner) (T, bool)) ([]T, bool) {
	if !sc.eat('[') {
		return nil, false
	}
	out := []T{}
	if sc.eat(']') {
		return out, true
	}
	for {
		v, ok := item(sc)
		if !ok {
			return nil, false
		}
		out = append(out, v)
		if !sc.eat(',') {
			return out, sc.eat(']')
		}
	}
}

// button reads {"text":"…","callback_data":"…","url":"…"}, every key
// optional, in any order.
func (sc *jsonScanner) button() (scannedButton, bool) {
	var b scannedButton
	if !sc.eat('{') {
		return b, false
	}
	if sc.eat('}') {
		return b, true
	}
	var seen [3]bool
	for {
		key := sc.str()
		if !sc.ok || !sc.eat(':') {
			return b, false
		}
		val := sc.str()
		if !sc.ok {
			return b, false
		}
		var k int
		switch key {
		case "text":
			k, b.btn.Text = 0, val
		case "callback_data":
			k, b.btn.CallbackData, b.hasAction = 1, &val, true
		case "url":
			k, b.btn.URL, b.hasAction = 2, &val, true
		default:
			return b, false
		}
		if seen[k] {
			return b, false
		}
		seen[k] = true
		if sc.eat(',') {
			continue
		}
		return b, sc.eat('}')
	}
}

// jsonScanner reads the few JSON tokens scanInlineMarkup accepts.
type jsonScanner struct {
	s  string
	i  int
	ok bool // the last str succeeded
}

func (sc *jsonScanner) space() {
	for sc.i < len(sc.s) {
		switch sc.s[sc.i] {
		case ' ', '\t', '\n', '\r':
			sc.i++
		default:
			return
		}
	}
}

// eat skips white space and then c, reporting whether c was there.
func (sc *jsonScanner) eat(c byte) bool {
	sc.space()
	if sc.i < len(sc.s) && sc.s[sc.i] == c {
		sc.i++
		return true
	}
	return false
}

// str reads a string with neither escapes nor control characters, in
// valid UTF-8: one that decodes to its bytes. sc.ok tells whether it did.
func (sc *jsonScanner) str() string {
	sc.ok = false
	if !sc.eat('"') {
		return ""
	}
	start := sc.i
	for ; sc.i < len(sc.s); sc.i++ {
		switch c := sc.s[sc.i]; {
		case c == '"':
			v := sc.s[start:sc.i]
			sc.i++
			sc.ok = utf8.ValidString(v)
			return v
		case c == '\\' || c < 0x20:
			return ""
		}
	}
	return ""
}

var commandNameRE = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)
