package fakeapi

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// The fast path of parseMarkup must agree with the general decoding on
// every input, errors included.
func TestMarkupFastPathAgrees(t *testing.T) {
	long := strings.Repeat("x", 65)
	many := "[" + strings.Repeat(`{"text":"a","callback_data":"b"},`, 100) + `{"text":"a","callback_data":"b"}]`
	cases := []struct {
		raw  string
		fast bool // taken by the fast path
	}{
		{`{"inline_keyboard":[[{"text":"A","callback_data":"a"}]]}`, true},
		{` { "inline_keyboard" : [ [ { "text" : "زن" , "callback_data" : "f|1|c|female~x" } , {"url":"https://e.org/","text":"B"} ] , [ ] ] } ` + "\n", true},
		{`{"inline_keyboard":[]}`, true},
		{`{"inline_keyboard":[[],[]]}`, true},
		{`{"inline_keyboard":[[{}]]}`, true},
		{`{"inline_keyboard":[[{"text":"A"}]]}`, true},
		{`{"inline_keyboard":[[{"text":"","callback_data":"a"}]]}`, true},
		{`{"inline_keyboard":[[{"text":"A","callback_data":""}]]}`, true},
		{`{"inline_keyboard":[[{"text":"A","callback_data":"` + long + `"}]]}`, true},
		{`{"inline_keyboard":[[{"text":"A","url":"not a url"}]]}`, true},
		{`{"inline_keyboard":[[{"text":"A","url":"tg://user?id=1"}]]}`, true},
		{`{"inline_keyboard":[[{"text":"A","callback_data":"a"}],[{"text":"B"}]]}`, true},
		{`{"inline_keyboard":[[{"text":"A"}],[{"text":"B","callback_data":"b","url":"x"}]]}`, true},
		{`{"inline_keyboard":[` + many + `]}`, true},
		// Left to the general path.
		{`{"inline_keyboard":[[{"text":"A\u0042","callback_data":"a"}]]}`, false},
		{`{"inline_keyboard":[[{"text":"A\"","callback_data":"a"}]]}`, false},
		{"{\"inline_keyboard\":[[{\"text\":\"A\xff\",\"callback_data\":\"a\"}]]}", false},
		{"{\"inline_keyboard\":[[{\"text\":\"A\t\",\"callback_data\":\"a\"}]]}", false},
		{`{"inline_keyboard":[[{"text":"A","callback_data":"a","text":"B"}]]}`, false},
		{`{"inline_keyboard":[[{"Text":"A","callback_data":"a"}]]}`, false},
		{`{"inline_keyboard":[[{"text":"A","Callback_Data":"a"}]]}`, false},
		{`{"inline_keyboard":[[{"text":"A","callback_data":null}]]}`, false},
		{`{"inline_keyboard":[[{"text":"A","callback_data":5}]]}`, false},
		{`{"inline_keyboard":[[{"text":"A","pay":true}]]}`, false},
		{`{"inline_keyboard":[[{"text":"A","login_url":{"url":"https://e.org"}}]]}`, false},
		{`{"inline_keyboard":[[{"text":"A","callback_data":"a"}]],"x":1}`, false},
		{`{"Inline_Keyboard":[[{"text":"A","callback_data":"a"}]]}`, false},
		{`{"inline_keyboard":[[{"text":"A","callback_data":"a"}]]}x`, false},
		{`{"inline_keyboard":[[{"text":"A","callback_data":"a"},]]}`, false},
		{`{"inline_keyboard":[[{"text":"A","callback_data":"a"}]]`, false},
		{`{"inline_keyboard":[{"text":"A","callback_data":"a"}]}`, false},
		{`{"inline_keyboard":[null]}`, false},
		{`{"inline_keyboard":null}`, false},
		{`{"inline_keyboard":[[null]]}`, false},
		{`{"keyboard":[["A"]]}`, false},
		{`{"remove_keyboard":true}`, false},
		{`[]`, false},
	}
	for _, c := range cases {
		_, fast := scanInlineMarkup(c.raw)
		if fast != c.fast {
			t.Errorf("%s: fast path taken %v, want %v", c.raw, fast, c.fast)
		}
		for _, inlineOnly := range []bool{false, true} {
			got, gotErr := parseMarkup(c.raw, inlineOnly)
			want, wantErr := decodeMarkup(c.raw, inlineOnly)
			if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(gotErr, wantErr) {
				t.Errorf("%s (inlineOnly %v): got %s, %v; want %s, %v", c.raw, inlineOnly, show(got), gotErr, show(want), wantErr)
			}
		}
	}
}

func show(mk *markup) string {
	if mk == nil {
		return "nil"
	}
	b, _ := json.Marshal(mk.inline)
	return string(b)
}

// sameInline's field comparison must agree with comparing the JSON.
func TestSameInlineAgreesWithJSON(t *testing.T) {
	str := func(s string) *string { return &s }
	kb := func(rows ...[]tgInlineButton) *tgInlineKeyboard {
		return &tgInlineKeyboard{InlineKeyboard: rows}
	}
	a := tgInlineButton{Text: "A", CallbackData: str("a")}
	kbs := []*tgInlineKeyboard{
		nil,
		kb(),
		{},
		kb([]tgInlineButton{a}),
		kb([]tgInlineButton{{Text: "A", CallbackData: str("a")}}),
		kb([]tgInlineButton{{Text: "A", CallbackData: str("b")}}),
		kb([]tgInlineButton{{Text: "A", CallbackData: str("")}}),
		kb([]tgInlineButton{{Text: "B", CallbackData: str("a")}}),
		kb([]tgInlineButton{{Text: "A", URL: str("a")}}),
		kb([]tgInlineButton{{Text: "A", URL: str("a"), CallbackData: str("a")}}),
		kb([]tgInlineButton{{Text: "A"}}),
		kb([]tgInlineButton{a, a}),
		kb([]tgInlineButton{a}, []tgInlineButton{a}),
		kb([]tgInlineButton{a}, nil),
		kb([]tgInlineButton{a}, []tgInlineButton{}),
	}
	for i, x := range kbs {
		for j, y := range kbs {
			jx, _ := json.Marshal(x)
			jy, _ := json.Marshal(y)
			if got, want := sameInline(x, y), string(jx) == string(jy); got != want {
				t.Errorf("sameInline(%d %s, %d %s) = %v, want %v", i, jx, j, jy, got, want)
			}
		}
	}
}
