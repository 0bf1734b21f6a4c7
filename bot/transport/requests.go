package transport

// Requests are what the bot asks of the Bot API server; an API turns each
// into its method call. The set is closed: an API knows every kind.
type Request interface{ request() }

// SendMessage sends text, with a keyboard when Markup is set.
type SendMessage struct {
	Chat   int64
	Text   string
	Markup Markup
}

// SendDocument sends a file as a file: File uploaded, or, when FileID is
// set, a file the platform holds already (one a user sent) passed on by
// its id, with nothing uploaded.
type SendDocument struct {
	Chat    int64
	File    FileBytes
	FileID  string
	Caption string
}

// SendPhoto sends a picture.
type SendPhoto struct {
	Chat    int64
	File    FileBytes
	Caption string
}

// FileBytes is a file to upload, held in memory.
type FileBytes struct {
	Name  string
	Bytes []byte
}

// EditText replaces a message's text, which also takes its buttons away.
type EditText struct {
	Chat      int64
	MessageID int
	Text      string
}

// EditMarkup replaces a message's inline keyboard; an empty one takes the
// buttons away.
type EditMarkup struct {
	Chat      int64
	MessageID int
	Markup    InlineKeyboard
}

// AnswerCallback stops a pressed button's spinner, showing Text if set.
type AnswerCallback struct {
	ID   string
	Text string
}

// ChatAction shows the user what the bot is doing ("sending a file…").
type ChatAction struct {
	Chat   int64
	Action string
}

// Chat actions.
const (
	ChatTyping         = "typing"
	ChatUploadDocument = "upload_document"
)

// SetCommands sets the command menu: of one chat when Chat is set, else
// everyone's, for users of Language when it is set.
type SetCommands struct {
	Commands []Command
	Chat     int64
	Language string
}

// Command is an entry of the command menu.
type Command struct {
	Command     string `json:"command"`
	Description string `json:"description"`
}

// SetWebhook points the server at URL, proving itself with Secret (sent
// in SecretHeader; empty: none).
type SetWebhook struct {
	URL            string
	Secret         string
	MaxConnections int
}

// DeleteWebhook takes the webhook away, keeping pending updates, so
// getUpdates works.
type DeleteWebhook struct{}

func (SendMessage) request()    {}
func (SendDocument) request()   {}
func (SendPhoto) request()      {}
func (EditText) request()       {}
func (EditMarkup) request()     {}
func (AnswerCallback) request() {}
func (ChatAction) request()     {}
func (SetCommands) request()    {}
func (SetWebhook) request()     {}
func (DeleteWebhook) request()  {}

// Markup is a keyboard sent with a message: InlineKeyboard, ReplyKeyboard
// or RemoveKeyboard. Each encodes as the Bot API's reply_markup.
type Markup interface{ markup() }

// InlineKeyboard is buttons under a message.
type InlineKeyboard struct {
	Rows [][]InlineButton `json:"inline_keyboard"`
}

// InlineButton sends Data back to the bot when pressed.
type InlineButton struct {
	Text string `json:"text"`
	Data string `json:"callback_data"`
}

// ReplyKeyboard replaces the user's keyboard with buttons that type their
// label, or share the user's phone or location.
type ReplyKeyboard struct {
	Rows   [][]ReplyButton `json:"keyboard"`
	Resize bool            `json:"resize_keyboard,omitempty"`
}

// ReplyButton is a button of a ReplyKeyboard.
type ReplyButton struct {
	Text            string `json:"text"`
	RequestContact  bool   `json:"request_contact,omitempty"`
	RequestLocation bool   `json:"request_location,omitempty"`
}

// RemoveKeyboard gives the user their own keyboard back.
type RemoveKeyboard struct{}

// MarshalJSON encodes the Bot API's removal.
func (RemoveKeyboard) MarshalJSON() ([]byte, error) { return []byte(`{"remove_keyboard":true}`), nil }

func (InlineKeyboard) markup() {}
func (ReplyKeyboard) markup()  {}
func (RemoveKeyboard) markup() {}

// Inline is a keyboard of rows of buttons.
func Inline(rows ...[]InlineButton) InlineKeyboard { return InlineKeyboard{Rows: rows} }

// Row is one row of buttons.
func Row(buttons ...InlineButton) []InlineButton { return buttons }

// Button is a button that sends data.
func Button(text, data string) InlineButton { return InlineButton{Text: text, Data: data} }
