package fakeapi

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"sync"
	"unicode/utf8"
)

// Encoding updates and messages without reflection: the server encodes a
// message or two per update, thousands a second under the load test. The
// append functions below write exactly what json.Marshal writes for the
// structs of wire.go (same order, omitempty, escaping), every field of
// them: TestEncodeAsMarshal checks both, field by field.

// marshalUpdate is json.Marshal(upd).
func marshalUpdate(upd *tgUpdate) []byte {
	scratch := scratchPool.Get().(*[]byte)
	defer scratchPool.Put(scratch)
	b := appendUpdate((*scratch)[:0], upd)
	*scratch = b[:0]      // grown for the next one
	return bytes.Clone(b) // kept: of its own size
}

var scratchPool = sync.Pool{New: func() any { return new([]byte) }}

func appendUpdate(b []byte, u *tgUpdate) []byte {
	b = strconv.AppendInt(append(b, `{"update_id":`...), int64(u.UpdateID), 10)
	if u.Message != nil {
		b = appendMessage(append(b, `,"message":`...), u.Message)
	}
	if u.CallbackQuery != nil {
		b = appendCallbackQuery(append(b, `,"callback_query":`...), u.CallbackQuery)
	}
	return append(b, '}')
}

func appendCallbackQuery(b []byte, q *tgCallbackQuery) []byte {
	b = appendString(append(b, `{"id":`...), q.ID)
	b = appendAccountOrNull(append(b, `,"from":`...), q.From)
	if q.Message != nil {
		b = appendMessage(append(b, `,"message":`...), q.Message)
	}
	b = appendString(append(b, `,"chat_instance":`...), q.ChatInstance)
	b = appendStringField(b, `,"data":`, q.Data)
	return append(b, '}')
}

func appendMessage(b []byte, m *tgMessage) []byte {
	b = strconv.AppendInt(append(b, `{"message_id":`...), int64(m.MessageID), 10)
	if m.From != nil {
		b = appendAccount(append(b, `,"from":`...), m.From)
	}
	b = strconv.AppendInt(append(b, `,"date":`...), m.Date, 10)
	b = append(b, `,"chat":`...)
	if m.Chat == nil {
		b = append(b, "null"...)
	} else {
		b = appendChat(b, m.Chat)
	}
	if m.ReplyToMessage != nil {
		b = appendMessage(append(b, `,"reply_to_message":`...), m.ReplyToMessage)
	}
	b = appendIntField(b, `,"edit_date":`, m.EditDate)
	b = appendStringField(b, `,"text":`, m.Text)
	b = appendListField(b, `,"entities":`, m.Entities, appendEntity)
	if d := m.Document; d != nil {
		b = appendFileIDs(append(b, `,"document":`...), d.FileID, d.FileUniqueID)
		b = appendStringField(b, `,"file_name":`, d.FileName)
		b = appendStringField(b, `,"mime_type":`, d.MimeType)
		b = append(appendIntField(b, `,"file_size":`, int64(d.FileSize)), '}')
	}
	b = appendListField(b, `,"photo":`, m.Photo, appendPhotoSize)
	if s := m.Sticker; s != nil {
		b = appendFileIDs(append(b, `,"sticker":`...), s.FileID, s.FileUniqueID)
		b = appendString(append(b, `,"type":`...), s.Type)
		b = strconv.AppendInt(append(b, `,"width":`...), int64(s.Width), 10)
		b = strconv.AppendInt(append(b, `,"height":`...), int64(s.Height), 10)
		b = strconv.AppendBool(append(b, `,"is_animated":`...), s.IsAnimated)
		b = strconv.AppendBool(append(b, `,"is_video":`...), s.IsVideo)
		b = appendStringField(b, `,"emoji":`, s.Emoji)
		b = append(appendIntField(b, `,"file_size":`, int64(s.FileSize)), '}')
	}
	if v := m.Voice; v != nil {
		b = appendFileIDs(append(b, `,"voice":`...), v.FileID, v.FileUniqueID)
		b = strconv.AppendInt(append(b, `,"duration":`...), int64(v.Duration), 10)
		b = appendStringField(b, `,"mime_type":`, v.MimeType)
		b = append(appendIntField(b, `,"file_size":`, int64(v.FileSize)), '}')
	}
	b = appendStringField(b, `,"caption":`, m.Caption)
	if c := m.Contact; c != nil {
		b = appendString(append(b, `,"contact":{"phone_number":`...), c.PhoneNumber)
		b = appendString(append(b, `,"first_name":`...), c.FirstName)
		b = appendStringField(b, `,"last_name":`, c.LastName)
		b = append(appendIntField(b, `,"user_id":`, c.UserID), '}')
	}
	if l := m.Location; l != nil {
		b = appendFloat(append(b, `,"location":{"latitude":`...), l.Latitude)
		b = append(appendFloat(append(b, `,"longitude":`...), l.Longitude), '}')
	}
	if m.ReplyMarkup != nil {
		b = appendInlineKeyboard(append(b, `,"reply_markup":`...), m.ReplyMarkup)
	}
	return append(b, '}')
}

func appendAccountOrNull(b []byte, a *Account) []byte {
	if a == nil {
		return append(b, "null"...)
	}
	return appendAccount(b, a)
}

