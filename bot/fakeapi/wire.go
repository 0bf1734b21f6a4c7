package fakeapi

// The Bot API's objects as this server writes and reads them. Names and
// omitempty follow the Bot API reference: required fields are always
// written, optional ones only when set, as Telegram itself does. Only the
// fields the server fills in or reads are here; a client decoding them
// sees the rest absent. encode.go writes the update and message objects
// without reflection, and must be kept in step with these structs
// (TestEncodeAsMarshal).

// Account is a Telegram account: the Bot API's User object, for the bot
// itself (getMe) and for simulated users.
type Account struct {
	ID            int64  `json:"id"`
	IsBot         bool   `json:"is_bot"`
	FirstName     string `json:"first_name"`
	LastName      string `json:"last_name,omitempty"`
	UserName      string `json:"username,omitempty"`
	LanguageCode  string `json:"language_code,omitempty"`
	CanJoinGroups bool   `json:"can_join_groups,omitempty"` // getMe only
}

// Command is an entry of the bot's command menu (BotCommand).
type Command struct {
	Command     string `json:"command"`
	Description string `json:"description"`
}

// CommandScope is the BotCommandScope a command list was set for. Type is
// "default", "all_private_chats", "chat" and so on; ChatID is set for the
// chat scopes, UserID for "chat_member".
type CommandScope struct {
	Type   string `json:"type"`
	ChatID int64  `json:"chat_id,omitempty"`
	UserID int64  `json:"user_id,omitempty"`
}

type tgUpdate struct {
	UpdateID      int              `json:"update_id"`
	Message       *tgMessage       `json:"message,omitempty"`
	CallbackQuery *tgCallbackQuery `json:"callback_query,omitempty"`
}

type tgMessage struct {
	MessageID      int               `json:"message_id"`
	From           *Account          `json:"from,omitempty"`
	Date           int64             `json:"date"`
	Chat           *tgChat           `json:"chat"`
	ReplyToMessage *tgMessage        `json:"reply_to_message,omitempty"`
	EditDate       int64             `json:"edit_date,omitempty"`
	Text           string            `json:"text,omitempty"`
	Entities       []tgEntity        `json:"entities,omitempty"`
	Document       *tgDocument       `json:"document,omitempty"`
	Photo          []tgPhotoSize     `json:"photo,omitempty"`
	Sticker        *tgSticker        `json:"sticker,omitempty"`
	Voice          *tgVoice          `json:"voice,omitempty"`
	Caption        string            `json:"caption,omitempty"`
	Contact        *tgContact        `json:"contact,omitempty"`
	Location       *tgLocation       `json:"location,omitempty"`
	ReplyMarkup    *tgInlineKeyboard `json:"reply_markup,omitempty"`
}

type tgChat struct {
	ID        int64  `json:"id"`
	Type      string `json:"type"`
	Title     string `json:"title,omitempty"`      // groups
	FirstName string `json:"first_name,omitempty"` // private chats
}

type tgCallbackQuery struct {
	ID           string     `json:"id"`
	From         *Account   `json:"from"`
	Message      *tgMessage `json:"message,omitempty"`
	ChatInstance string     `json:"chat_instance"`
	Data         string     `json:"data,omitempty"`
}

type tgEntity struct {
	Type   string `json:"type"`
	Offset int    `json:"offset"`
	Length int    `json:"length"`
}

type tgDocument struct {
	FileID       string `json:"file_id"`
	FileUniqueID string `json:"file_unique_id"`
	FileName     string `json:"file_name,omitempty"`
	MimeType     string `json:"mime_type,omitempty"`
	FileSize     int    `json:"file_size,omitempty"`
}

type tgPhotoSize struct {
	FileID       string `json:"file_id"`
	FileUniqueID string `json:"file_unique_id"`
	Width        int    `json:"width"`
	Height       int    `json:"height"`
	FileSize     int    `json:"file_size,omitempty"`
}

type tgSticker struct {
	FileID       string `json:"file_id"`
	FileUniqueID string `json:"file_unique_id"`
	Type         string `json:"type"`
	Width        int    `json:"width"`
	Height       int    `json:"height"`
	IsAnimated   bool   `json:"is_animated"`
	IsVideo      bool   `json:"is_video"`
	Emoji        string `json:"emoji,omitempty"`
	FileSize     int    `json:"file_size,omitempty"`
}

type tgVoice struct {
	FileID       string `json:"file_id"`
	FileUniqueID string `json:"file_unique_id"`
	Duration     int    `json:"duration"`
	MimeType     string `json:"mime_type,omitempty"`
	FileSize     int    `json:"file_size,omitempty"`
}

type tgContact struct {
	PhoneNumber string `json:"phone_number"`
	FirstName   string `json:"first_name"`
	LastName    string `json:"last_name,omitempty"`
	UserID      int64  `json:"user_id,omitempty"`
}

type tgLocation struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
}

type tgInlineKeyboard struct {
	InlineKeyboard [][]tgInlineButton `json:"inline_keyboard"`
}

// tgInlineButton keeps what a press needs. Buttons of other kinds
// (switch_inline_query, pay, login_url…) are accepted, as Telegram does,
// but kept as their text alone: the bot sends none.
type tgInlineButton struct {
	Text string `json:"text"`
	// Pointers tell an absent field from an empty one, which Telegram
	// refuses.
	URL          *string `json:"url,omitempty"`
	CallbackData *string `json:"callback_data,omitempty"`
}

// tgReplyKeyboard is a reply keyboard as the user sees it; its options
// (resize, one-time, placeholder) change nothing here and are not kept.
type tgReplyKeyboard struct {
	Keyboard [][]tgKeyboardButton
}

type tgKeyboardButton struct {
	Text            string `json:"text"`
	RequestContact  bool   `json:"request_contact,omitempty"`
	RequestLocation bool   `json:"request_location,omitempty"`
}

type tgFile struct {
	FileID       string `json:"file_id"`
	FileUniqueID string `json:"file_unique_id"`
	FileSize     int    `json:"file_size,omitempty"`
	FilePath     string `json:"file_path,omitempty"`
}

type tgWebhookInfo struct {
	URL                  string   `json:"url"`
	HasCustomCertificate bool     `json:"has_custom_certificate"`
	PendingUpdateCount   int      `json:"pending_update_count"`
	IPAddress            string   `json:"ip_address,omitempty"`
	LastErrorDate        int64    `json:"last_error_date,omitempty"`
	LastErrorMessage     string   `json:"last_error_message,omitempty"`
	MaxConnections       int      `json:"max_connections,omitempty"`
	AllowedUpdates       []string `json:"allowed_updates,omitempty"`
}

type tgResponseParameters struct {
	RetryAfter int `json:"retry_after,omitempty"`
}
