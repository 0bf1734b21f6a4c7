package fakeapi

import (
	"bytes"
	"encoding/json"
	"strconv"
	"sync"
	"unicode/utf8"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Encoding updates and messages without reflection: the server encodes a
// message or two per update, and encoding/json walks every one of the
// ~60 fields of tgbotapi.Message (and ~20 of its Chat) each time. The
// append functions below write exactly what json.Marshal would for the
// fields the server fills in (same order, omitempty, escaping), and
// report false when any other field is set, so the caller falls back to
// json.Marshal: the bytes are the same either way (TestEncodeAsMarshal).

// marshalUpdate is json.Marshal(upd).
func marshalUpdate(upd *tgbotapi.Update) ([]byte, error) {
	scratch := scratchPool.Get().(*[]byte)
	defer scratchPool.Put(scratch)
	b, ok := appendUpdate((*scratch)[:0], upd)
	*scratch = b[:0] // grown for the next one
	if ok {
		return bytes.Clone(b), nil // kept: of its own size
	}
	return json.Marshal(upd)
}

var scratchPool = sync.Pool{New: func() any { return new([]byte) }}

func appendUpdate(b []byte, u *tgbotapi.Update) ([]byte, bool) {
	if u.EditedMessage != nil || u.ChannelPost != nil || u.EditedChannelPost != nil || u.InlineQuery != nil ||
		u.ChosenInlineResult != nil || u.ShippingQuery != nil || u.PreCheckoutQuery != nil || u.Poll != nil ||
		u.PollAnswer != nil || u.MyChatMember != nil || u.ChatMember != nil || u.ChatJoinRequest != nil {
		return b, false
	}
	b = strconv.AppendInt(append(b, `{"update_id":`...), int64(u.UpdateID), 10)
	ok := true
	if u.Message != nil {
		b, ok = appendMessage(append(b, `,"message":`...), u.Message)
	}
	if q := u.CallbackQuery; q != nil && ok {
		b, ok = appendCallbackQuery(append(b, `,"callback_query":`...), q)
	}
	return append(b, `,"my_chat_member":null,"chat_member":null,"chat_join_request":null}`...), ok
}

func appendCallbackQuery(b []byte, q *tgbotapi.CallbackQuery) ([]byte, bool) {
	if q.InlineMessageID != "" || q.GameShortName != "" {
		return b, false
	}
	b = appendString(append(b, `{"id":`...), q.ID)
	b = append(b, `,"from":`...)
	if q.From == nil {
		b = append(b, "null"...)
	} else {
		b = appendUser(b, q.From)
	}
	ok := true
	if q.Message != nil {
		b, ok = appendMessage(append(b, `,"message":`...), q.Message)
	}
	b = appendString(append(b, `,"chat_instance":`...), q.ChatInstance)
	b = appendStringField(b, `,"data":`, q.Data)
	return append(b, '}'), ok
}

// messageHasOthers reports whether m has a field appendMessage does not
// write.
func messageHasOthers(m *tgbotapi.Message) bool {
	return m.SenderChat != nil || m.ForwardFrom != nil || m.ForwardFromChat != nil || m.ForwardFromMessageID != 0 ||
		m.ForwardSignature != "" || m.ForwardSenderName != "" || m.ForwardDate != 0 || m.IsAutomaticForward ||
		m.ViaBot != nil || m.HasProtectedContent || m.MediaGroupID != "" || m.AuthorSignature != "" ||
		m.Animation != nil || m.Audio != nil || m.Sticker != nil || m.Video != nil || m.VideoNote != nil ||
		m.Voice != nil || len(m.CaptionEntities) != 0 || m.Dice != nil || m.Game != nil || m.Poll != nil ||
		m.Venue != nil || m.Location != nil || len(m.NewChatMembers) != 0 || m.LeftChatMember != nil ||
		m.NewChatTitle != "" || len(m.NewChatPhoto) != 0 || m.DeleteChatPhoto || m.GroupChatCreated ||
		m.SuperGroupChatCreated || m.ChannelChatCreated || m.MessageAutoDeleteTimerChanged != nil ||
		m.MigrateToChatID != 0 || m.MigrateFromChatID != 0 || m.PinnedMessage != nil || m.Invoice != nil ||
		m.SuccessfulPayment != nil || m.ConnectedWebsite != "" || m.PassportData != nil ||
		m.ProximityAlertTriggered != nil || m.VoiceChatScheduled != nil || m.VoiceChatStarted != nil ||
		m.VoiceChatEnded != nil || m.VoiceChatParticipantsInvited != nil
}

func appendMessage(b []byte, m *tgbotapi.Message) ([]byte, bool) {
	if messageHasOthers(m) {
		return b, false
	}
	b = strconv.AppendInt(append(b, `{"message_id":`...), int64(m.MessageID), 10)
	if m.From != nil {
		b = appendUser(append(b, `,"from":`...), m.From)
	}
	b = strconv.AppendInt(append(b, `,"date":`...), int64(m.Date), 10)
	b = append(b, `,"chat":`...)
	var ok bool
	if m.Chat == nil {
		b = append(b, "null"...)
	} else if b, ok = appendChat(b, m.Chat); !ok {
		return b, false
	}
	if m.ReplyToMessage != nil {
		if b, ok = appendMessage(append(b, `,"reply_to_message":`...), m.ReplyToMessage); !ok {
			return b, false
		}
	}
	b = appendIntField(b, `,"edit_date":`, int64(m.EditDate))
	b = appendStringField(b, `,"text":`, m.Text)
	b = appendListField(b, `,"entities":`, m.Entities, appendEntity)
	if d := m.Document; d != nil {
		b = appendString(append(b, `,"document":{"file_id":`...), d.FileID)
		b = appendString(append(b, `,"file_unique_id":`...), d.FileUniqueID)
		if d.Thumbnail != nil {
			b = appendPhotoSize(append(b, `,"thumb":`...), d.Thumbnail)
		}
		b = appendStringField(b, `,"file_name":`, d.FileName)
		b = appendStringField(b, `,"mime_type":`, d.MimeType)
		b = append(appendIntField(b, `,"file_size":`, int64(d.FileSize)), '}')
	}
	b = appendListField(b, `,"photo":`, m.Photo, appendPhotoSize)
	b = appendStringField(b, `,"caption":`, m.Caption)
	if c := m.Contact; c != nil {
		b = appendString(append(b, `,"contact":{"phone_number":`...), c.PhoneNumber)
		b = appendString(append(b, `,"first_name":`...), c.FirstName)
		b = appendStringField(b, `,"last_name":`, c.LastName)
		b = appendIntField(b, `,"user_id":`, c.UserID)
		b = append(appendStringField(b, `,"vcard":`, c.VCard), '}')
	}
	b = append(b, `,"message_auto_delete_timer_changed":null,"proximity_alert_triggered":null,"voice_chat_scheduled":null,"voice_chat_started":null,"voice_chat_ended":null,"voice_chat_participants_invited":null`...)
	if m.ReplyMarkup != nil {
		if b, ok = appendInlineKeyboard(append(b, `,"reply_markup":`...), m.ReplyMarkup); !ok {
			return b, false
		}
	}
	return append(b, '}'), true
}

func appendUser(b []byte, u *tgbotapi.User) []byte {
	b = strconv.AppendInt(append(b, `{"id":`...), u.ID, 10)
	b = appendBoolField(b, `,"is_bot":true`, u.IsBot)
	b = appendString(append(b, `,"first_name":`...), u.FirstName)
	b = appendStringField(b, `,"last_name":`, u.LastName)
	b = appendStringField(b, `,"username":`, u.UserName)
	b = appendStringField(b, `,"language_code":`, u.LanguageCode)
	b = appendBoolField(b, `,"can_join_groups":true`, u.CanJoinGroups)
	b = appendBoolField(b, `,"can_read_all_group_messages":true`, u.CanReadAllGroupMessages)
	b = appendBoolField(b, `,"supports_inline_queries":true`, u.SupportsInlineQueries)
	return append(b, '}')
}

func appendChat(b []byte, c *tgbotapi.Chat) ([]byte, bool) {
	if c.Photo != nil || c.PinnedMessage != nil || c.Permissions != nil || c.Location != nil {
		return b, false
	}
	b = strconv.AppendInt(append(b, `{"id":`...), c.ID, 10)
	b = appendString(append(b, `,"type":`...), c.Type)
	b = appendStringField(b, `,"title":`, c.Title)
	b = appendStringField(b, `,"username":`, c.UserName)
	b = appendStringField(b, `,"first_name":`, c.FirstName)
	b = appendStringField(b, `,"last_name":`, c.LastName)
	b = append(b, `,"photo":null`...)
	b = appendStringField(b, `,"bio":`, c.Bio)
	b = appendBoolField(b, `,"has_private_forwards":true`, c.HasPrivateForwards)
	b = appendStringField(b, `,"description":`, c.Description)
	b = appendStringField(b, `,"invite_link":`, c.InviteLink)
	b = appendIntField(b, `,"slow_mode_delay":`, int64(c.SlowModeDelay))
	b = appendIntField(b, `,"message_auto_delete_time":`, int64(c.MessageAutoDeleteTime))
	b = appendBoolField(b, `,"has_protected_content":true`, c.HasProtectedContent)
	b = appendStringField(b, `,"sticker_set_name":`, c.StickerSetName)
	b = appendBoolField(b, `,"can_set_sticker_set":true`, c.CanSetStickerSet)
	b = appendIntField(b, `,"linked_chat_id":`, c.LinkedChatID)
	return append(b, `,"location":null}`...), true
}

func appendEntity(b []byte, e *tgbotapi.MessageEntity) []byte {
	b = appendString(append(b, `{"type":`...), e.Type)
	b = strconv.AppendInt(append(b, `,"offset":`...), int64(e.Offset), 10)
	b = strconv.AppendInt(append(b, `,"length":`...), int64(e.Length), 10)
	b = appendStringField(b, `,"url":`, e.URL)
	if e.User != nil {
		b = appendUser(append(b, `,"user":`...), e.User)
	}
	return append(appendStringField(b, `,"language":`, e.Language), '}')
}

func appendPhotoSize(b []byte, p *tgbotapi.PhotoSize) []byte {
	b = appendString(append(b, `{"file_id":`...), p.FileID)
	b = appendString(append(b, `,"file_unique_id":`...), p.FileUniqueID)
	b = strconv.AppendInt(append(b, `,"width":`...), int64(p.Width), 10)
	b = strconv.AppendInt(append(b, `,"height":`...), int64(p.Height), 10)
	return append(appendIntField(b, `,"file_size":`, int64(p.FileSize)), '}')
}

func appendInlineKeyboard(b []byte, kb *tgbotapi.InlineKeyboardMarkup) ([]byte, bool) {
	b = append(b, `{"inline_keyboard":`...)
	if kb.InlineKeyboard == nil {
		return append(b, "null}"...), true
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
			if btn.LoginURL != nil || btn.CallbackGame != nil {
				return b, false
			}
			if j > 0 {
				b = append(b, ',')
			}
			b = appendString(append(b, `{"text":`...), btn.Text)
			b = appendStringPtrField(b, `,"url":`, btn.URL)
			b = appendStringPtrField(b, `,"callback_data":`, btn.CallbackData)
			b = appendStringPtrField(b, `,"switch_inline_query":`, btn.SwitchInlineQuery)
			b = appendStringPtrField(b, `,"switch_inline_query_current_chat":`, btn.SwitchInlineQueryCurrentChat)
			b = append(appendBoolField(b, `,"pay":true`, btn.Pay), '}')
		}
		b = append(b, ']')
	}
	return append(b, "]}"...), true
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
