package fakeapi

import "time"

// Message is a snapshot of a chat message as the user sees it, with edits
// applied. It is a plain value: later changes do not affect it.
type Message struct {
	ID      int
	ChatID  int64
	FromBot bool
	From    int64 // sender's user id (the bot's id for bot messages)
	Date    time.Time
	// Kind is "text", "document", "photo", "contact", "location", "sticker"
	// or "voice".
	Kind string

	Text    string // what the user reads
	Caption string

	InlineKeyboard [][]Button
	ReplyKeyboard  [][]ReplyButton // a reply keyboard sent with this message
	RemoveKeyboard bool            // the message removed the reply keyboard
	ForceReply     bool

	Document *Attachment
	Photo    *Attachment
	Phone    string    // contact messages
	Location *Location // location messages

	ReplyTo  int // id of the message replied to, 0 if none
	Edited   bool
	EditDate time.Time
	Deleted  bool
}

// Button is an inline keyboard button.
type Button struct {
	Text string
	Data string // callback_data
	URL  string
}

// ReplyButton is a reply keyboard button.
type ReplyButton struct {
	Text            string
	RequestContact  bool
	RequestLocation bool
}

// Location is a point shared in a location message.
type Location struct {
	Latitude, Longitude float64
}

// Attachment is a file in a message, with its bytes.
type Attachment struct {
	FileID       string
	FileUniqueID string
	Name         string
	MIME         string
	Data         []byte
	Width        int // photos
	Height       int
}

// CallbackAnswer is what the bot passed to answerCallbackQuery.
type CallbackAnswer struct {
	Text      string
	ShowAlert bool
	URL       string
	CacheTime int
}

// Buttons lists the labels of the inline buttons, row by row.
func (m Message) Buttons() []string {
	var out []string
	for _, row := range m.InlineKeyboard {
		for _, b := range row {
			out = append(out, b.Text)
		}
	}
	return out
}

// ReplyButtons lists the labels of the reply keyboard sent with the message.
func (m Message) ReplyButtons() []string {
	var out []string
	for _, row := range m.ReplyKeyboard {
		for _, b := range row {
			out = append(out, b.Text)
		}
	}
	return out
}

// Button finds an inline button by label.
func (m Message) Button(label string) (Button, bool) {
	for _, row := range m.InlineKeyboard {
		for _, b := range row {
			if b.Text == label {
				return b, true
			}
		}
	}
	return Button{}, false
}

// msgRecord is the server's copy of a message. tg is kept up to date and is
// what the Bot API returns; values pointed to from tg are never mutated in
// place (edits swap pointers), so shallow copies may be marshalled after
// the lock is released.
type msgRecord struct {
	tg       tgMessage
	fromBot  bool
	kind     string
	reply    *tgReplyKeyboard
	remove   bool
	force    bool
	file     *storedFile // document or photo
	edited   bool
	editDate time.Time
	deleted  bool
	version  int // bumped on every edit or deletion, for WaitEdit
}

func (r *msgRecord) public() Message {
	m := Message{
		ID:             r.tg.MessageID,
		ChatID:         r.tg.Chat.ID,
		FromBot:        r.fromBot,
		Date:           time.Unix(r.tg.Date, 0),
		Kind:           r.kind,
		Text:           r.tg.Text,
		Caption:        r.tg.Caption,
		RemoveKeyboard: r.remove,
		ForceReply:     r.force,
		Edited:         r.edited,
		EditDate:       r.editDate,
		Deleted:        r.deleted,
	}
	if r.tg.From != nil {
		m.From = r.tg.From.ID
	}
	if r.tg.ReplyToMessage != nil {
		m.ReplyTo = r.tg.ReplyToMessage.MessageID
	}
	if r.tg.Contact != nil {
		m.Phone = r.tg.Contact.PhoneNumber
	}
	if l := r.tg.Location; l != nil {
		m.Location = &Location{Latitude: l.Latitude, Longitude: l.Longitude}
	}
	if r.tg.ReplyMarkup != nil && len(r.tg.ReplyMarkup.InlineKeyboard) > 0 {
		m.InlineKeyboard = make([][]Button, 0, len(r.tg.ReplyMarkup.InlineKeyboard))
		for _, row := range r.tg.ReplyMarkup.InlineKeyboard {
			var out []Button
			if len(row) > 0 {
				out = make([]Button, 0, len(row))
			}
			for _, b := range row {
				btn := Button{Text: b.Text}
				if b.CallbackData != nil {
					btn.Data = *b.CallbackData
				}
				if b.URL != nil {
					btn.URL = *b.URL
				}
				out = append(out, btn)
			}
			m.InlineKeyboard = append(m.InlineKeyboard, out)
		}
	}
	if r.reply != nil {
		for _, row := range r.reply.Keyboard {
			var out []ReplyButton
			for _, b := range row {
				out = append(out, ReplyButton{Text: b.Text, RequestContact: b.RequestContact, RequestLocation: b.RequestLocation})
			}
			m.ReplyKeyboard = append(m.ReplyKeyboard, out)
		}
	}
	if f := r.file; f != nil {
		a := &Attachment{
			FileID: f.id, FileUniqueID: f.uniqueID, Name: f.name, MIME: f.mime,
			Data: append([]byte(nil), f.data...), Width: f.width, Height: f.height,
		}
		switch f.kind {
		case kindPhoto:
			m.Photo = a
		case kindDocument:
			m.Document = a
		}
	}
	return m
}

// snapshot is a shallow copy safe to marshal outside the lock.
func (r *msgRecord) snapshot() *tgMessage {
	m := r.tg
	return &m
}
