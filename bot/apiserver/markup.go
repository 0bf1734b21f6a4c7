package apiserver

import (
	"bytes"
	"encoding/json"
	"net/url"
	"regexp"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// markup is a parsed reply_markup. At most one field is set.
type markup struct {
	inline     *tgbotapi.InlineKeyboardMarkup // nil when there are no buttons
	reply      *tgbotapi.ReplyKeyboardMarkup
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
		kb, err := parseReplyKeyboard(raw, rowsRaw)
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

func parseInlineKeyboard(rowsRaw json.RawMessage) (*tgbotapi.InlineKeyboardMarkup, *apiError) {
	var rows [][]json.RawMessage
	if err := json.Unmarshal(rowsRaw, &rows); err != nil {
		return nil, badRequest("field \"inline_keyboard\" of the InlineKeyboardMarkup should be an Array of Arrays")
	}
	kb := &tgbotapi.InlineKeyboardMarkup{InlineKeyboard: [][]tgbotapi.InlineKeyboardButton{}}
	total := 0
	for _, row := range rows {
		if len(row) == 0 {
			continue
		}
		out := make([]tgbotapi.InlineKeyboardButton, 0, len(row))
		for _, b := range row {
			btn, err := parseInlineButton(b)
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

func parseInlineButton(raw json.RawMessage) (tgbotapi.InlineKeyboardButton, *apiError) {
	var btn tgbotapi.InlineKeyboardButton
	var fields map[string]json.RawMessage
	if json.Unmarshal(raw, &fields) != nil || json.Unmarshal(raw, &btn) != nil {
		return btn, badRequest("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
	}
	if btn.Text == "" {
		return btn, badRequest("can't parse inline keyboard button: Text must be non-empty")
	}
	hasAction := false
	for _, k := range inlineActionKeys {
		if _, ok := fields[k]; ok {
			hasAction = true
		}
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

func parseReplyKeyboard(raw string, rowsRaw json.RawMessage) (*tgbotapi.ReplyKeyboardMarkup, *apiError) {
	var kb tgbotapi.ReplyKeyboardMarkup
	// Decode the options; the rows are decoded separately because Telegram
	// also accepts plain strings as buttons.
	var opts struct {
		ResizeKeyboard        bool   `json:"resize_keyboard"`
		OneTimeKeyboard       bool   `json:"one_time_keyboard"`
		InputFieldPlaceholder string `json:"input_field_placeholder"`
		Selective             bool   `json:"selective"`
	}
	_ = json.Unmarshal([]byte(raw), &opts)
	kb.ResizeKeyboard, kb.OneTimeKeyboard = opts.ResizeKeyboard, opts.OneTimeKeyboard
	kb.InputFieldPlaceholder, kb.Selective = opts.InputFieldPlaceholder, opts.Selective

	var rows [][]json.RawMessage
	if err := json.Unmarshal(rowsRaw, &rows); err != nil {
		return nil, badRequest("field \"keyboard\" of the ReplyKeyboardMarkup should be an Array of Arrays")
	}
	for _, row := range rows {
		if len(row) == 0 {
			continue
		}
		out := make([]tgbotapi.KeyboardButton, 0, len(row))
		for _, b := range row {
			var btn tgbotapi.KeyboardButton
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
// "message is not modified" check.
func sameInline(a, b *tgbotapi.InlineKeyboardMarkup) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

var commandNameRE = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)
