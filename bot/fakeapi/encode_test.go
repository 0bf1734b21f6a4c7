package fakeapi

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// The encoders of encode.go must write what json.Marshal writes, for the
// messages the server makes and, by falling back, for any other.
func TestEncodeAsMarshal(t *testing.T) {
	str := func(s string) *string { return &s }
	user := &tgbotapi.User{ID: 42, FirstName: "Ali \"A\" <b>", LastName: "R", UserName: "ali", LanguageCode: "fa"}
	bot := &tgbotapi.User{ID: 123456789, IsBot: true, FirstName: "Rasad", UserName: "rasad_test_bot", CanJoinGroups: true,
		CanReadAllGroupMessages: true, SupportsInlineQueries: true}
	chat := &tgbotapi.Chat{ID: 42, Type: "private", FirstName: "Ali"}
	group := &tgbotapi.Chat{ID: -100, Type: "group", Title: "G & H", UserName: "g", LastName: "x", Bio: "b",
		HasPrivateForwards: true, Description: "d", InviteLink: "l", SlowModeDelay: 1, MessageAutoDeleteTime: 2,
		HasProtectedContent: true, StickerSetName: "s", CanSetStickerSet: true, LinkedChatID: 3}
	texts := []string{
		"", "plain", "جنسیت را انتخاب کنید.\nمثال: ۰۰۱۲۳۴۵۶۷۸", "✖️ لغو 👍", `quote " backslash \ tab	cr` + "\r",
		"<b>&amp;</b>", "nul \x00 bell \x07 del \x7f", "bad \xff utf8", "line\u2028sep\u2029", "\ufffd", "\b\f",
	}
	kb := &tgbotapi.InlineKeyboardMarkup{InlineKeyboard: [][]tgbotapi.InlineKeyboardButton{
		{{Text: "A", CallbackData: str("f|1|c|male~x")}, {Text: "B", URL: str("https://e.org/?a=1&b=<2>")}},
		{},
		nil,
		{{Text: "C", CallbackData: str(""), SwitchInlineQuery: str("q"), SwitchInlineQueryCurrentChat: str(""), Pay: true}},
	}}
	var msgs []*tgbotapi.Message
	for _, text := range texts {
		msgs = append(msgs,
			&tgbotapi.Message{MessageID: 7, From: bot, Date: 1700000000, Chat: chat, Text: text, ReplyMarkup: kb},
			&tgbotapi.Message{MessageID: 8, From: user, Chat: group, Caption: text, EditDate: 5,
				Document: &tgbotapi.Document{FileID: text, FileUniqueID: "u", FileName: text, MimeType: "text/csv", FileSize: 10,
					Thumbnail: &tgbotapi.PhotoSize{FileID: "t", FileUniqueID: "tu", Width: 1, Height: 2, FileSize: 3}}})
	}
	msgs = append(msgs,
		&tgbotapi.Message{},
		&tgbotapi.Message{MessageID: 9, From: user, Chat: chat, Text: "/start x",
			Entities:       []tgbotapi.MessageEntity{{Type: "bot_command", Length: 6}, {Type: "text_link", Offset: 1, Length: 2, URL: "u", User: user, Language: "go"}},
			ReplyToMessage: &tgbotapi.Message{MessageID: 1, From: bot, Chat: chat, Text: "hi"}},
		&tgbotapi.Message{MessageID: 10, From: user, Chat: chat, Photo: []tgbotapi.PhotoSize{{FileID: "p", FileUniqueID: "pu", Width: 64, Height: 48}}},
		&tgbotapi.Message{MessageID: 11, From: user, Chat: chat, Contact: &tgbotapi.Contact{PhoneNumber: "+98912", FirstName: "A", LastName: "B", UserID: 42, VCard: "v"}},
		&tgbotapi.Message{MessageID: 12, Chat: chat, ReplyMarkup: &tgbotapi.InlineKeyboardMarkup{}},
		&tgbotapi.Message{MessageID: 13, Chat: chat, ReplyMarkup: &tgbotapi.InlineKeyboardMarkup{InlineKeyboard: [][]tgbotapi.InlineKeyboardButton{}}},
		&tgbotapi.Message{MessageID: 14, From: user, Chat: group},
	)
	// All of these take the fast way.
	for _, m := range msgs {
		if _, ok := appendMessage(nil, m); !ok {
			t.Errorf("message %d: not encoded by appendMessage", m.MessageID)
		}
	}
	msgs = append(msgs,
		&tgbotapi.Message{MessageID: 14, Chat: chat, ReplyMarkup: &tgbotapi.InlineKeyboardMarkup{InlineKeyboard: [][]tgbotapi.InlineKeyboardButton{
			{{Text: "L", LoginURL: &tgbotapi.LoginURL{URL: "https://e.org"}}}, {{Text: "G", CallbackGame: &tgbotapi.CallbackGame{}}}}}},
		&tgbotapi.Message{MessageID: 15, Chat: &tgbotapi.Chat{ID: 1, Photo: &tgbotapi.ChatPhoto{}}},
		&tgbotapi.Message{MessageID: 16, Chat: chat, ReplyToMessage: &tgbotapi.Message{Sticker: &tgbotapi.Sticker{FileID: "s"}}},
	)
	// Every other field of a message, one at a time.
	mt := reflect.TypeFor[tgbotapi.Message]()
	for i := range mt.NumField() {
		m := &tgbotapi.Message{MessageID: 17, Chat: chat}
		setNonZero(reflect.ValueOf(m).Elem().Field(i))
		msgs = append(msgs, m)
	}
	for _, m := range msgs {
		checkEncoding(t, m)
		checkEncoding(t, &tgbotapi.Update{UpdateID: 3, Message: m})
		checkEncoding(t, &tgbotapi.Update{UpdateID: 4, CallbackQuery: &tgbotapi.CallbackQuery{ID: "99", From: user, Message: m, ChatInstance: "7", Data: "d"}})
	}
	checkEncoding(t, (*tgbotapi.Message)(nil))
	checkEncoding(t, &tgbotapi.Update{})
	checkEncoding(t, &tgbotapi.Update{CallbackQuery: &tgbotapi.CallbackQuery{}})
	checkEncoding(t, &tgbotapi.Update{CallbackQuery: &tgbotapi.CallbackQuery{ID: "1", InlineMessageID: "i"}})
	checkEncoding(t, &tgbotapi.Update{CallbackQuery: &tgbotapi.CallbackQuery{ID: "1", GameShortName: "g"}})
	for _, v := range []any{&tgbotapi.Chat{}, &tgbotapi.User{}} {
		for i := range reflect.TypeOf(v).Elem().NumField() {
			m := &tgbotapi.Message{MessageID: 18, Chat: &tgbotapi.Chat{ID: 1}, From: &tgbotapi.User{ID: 2}}
			target := reflect.ValueOf(m.Chat).Elem()
			if _, ok := v.(*tgbotapi.User); ok {
				target = reflect.ValueOf(m.From).Elem()
			}
			setNonZero(target.Field(i))
			checkEncoding(t, m)
		}
	}
	ut := reflect.TypeFor[tgbotapi.Update]()
	for i := range ut.NumField() {
		u := &tgbotapi.Update{UpdateID: 5}
		setNonZero(reflect.ValueOf(u).Elem().Field(i))
		checkEncoding(t, u)
	}
}

// setNonZero gives a field a value that is not its type's zero value.
func setNonZero(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
	case reflect.String:
		v.SetString("x")
	case reflect.Int, reflect.Int64:
		v.SetInt(1)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
	default:
		panic("setNonZero: unexpected kind " + v.Kind().String())
	}
}

func checkEncoding(t *testing.T, v any) {
	t.Helper()
	want, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var got []byte
	switch v := v.(type) {
	case *tgbotapi.Update:
		got, err = marshalUpdate(v)
	default:
		var buf bytes.Buffer
		buf.WriteString("prefix")
		err = encodeJSON(&buf, v)
		got = bytes.TrimPrefix(buf.Bytes(), []byte("prefix"))
	}
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("encoded\n%s (%v), want\n%s", got, err, want)
	}
}
