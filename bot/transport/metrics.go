package transport

import "time"

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
func updateKind(u Update) string {
	switch {
	case u.CallbackQuery != nil:
		return "callback"
	case u.Message != nil && u.Message.IsCommand():
		return "command"
	case u.Message != nil && u.Message.Document != nil:
		return "document"
	case u.Message != nil && u.Message.Contact != nil:
		return "contact"
	case u.Message != nil && u.Message.Location != nil:
		return "location"
	case u.Message != nil && len(u.Message.Photo) > 0:
		return "photo"
	case u.Message != nil && u.Message.Text != "":
		return "text"
	case u.Message != nil:
		return "media"
	}
	return "other"
}

// methodOf names the Bot API method a request calls, for the metrics.
func methodOf(r Request) string {
	switch r.(type) {
	case SendMessage:
		return "sendMessage"
	case SendDocument:
		return "sendDocument"
	case SendPhoto:
		return "sendPhoto"
	case EditText:
		return "editMessageText"
	case EditMarkup:
		return "editMessageReplyMarkup"
	case AnswerCallback:
		return "answerCallbackQuery"
	case SetCommands:
		return "setMyCommands"
	case ChatAction:
		return "sendChatAction"
	case SetWebhook:
		return "setWebhook"
	case DeleteWebhook:
		return "deleteWebhook"
	}
	return "other"
}
