package fakeapi

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// Strings that encode plainly, with escapes, and (the last ones) only by
// falling back to json.Marshal.
var encodeTexts = []string{
	"", "plain", "جنسیت را انتخاب کنید.\nمثال: ۰۰۱۲۳۴۵۶۷۸", "✖️ لغو 👍", `quote " backslash \ tab	cr` + "\r",
	"<b>&amp;</b>", "nul \x00 bell \x07 del \x7f", "bad \xff utf8", "line\u2028sep\u2029", "\ufffd", "\b\f",
}

// Coordinates, and (the last ones) numbers json.Marshal writes with an
// exponent.
var encodeFloats = []float64{0, 35.6892, 51.389, -33.868820, 180, -90, 1e20, 0.000001, 1e-7, -2.5e-9, 1e21, 1.5e300}

// The encoders of encode.go must write what json.Marshal writes for the
// structs of wire.go: every field, set or not, with any string.
func TestEncodeAsMarshal(t *testing.T) {
	full := filled(reflect.TypeFor[tgUpdate](), 2).Interface().(tgUpdate)
	checkEncoding(t, &full)
	checkEncoding(t, full.Message)
	eachField(reflect.ValueOf(&full), func(f reflect.Value) {
		old := reflect.New(f.Type()).Elem()
		old.Set(f)
		defer f.Set(old)
		f.SetZero()
		checkEncoding(t, &full)
		switch f.Kind() {
		case reflect.String:
			for _, s := range encodeTexts {
				f.SetString(s)
				checkEncoding(t, &full)
			}
		case reflect.Slice:
			f.Set(reflect.MakeSlice(f.Type(), 0, 0))
			checkEncoding(t, &full)
			f.Set(reflect.MakeSlice(f.Type(), 1, 1)) // a zero element
			checkEncoding(t, &full)
		case reflect.Int, reflect.Int64:
			f.SetInt(-12345678901)
			checkEncoding(t, &full)
		case reflect.Float64:
			for _, x := range encodeFloats {
				f.SetFloat(x)
				checkEncoding(t, &full)
			}
		}
	})

	// As the server makes them.
	str := func(s string) *string { return &s }
	bot := &Account{ID: 123456789, IsBot: true, FirstName: "Rasad", UserName: "rasad_test_bot", CanJoinGroups: true}
	user := &Account{ID: 42, FirstName: "Ali", LanguageCode: "fa"}
	chat := &tgChat{ID: 42, Type: "private", FirstName: "Ali"}
	kb := &tgInlineKeyboard{InlineKeyboard: [][]tgInlineButton{
		{{Text: "زن", CallbackData: str("f|1|c|female~x")}, {Text: "B", URL: str("https://e.org/?a=1&b=<2>")}},
	}}
	prompt := &tgMessage{MessageID: 7, From: bot, Date: 1700000000, Chat: chat, Text: encodeTexts[2], ReplyMarkup: kb}
	for _, upd := range []*tgUpdate{
		{UpdateID: 1, Message: &tgMessage{MessageID: 6, From: user, Date: 1700000000, Chat: chat, Text: "/start x",
			Entities: []tgEntity{{Type: "bot_command", Length: 6}}}},
		{UpdateID: 2, CallbackQuery: &tgCallbackQuery{ID: "99", From: user, Message: prompt, ChatInstance: "7", Data: "f|1|c|female~x"}},
		{UpdateID: 3},
		{UpdateID: 4, CallbackQuery: &tgCallbackQuery{}},
		{UpdateID: 5, Message: &tgMessage{}},
	} {
		checkEncoding(t, upd)
	}
	checkEncoding(t, prompt)
	checkEncoding(t, (*tgMessage)(nil))
}

// filled is a value of type t with every field set: strings, numbers and
// booleans not zero, pointers to filled values, slices of two. Messages
// nest in messages to depth levels.
func filled(t reflect.Type, depth int) reflect.Value {
	v := reflect.New(t).Elem()
	switch t.Kind() {
	case reflect.Pointer:
		if t.Elem() == reflect.TypeFor[tgMessage]() {
			if depth == 0 {
				return v
			}
			depth--
		}
		p := reflect.New(t.Elem())
		p.Elem().Set(filled(t.Elem(), depth))
		v.Set(p)
	case reflect.Struct:
		for i := range t.NumField() {
			v.Field(i).Set(filled(t.Field(i).Type, depth))
		}
	case reflect.Slice:
		v.Set(reflect.MakeSlice(t, 2, 2))
		for i := range 2 {
			v.Index(i).Set(filled(t.Elem(), depth))
		}
	case reflect.String:
		v.SetString("s")
	case reflect.Int, reflect.Int64:
		v.SetInt(7)
	case reflect.Float64:
		v.SetFloat(35.689197)
	case reflect.Bool:
		v.SetBool(true)
	default:
		panic("filled: unexpected kind " + t.Kind().String())
	}
	return v
}

// eachField calls f on every struct field reachable from v, outer ones
// first. f may change the field if it puts it back.
func eachField(v reflect.Value, f func(reflect.Value)) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			eachField(v.Elem(), f)
		}
	case reflect.Slice:
		for i := range v.Len() {
			eachField(v.Index(i), f)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			f(v.Field(i))
			eachField(v.Field(i), f)
		}
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
	case *tgUpdate:
		got = marshalUpdate(v)
	default:
		var buf bytes.Buffer
		buf.WriteString("prefix")
		err = encodeJSON(&buf, v)
		got = bytes.TrimPrefix(buf.Bytes(), []byte("prefix"))
	}
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("encoded\n%s (%v), want\n%s", got, err, want)
	}
}
