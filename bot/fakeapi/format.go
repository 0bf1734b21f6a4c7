package fakeapi

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Text limits, counted in UTF-16 code units after entity parsing, as
// Telegram does (an emoji outside the BMP counts twice).
const (
	maxTextLen    = 4096
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

// renderText validates text for parse_mode and returns what the user sees
// (markup removed, entities decoded). Parse errors use Telegram's wording
// so a bot that escapes user input badly fails here as it would in
// production.
func renderText(text, parseMode string) (string, *apiError) {
	if !utf8.ValidString(text) {
		return "", badRequest("text must be encoded in UTF-8")
	}
	var (
		plain string
		err   error
	)
	switch strings.ToLower(parseMode) {
	case "":
		return text, nil
	case "html":
		plain, err = parseHTML(text)
	case "markdownv2":
		plain, err = parseMarkdownV2(text)
	case "markdown":
		plain, err = parseMarkdown(text)
	default:
		return "", badRequest("unsupported parse_mode")
	}
	if err != nil {
		return "", badRequest("can't parse entities: %v", err)
	}
	return plain, nil
}

// htmlTags are the tags the Bot API accepts with parse_mode=HTML.
var htmlTags = map[string]bool{
	"b": true, "strong": true, "i": true, "em": true, "u": true, "ins": true,
	"s": true, "strike": true, "del": true, "span": true, "tg-spoiler": true,
	"a": true, "code": true, "pre": true, "tg-emoji": true, "blockquote": true,
}

func parseHTML(s string) (string, error) {
	var out strings.Builder
	var stack []string
	for i := 0; i < len(s); {
		switch s[i] {
		case '&':
			if r, n := decodeHTMLEntity(s[i:]); n > 0 {
				out.WriteRune(r)
				i += n
				continue
			}
			out.WriteByte('&')
			i++
		case '<':
			if i+1 < len(s) && s[i+1] == '/' {
				end := strings.IndexByte(s[i:], '>')
				if end < 0 {
					return "", fmt.Errorf("Unclosed end tag at byte offset %d", i)
				}
				name := strings.ToLower(strings.TrimSpace(s[i+2 : i+end]))
				if len(stack) == 0 {
					return "", fmt.Errorf("Unexpected end tag at byte offset %d", i)
				}
				if top := stack[len(stack)-1]; name != top {
					return "", fmt.Errorf("Unmatched end tag at byte offset %d, expected \"</%s>\", found \"</%s>\"", i, top, name)
				}
				stack = stack[:len(stack)-1]
				i += end + 1
				continue
			}
			j := i + 1
			for j < len(s) && (isASCIIAlnum(s[j]) || s[j] == '-') {
				j++
			}
			name := strings.ToLower(s[i+1 : j])
			if !htmlTags[name] {
				return "", fmt.Errorf("Unsupported start tag \"%s\" at byte offset %d", name, i)
			}
			end := tagEnd(s, j)
			if end < 0 {
				return "", fmt.Errorf("Unclosed start tag at byte offset %d", i)
			}
			if name == "span" && !strings.Contains(s[j:end], "tg-spoiler") {
				return "", fmt.Errorf("Tag \"span\" must have class \"tg-spoiler\" at byte offset %d", i)
			}
			stack = append(stack, name)
			i = end + 1
		default:
			out.WriteByte(s[i])
			i++
		}
	}
	if len(stack) > 0 {
		return "", fmt.Errorf("Can't find end tag corresponding to start tag \"%s\"", stack[len(stack)-1])
	}
	return out.String(), nil
}

// tagEnd finds the '>' closing a start tag, skipping quoted attribute values.
func tagEnd(s string, from int) int {
	var quote byte
	for k := from; k < len(s); k++ {
		c := s[k]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return k
		}
	}
	return -1
}

