package transport

import (
	"errors"
	"strconv"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Metrics counts what the runtime does; cmd/rasad exports them for
// Prometheus. The runtime works the same without them.
type Metrics interface {
	Received(kind string)
	Handled(kind string, took time.Duration)
	InFlight(delta int)
	Sent(method string, err error) // err's Bot API code labels an error
}

// NopMetrics counts nothing.
type NopMetrics struct{}

func (NopMetrics) Received(string)               {}
func (NopMetrics) Handled(string, time.Duration) {}
func (NopMetrics) InFlight(int)                  {}
func (NopMetrics) Sent(string, error)            {}

// updateKind names an update for the metrics.
func updateKind(u tgbotapi.Update) string {
	switch {
	case u.CallbackQuery != nil:
		return "callback"
	case u.Message != nil && u.Message.IsCommand():
		return "command"
	case u.Message != nil && u.Message.Document != nil:
		return "document"
	case u.Message != nil && u.Message.Contact != nil:
		return "contact"
	case u.Message != nil && u.Message.Text != "":
		return "text"
	case u.Message != nil:
		return "media"
	}
	return "other"
}

// methodOf names the Bot API method a request calls (the library keeps it
// unexported).
func methodOf(c tgbotapi.Chattable) string {
	switch c.(type) {
	case tgbotapi.MessageConfig:
		return "sendMessage"
	case tgbotapi.DocumentConfig:
		return "sendDocument"
	case tgbotapi.PhotoConfig:
		return "sendPhoto"
	case tgbotapi.EditMessageTextConfig, tgbotapi.EditMessageReplyMarkupConfig, tgbotapi.EditMessageCaptionConfig:
		return "editMessage"
	case tgbotapi.CallbackConfig:
		return "answerCallbackQuery"
	case tgbotapi.SetMyCommandsConfig:
		return "setMyCommands"
	case tgbotapi.ChatActionConfig:
		return "sendChatAction"
	}
	return "other"
}

// ErrorCode is the Bot API code of err ("429"), "network" for a failure
// without one, or "" for no error.
func ErrorCode(err error) string {
	var ae *APIError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &ae):
		return strconv.Itoa(ae.Code)
	}
	return "network"
}
