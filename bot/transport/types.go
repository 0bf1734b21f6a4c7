package transport

import "strings"

// The Bot API's objects as far as the bot reads them. The JSON names are
// the Bot API's (Telegram's and Bale's alike), so an update decodes
// straight into them and fields the bot does not read are skipped.

// Update is one thing that happened in a chat.
type Update struct {
	UpdateID      int                `json:"update_id"`
	Message       *Message           `json:"message,omitempty"`
	EditedMessage *Message           `json:"edited_message,omitempty"`
	CallbackQuery *CallbackQuery     `json:"callback_query,omitempty"`
	MyChatMember  *ChatMemberUpdated `json:"my_chat_member,omitempty"`
}

// Message is a message a user sent, or the bot's message a button was on.
type Message struct {
	MessageID int             `json:"message_id"`
	From      *User           `json:"from,omitempty"`
	Chat      *Chat           `json:"chat"`
	Text      string          `json:"text,omitempty"`
	Entities  []MessageEntity `json:"entities,omitempty"`
	Document  *Document       `json:"document,omitempty"`
	Photo     []PhotoSize     `json:"photo,omitempty"` // one picture in several sizes
	Caption   string          `json:"caption,omitempty"`
	Contact   *Contact        `json:"contact,omitempty"`
	Location  *Location       `json:"location,omitempty"`
	// Venue is a place picked from a list of places; its message carries
	// Location too, which is then not where the sender is.
	Venue *Venue `json:"venue,omitempty"`
	// A forwarded message has ForwardOrigin (Bot API 7.0 on) or, from
	// servers of the older API (Bale), ForwardDate.
	ForwardOrigin *MessageOrigin `json:"forward_origin,omitempty"`
	ForwardDate   int64          `json:"forward_date,omitempty"`
}

// CallbackQuery is a press of an inline button.
type CallbackQuery struct {
	ID      string   `json:"id"`
	From    *User    `json:"from"`
	Message *Message `json:"message,omitempty"`
	Data    string   `json:"data,omitempty"`
}

// ChatMemberUpdated says the bot was added to, or blocked in, a chat.
type ChatMemberUpdated struct {
	Chat Chat `json:"chat"`
}

// User is a Telegram (or Bale) account.
type User struct {
	ID        int64  `json:"id"`
	IsBot     bool   `json:"is_bot,omitempty"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name,omitempty"`
	UserName  string `json:"username,omitempty"`
}

// Chat is a private chat, a group or a channel.
type Chat struct {
	ID   int64  `json:"id"`
	Type string `json:"type"`
}

// IsPrivate says whether the chat is one person's with the bot.
func (c *Chat) IsPrivate() bool { return c.Type == "private" }

// MessageEntity marks a part of a message's text (a command, a link).
type MessageEntity struct {
	Type   string `json:"type"`
	Offset int    `json:"offset"`
	Length int    `json:"length"`
}

// Document is a file sent as a file.
type Document struct {
	FileID   string `json:"file_id"`
	FileName string `json:"file_name,omitempty"`
	FileSize int    `json:"file_size,omitempty"`
}

// PhotoSize is one size of a photo. Telegram sends several, smallest
// first; each size is a file of its own.
type PhotoSize struct {
	FileID       string `json:"file_id"`
	FileUniqueID string `json:"file_unique_id"`
	Width        int    `json:"width"`
	Height       int    `json:"height"`
	FileSize     int    `json:"file_size,omitempty"`
}

// Location is a point on the earth, shared with the share-location
// button or picked on a map.
type Location struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
}

// Venue is a named place (a shop, an office) chosen from a list.
type Venue struct {
	Location Location `json:"location"`
	Title    string   `json:"title"`
	Address  string   `json:"address"`
}

// MessageOrigin says where a forwarded message came from.
type MessageOrigin struct {
	Type string `json:"type"` // "user", "hidden_user", "chat" or "channel"
	Date int64  `json:"date"`
}

// Contact is a phone number shared with the share-contact button.
type Contact struct {
	PhoneNumber string `json:"phone_number"`
	FirstName   string `json:"first_name"`
	UserID      int64  `json:"user_id,omitempty"`
}

// SentFrom is who sent the update, or nil.
func (u *Update) SentFrom() *User {
	switch {
	case u.Message != nil:
		return u.Message.From
	case u.EditedMessage != nil:
		return u.EditedMessage.From
	case u.CallbackQuery != nil:
		return u.CallbackQuery.From
	}
	return nil
}

// FromChat is the chat an update belongs to, or nil. A press whose message
// is absent (inline messages, some platforms) belongs to the presser's
// private chat.
func (u *Update) FromChat() *Chat {
	switch {
	case u.Message != nil:
		return u.Message.Chat
	case u.EditedMessage != nil:
		return u.EditedMessage.Chat
	case u.CallbackQuery != nil && u.CallbackQuery.Message != nil:
		return u.CallbackQuery.Message.Chat
	case u.CallbackQuery != nil && u.CallbackQuery.From != nil:
		return &Chat{ID: u.CallbackQuery.From.ID, Type: "private"}
	case u.MyChatMember != nil:
		return &u.MyChatMember.Chat
	}
	return nil
}

// Forwarded says whether the message was forwarded from another chat.
func (m *Message) Forwarded() bool { return m.ForwardOrigin != nil || m.ForwardDate != 0 }

// IsCommand says whether the message starts with a command ("/start").
func (m *Message) IsCommand() bool {
	return len(m.Entities) > 0 && m.Entities[0].Offset == 0 && m.Entities[0].Type == "bot_command"
}

// Command is the command without its slash and any "@botname", or "".
func (m *Message) Command() string {
	if !m.IsCommand() {
		return ""
	}
	cmd := m.Text[1:m.Entities[0].Length]
	if i := strings.IndexByte(cmd, '@'); i >= 0 {
		cmd = cmd[:i]
	}
	return cmd
}

// CommandArguments is the text after the command and the one character
// that follows it, or "".
func (m *Message) CommandArguments() string {
	if !m.IsCommand() || len(m.Text) == m.Entities[0].Length {
		return ""
	}
	return m.Text[m.Entities[0].Length+1:]
}