// decodeHTMLEntity decodes the entities the Bot API supports: &lt; &gt;
// &amp; &quot; and numeric ones. Anything else is left as literal text.
var namedEntities = []struct {
	name string
	r    rune
}{{"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}, {"&quot;", '"'}}

func decodeHTMLEntity(s string) (rune, int) {
	for _, e := range namedEntities {
		if strings.HasPrefix(s, e.name) {
			return e.r, len(e.name)
		}
	}
	if !strings.HasPrefix(s, "&#") {
		return 0, 0
	}
	semi := strings.IndexByte(s, ';')
	if semi < 3 || semi > 12 {
		return 0, 0
	}
	num := s[2:semi]
	base := 10
	if num[0] == 'x' || num[0] == 'X' {
		num, base = num[1:], 16
	}
	v, err := strconv.ParseUint(num, base, 32)
	if err != nil || v == 0 || v > utf8.MaxRune {
		return 0, 0
	}
	return rune(v), semi + 1
}

func isASCIIAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// parseMarkdown handles the legacy "Markdown" mode: _italic_, *bold*,
// `code`, ```pre```, [text](url); only _ * ` [ can be escaped.
func parseMarkdown(s string) (string, error) {
	var out strings.Builder
	unclosed := func(i int) error {
		return fmt.Errorf("Can't find end of the entity starting at byte offset %d", i)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) && strings.IndexByte("_*`[", s[i+1]) >= 0 {
			out.WriteByte(s[i+1])
			i++
			continue
		}
		switch c {
		case '_', '*':
			end := strings.IndexByte(s[i+1:], c)
			if end < 0 {
				return "", unclosed(i)
			}
			out.WriteString(s[i+1 : i+1+end])
			i += end + 1
		case '`':
			if strings.HasPrefix(s[i:], "```") {
				end := strings.Index(s[i+3:], "```")
				if end < 0 {
					return "", unclosed(i)
				}
				out.WriteString(stripPreLanguage(s[i+3 : i+3+end]))
				i += end + 5
				continue
			}
			end := strings.IndexByte(s[i+1:], '`')
			if end < 0 {
				return "", unclosed(i)
			}
			out.WriteString(s[i+1 : i+1+end])
			i += end + 1
		case '[':
			end := strings.IndexByte(s[i+1:], ']')
			if end < 0 {
				return "", unclosed(i)
			}
			out.WriteString(s[i+1 : i+1+end])
			i += end + 1
			if i+1 < len(s) && s[i+1] == '(' {
				closeURL := strings.IndexByte(s[i+1:], ')')
				if closeURL < 0 {
					return "", unclosed(i + 1)
				}
				i += closeURL + 1
			}
		default:
			out.WriteByte(c)
		}
	}
	return out.String(), nil
}

// stripPreLanguage drops a leading "language\n" line of a pre block.
func stripPreLanguage(s string) string {
	nl := strings.IndexByte(s, '\n')
	if nl < 0 || strings.ContainsAny(s[:nl], " \t") {
		return s
	}
	return s[nl+1:]
}

const markdownV2Reserved = "_*[]()~`>#+-=|{}.!"

// parseMarkdownV2 implements the MarkdownV2 rules that matter in practice:
// every reserved character outside an entity must be escaped with '\'
// (the classic "Character '.' is reserved" failure), and entities must be
// closed and properly nested.
func parseMarkdownV2(s string) (string, error) {
	type open struct {
		kind string
		off  int
	}
	var (
		out       strings.Builder
		stack     []open
		lineStart = true
	)
	top := func() string {
		if len(stack) == 0 {
			return ""
		}
		return stack[len(stack)-1].kind
	}
	toggle := func(kind string, off int) error {
		for k := len(stack) - 1; k >= 0; k-- {
			if stack[k].kind != kind {
				continue
			}
			if k != len(stack)-1 {
				t := stack[len(stack)-1]
				return fmt.Errorf("Can't find end of %s entity at byte offset %d", t.kind, t.off)
			}
			stack = stack[:k]
			return nil
		}
		stack = append(stack, open{kind, off})
		return nil
	}
	reserved := func(c byte) error {
		return fmt.Errorf("Character '%c' is reserved and must be escaped with the preceding '\\'", c)
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c == '\\' && i+1 < len(s) && s[i+1] > 0 && s[i+1] <= 126 {
			out.WriteByte(s[i+1])
			i += 2
			lineStart = false
			continue
		}
		switch top() {
		case "Code":
			if c == '`' {
				stack = stack[:len(stack)-1]
			} else {
				out.WriteByte(c)
			}
			i++
			continue
		case "Pre":
			if strings.HasPrefix(s[i:], "```") {
				stack = stack[:len(stack)-1]
				i += 3
			} else {
				out.WriteByte(c)
				i++
			}
			continue
		}
		if strings.IndexByte(markdownV2Reserved, c) < 0 {
			out.WriteByte(c)
			lineStart = c == '\n'
			i++
			continue
		}
		var err error
		switch c {
		case '>':
			if !lineStart {
				return "", reserved(c)
			}
			i++ // blockquote marker
		case '*':
			if lineStart && strings.HasPrefix(s[i:], "**>") {
				i += 3 // expandable blockquote
				break
			}
			err = toggle("Bold", i)
			i++
		case '_':
			if strings.HasPrefix(s[i:], "__") {
				err = toggle("Underline", i)
				i += 2
			} else {
				err = toggle("Italic", i)
				i++
			}
		case '~':
			err = toggle("Strikethrough", i)
			i++
		case '|':
			if !strings.HasPrefix(s[i:], "||") {
				return "", reserved(c)
			}
			// "||" closing an expandable blockquote at the end of a line.
			if top() != "Spoiler" && (i+2 == len(s) || s[i+2] == '\n') {
				i += 2
				break
			}
			err = toggle("Spoiler", i)
			i += 2
		case '`':
			if strings.HasPrefix(s[i:], "```") {
				stack = append(stack, open{"Pre", i})
				i += 3
				if nl := strings.IndexByte(s[i:], '\n'); nl >= 0 && !strings.ContainsAny(s[i:i+nl], " \t") {
					i += nl + 1 // language line
				}
			} else {
				stack = append(stack, open{"Code", i})
				i++
			}
		case '[':
			stack = append(stack, open{"TextUrl", i})
			i++
		case '!':
			if !strings.HasPrefix(s[i:], "![") {
				return "", reserved(c)
			}
			stack = append(stack, open{"CustomEmoji", i})
			i += 2
		case ']':
			if t := top(); t != "TextUrl" && t != "CustomEmoji" {
				return "", reserved(c)
			}
			stack = stack[:len(stack)-1]
			i++
			if i < len(s) && s[i] == '(' {
				j := i + 1
				for ; j < len(s) && s[j] != ')'; j++ {
					if s[j] == '\\' {
						j++
					}
				}
				if j >= len(s) {
					return "", fmt.Errorf("Can't find end of a URL at byte offset %d", i)
				}
				i = j + 1
			}
		default: // ( ) # + - = { } .
			return "", reserved(c)
		}
		if err != nil {
			return "", err
		}
		lineStart = false
	}
	if len(stack) > 0 {
		t := stack[len(stack)-1]
		return "", fmt.Errorf("Can't find end of %s entity at byte offset %d", t.kind, t.off)
	}
	return out.String(), nil
}
