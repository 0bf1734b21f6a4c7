package fakeapi

import "unicode/utf8"

// Text limits, counted in UTF-16 code units, as
// Telegram does (an emoji outside the BMP counts twice). MaxTextLen is
// also what a client lets a user send.
const (
	MaxTextLen    = 4096
	maxCaptionLen = 1024
)

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// renderText validates text as the Bot API does and returns what the user
// sees. Rasad never sets parse_mode, so the server renders no markup: a
// request with one is refused, so that a bot starting to use it is noticed
// here rather than shown its markup as plain text.
func renderText(text, parseMode string) (string, *apiError) {
	if !utf8.ValidString(text) {
		return "", badRequest("text must be encoded in UTF-8")
	}
	if parseMode != "" {
		return "", badRequest("unsupported parse_mode")
	}
	return text, nil
}