func appendAccount(b []byte, a *Account) []byte {
	b = strconv.AppendInt(append(b, `{"id":`...), a.ID, 10)
	b = strconv.AppendBool(append(b, `,"is_bot":`...), a.IsBot)
	b = appendString(append(b, `,"first_name":`...), a.FirstName)
	b = appendStringField(b, `,"last_name":`, a.LastName)
	b = appendStringField(b, `,"username":`, a.UserName)
	b = appendStringField(b, `,"language_code":`, a.LanguageCode)
	b = appendBoolField(b, `,"can_join_groups":true`, a.CanJoinGroups)
	return append(b, '}')
}

func appendChat(b []byte, c *tgChat) []byte {
	b = strconv.AppendInt(append(b, `{"id":`...), c.ID, 10)
	b = appendString(append(b, `,"type":`...), c.Type)
	b = appendStringField(b, `,"title":`, c.Title)
	b = appendStringField(b, `,"first_name":`, c.FirstName)
	return append(b, '}')
}

func appendEntity(b []byte, e *tgEntity) []byte {
	b = appendString(append(b, `{"type":`...), e.Type)
	b = strconv.AppendInt(append(b, `,"offset":`...), int64(e.Offset), 10)
	b = strconv.AppendInt(append(b, `,"length":`...), int64(e.Length), 10)
	return append(b, '}')
}

// appendFileIDs opens a file object with the two ids every one starts with.
func appendFileIDs(b []byte, id, uniqueID string) []byte {
	b = appendString(append(b, `{"file_id":`...), id)
	return appendString(append(b, `,"file_unique_id":`...), uniqueID)
}

func appendPhotoSize(b []byte, p *tgPhotoSize) []byte {
	b = appendFileIDs(b, p.FileID, p.FileUniqueID)
	b = strconv.AppendInt(append(b, `,"width":`...), int64(p.Width), 10)
	b = strconv.AppendInt(append(b, `,"height":`...), int64(p.Height), 10)
	return append(appendIntField(b, `,"file_size":`, int64(p.FileSize)), '}')
}

func appendInlineKeyboard(b []byte, kb *tgInlineKeyboard) []byte {
	b = append(b, `{"inline_keyboard":`...)
	if kb.InlineKeyboard == nil {
		return append(b, "null}"...)
	}
	b = append(b, '[')
	for i, row := range kb.InlineKeyboard {
		if i > 0 {
			b = append(b, ',')
		}
		if row == nil {
			b = append(b, "null"...)
			continue
		}
		b = append(b, '[')
		for j := range row {
			btn := &row[j]
			if j > 0 {
				b = append(b, ',')
			}
			b = appendString(append(b, `{"text":`...), btn.Text)
			b = appendStringPtrField(b, `,"url":`, btn.URL)
			b = append(appendStringPtrField(b, `,"callback_data":`, btn.CallbackData), '}')
		}
		b = append(b, ']')
	}
	return append(b, "]}"...)
}

// The omitempty fields: written only when not empty. key is `,"name":`.

func appendStringField(b []byte, key, s string) []byte {
	if s == "" {
		return b
	}
	return appendString(append(b, key...), s)
}

func appendStringPtrField(b []byte, key string, s *string) []byte {
	if s == nil {
		return b
	}
	return appendString(append(b, key...), *s)
}

func appendIntField(b []byte, key string, n int64) []byte {
	if n == 0 {
		return b
	}
	return strconv.AppendInt(append(b, key...), n, 10)
}

func appendListField[T any](b []byte, key string, list []T, item func([]byte, *T) []byte) []byte {
	if len(list) == 0 {
		return b
	}
	b = append(append(b, key...), '[')
	for i := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = item(b, &list[i])
	}
	return append(b, ']')
}

// appendBoolField writes keyTrue (`,"name":true`) if v.
func appendBoolField(b []byte, keyTrue string, v bool) []byte {
	if !v {
		return b
	}
	return append(b, keyTrue...)
}

// appendFloat writes f as encoding/json does where it writes plain
// decimals; the exponent forms it uses for very small and very large
// numbers (no latitude or longitude) are left to json.Marshal.
func appendFloat(b []byte, f float64) []byte {
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		m, _ := json.Marshal(f) // finite: ShareLocation refuses NaN and infinities
		return append(b, m...)
	}
	return strconv.AppendFloat(b, f, 'f', -1, 64)
}

// appendString writes s quoted as encoding/json does, HTML escaping
// included. Strings with characters other than the usual ones (control
// characters but \n, \r and \t; < > &; U+2028 and U+2029; invalid UTF-8)
// are left to json.Marshal.
func appendString(b []byte, s string) []byte {
	orig := len(b)
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
				return appendMarshalled(b[:orig], s)
			}
			i += size
			continue
		}
		var esc string
		switch {
		case c == '"':
			esc = `\"`
		case c == '\\':
			esc = `\\`
		case c == '\n':
			esc = `\n`
		case c == '\r':
			esc = `\r`
		case c == '\t':
			esc = `\t`
		case c < 0x20 || c == '<' || c == '>' || c == '&':
			return appendMarshalled(b[:orig], s)
		default:
			i++
			continue
		}
		b = append(append(b, s[start:i]...), esc...)
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func appendMarshalled(b []byte, s string) []byte {
	m, _ := json.Marshal(s) // a string always encodes
	return append(b, m...)
}
