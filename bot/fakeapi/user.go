package fakeapi

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"time"
)

type userState struct {
	info     *Account // shared by the user's messages: replaced, never mutated
	phone    string
	location *tgLocation // where the phone is, for request_location buttons
}

type chatState struct {
	chat      *tgChat      // immutable
	nextMsgID int          // message ids are per chat, shared by both sides
	msgs      []*msgRecord // every message, in order
	byID      map[int]*msgRecord
	botMsgs   []*msgRecord // the bot's messages, in order
	cursor    int          // botMsgs consumed by Next
	editSeen  map[int]int  // message id -> version consumed by WaitEdit
	replyKB   *tgReplyKeyboard
	actions   []string
	blocked   bool
	left      bool
	started   bool   // the user has written to the bot (Options.RequireStart)
	sig       signal // fired with stateSig when anything in this chat changes
}

func newChatState(c *tgChat) *chatState {
	return &chatState{chat: c, byID: map[int]*msgRecord{}, editSeen: map[int]int{}}
}

type callbackState struct {
	id       string
	userID   int64
	chatID   int64
	msgID    int
	data     string
	updateID int
	// confirmed: the update carrying the query was confirmed by the bot
	// (offset passed or webhook 2xx).
	confirmed bool
	answered  bool
	answer    CallbackAnswer
}

// User is a simulated Telegram user. It is a handle: cheap to copy and
// safe for concurrent use; the state lives in the Server.
type User struct {
	s  *Server
	id int64
}

// Chat is a handle on a chat (a user's private chat or a group), for
// reading what the bot did in it.
type Chat struct {
	s  *Server
	id int64
}

// User creates, or returns the existing, simulated user with this id
// (positive) and its private chat (chat id == user id).
func (s *Server) User(id int64, firstName string) *User {
	if id <= 0 {
		panic("fakeapi: user ids must be positive")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.users[id] == nil {
		if s.chats[id] != nil {
			panic(fmt.Sprintf("fakeapi: id %d is already used by a group", id))
		}
		s.users[id] = &userState{info: &Account{ID: id, FirstName: firstName}}
		s.chats[id] = newChatState(&tgChat{ID: id, Type: "private", FirstName: firstName})
	}
	return &User{s: s, id: id}
}

// Group creates, or returns, a group chat. Use negative ids, like Telegram.
// Every simulated user may write in it with SendTextIn.
func (s *Server) Group(id int64, title string) *Chat {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ch := s.chats[id]; ch == nil {
		if s.users[id] != nil {
			panic(fmt.Sprintf("fakeapi: id %d is already used by a user", id))
		}
		s.chats[id] = newChatState(&tgChat{ID: id, Type: "group", Title: title})
	}
	return &Chat{s: s, id: id}
}

// ID is the user's id (and private chat id).
func (u *User) ID() int64 { return u.id }

// Chat is the user's private chat with the bot.
func (u *User) Chat() *Chat { return &Chat{s: u.s, id: u.id} }

// Info is the user's account as the bot sees it in updates.
func (u *User) Info() Account {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	return *u.s.users[u.id].info
}

// SetPhone sets the number shared when the user taps a request_contact
// button. It is sent verbatim: Telegram clients send it with or without
// "+", and bots must cope with both.
func (u *User) SetPhone(phone string) {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	u.s.users[u.id].phone = phone
}

// SetLocation sets where the user's phone is: what a request_location
// button shares.
func (u *User) SetLocation(latitude, longitude float64) {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	u.s.users[u.id].location = &tgLocation{Latitude: latitude, Longitude: longitude}
}

// SetLanguageCode sets language_code in the user's updates.
func (u *User) SetLanguageCode(code string) {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	st := u.s.users[u.id]
	info := *st.info
	info.LanguageCode = code
	st.info = &info
}

// Block makes the bot's sends to this user fail with 403 "Forbidden: bot
// was blocked by the user" until Unblock.
func (u *User) Block() { u.setBlocked(true) }

// Unblock undoes Block.
func (u *User) Unblock() { u.setBlocked(false) }

func (u *User) setBlocked(b bool) {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	u.s.chats[u.id].blocked = b
}

// ErrTextTooLong refuses a message Telegram's clients would not send.
var ErrTextTooLong = fmt.Errorf("fakeapi: text longer than %d UTF-16 units", MaxTextLen)

// commandRE matches what Telegram marks as a bot_command entity.
var commandRE = regexp.MustCompile(`^/[A-Za-z0-9_]{1,64}(@[A-Za-z0-9_]{3,64})?`)

// SendText sends a text message to the bot and returns the update id. A
// text starting with a command gets a bot_command entity, as in Telegram.
func (u *User) SendText(text string) (int, error) { return u.SendTextIn(u.id, text) }

// SendTextIn sends a text message in a chat: the private chat or a group.
func (u *User) SendTextIn(chatID int64, text string) (int, error) {
	if strings.TrimSpace(text) == "" {
		return 0, errors.New("fakeapi: empty text")
	}
	if utf16Len(text) > MaxTextLen {
		return 0, ErrTextTooLong
	}
	return u.s.userSend(u.id, chatID, "text", func(m *tgMessage, rec *msgRecord) {
		m.Text = text
		if loc := commandRE.FindStringIndex(text); loc != nil {
			m.Entities = []tgEntity{{Type: "bot_command", Offset: 0, Length: loc[1]}}
		}
	})
}

// ShareContact sends a contact. ownerUserID becomes contact.user_id (0 =
// none): the user's own id means "my own number", as a request_contact
// button sends; another id imitates forwarding someone else's contact.
func (u *User) ShareContact(phone string, ownerUserID int64) (int, error) {
	if phone == "" {
		return 0, errors.New("fakeapi: empty phone number")
	}
	return u.s.userSend(u.id, u.id, "contact", func(m *tgMessage, _ *msgRecord) {
		c := &tgContact{PhoneNumber: phone, FirstName: "Contact", UserID: ownerUserID}
		if owner := u.s.users[ownerUserID]; owner != nil {
			c.FirstName, c.LastName = owner.info.FirstName, owner.info.LastName
		}
		m.Contact = c
	})
}

// ShareLocation sends a location: what a request_location button sends
// (see SetLocation), or a point picked on the map. Clients send only
// points on the earth.
func (u *User) ShareLocation(latitude, longitude float64) (int, error) {
	if !(latitude >= -90 && latitude <= 90 && longitude >= -180 && longitude <= 180) {
		return 0, fmt.Errorf("fakeapi: no such place: %v, %v", latitude, longitude)
	}
	return u.s.userSend(u.id, u.id, "location", func(m *tgMessage, _ *msgRecord) {
		m.Location = &tgLocation{Latitude: latitude, Longitude: longitude}
	})
}

// SendPhoto sends a small generated JPEG photo.
func (u *User) SendPhoto() (int, error) { return u.SendPhotoCaption("") }

// SendPhotoCaption sends a small generated JPEG photo with a caption. It
// comes in two sizes, as Telegram sends photos: a thumbnail first, then
// the original; each is a file of its own.
func (u *User) SendPhotoCaption(caption string) (int, error) {
	if utf16Len(caption) > maxCaptionLen {
		return 0, fmt.Errorf("fakeapi: caption longer than %d UTF-16 units", maxCaptionLen)
	}
	return u.s.userSend(u.id, u.id, kindPhoto, func(m *tgMessage, rec *msgRecord) {
		seed := u.s.fileSeq
		thumb := u.s.storeFileLocked(kindPhoto, "photo.jpg", "image/jpeg", sampleJPEG(seed, 32, 24))
		f := u.s.storeFileLocked(kindPhoto, "photo.jpg", "image/jpeg", sampleJPEG(seed, 64, 48))
		m.Photo = append(thumb.photoSizes(), f.photoSizes()...)
		m.Caption = caption
		rec.file = f
	})
}

// SendSticker sends a sticker (placeholder bytes, not a real image).
func (u *User) SendSticker() (int, error) {
	return u.s.userSend(u.id, u.id, kindSticker, func(m *tgMessage, rec *msgRecord) {
		f := u.s.storeFileLocked(kindSticker, "sticker.webp", "image/webp", []byte("RIFF\x00\x00\x00\x00WEBPVP8 "))
		m.Sticker = &tgSticker{FileID: f.id, FileUniqueID: f.uniqueID, Type: "regular", Width: 512, Height: 512, Emoji: "👍", FileSize: len(f.data)}
		rec.file = f
	})
}

// SendVoice sends a voice note (placeholder bytes).
func (u *User) SendVoice() (int, error) {
	return u.s.userSend(u.id, u.id, kindVoice, func(m *tgMessage, rec *msgRecord) {
		f := u.s.storeFileLocked(kindVoice, "voice.oga", "audio/ogg", []byte("OggS\x00\x02placeholder-voice"))
		m.Voice = &tgVoice{FileID: f.id, FileUniqueID: f.uniqueID, Duration: 2, MimeType: "audio/ogg", FileSize: len(f.data)}
		rec.file = f
	})
}

// SendDocument sends a file the bot can fetch with getFile and the file
// route. An empty mimeType is detected from the name.
func (u *User) SendDocument(name, mimeType string, data []byte) (int, error) {
	if len(data) == 0 {
		return 0, errors.New("fakeapi: empty document")
	}
	if mimeType == "" {
		mimeType = detectMIME(name, "", data)
	}
	data = append([]byte(nil), data...)
	return u.s.userSend(u.id, u.id, kindDocument, func(m *tgMessage, rec *msgRecord) {
		f := u.s.storeFileLocked(kindDocument, name, mimeType, data)
		m.Document = f.document()
		rec.file = f
	})
}

// userSend stores a user message and queues the update carrying it.
func (s *Server) userSend(userID, chatID int64, kind string, fill func(*tgMessage, *msgRecord)) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed() {
		return 0, errClosed
	}
	us := s.users[userID]
	ch := s.chats[chatID]
	switch {
	case us == nil:
		return 0, fmt.Errorf("fakeapi: unknown user %d", userID)
	case ch == nil:
		return 0, fmt.Errorf("fakeapi: unknown chat %d", chatID)
	case ch.chat.Type == "private" && chatID != userID:
		return 0, fmt.Errorf("fakeapi: user %d cannot write in the private chat of %d", userID, chatID)
	case ch.left:
		return 0, fmt.Errorf("fakeapi: the bot has left chat %d", chatID)
	}
	if ch.chat.Type == "private" {
		ch.started = true
	}
	ch.nextMsgID++
	rec := &msgRecord{kind: kind, tg: tgMessage{
		MessageID: ch.nextMsgID, From: us.info, Date: time.Now().Unix(), Chat: ch.chat,
	}}
	fill(&rec.tg, rec)
	s.addMessageLocked(ch, rec, nil)
	return s.enqueueLocked(tgUpdate{Message: rec.snapshot()}, chatID, ""), nil
}

// Press presses the inline button labelled label on message messageID (as
// the message currently is) and returns the callback query id without
// waiting for the bot. See WaitAnswer.
func (u *User) Press(messageID int, label string) (string, error) {
	s := u.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed() {
		return "", errClosed
	}
	ch := s.chats[u.id]
	rec := ch.byID[messageID]
	if rec == nil || !rec.fromBot {
		return "", fmt.Errorf("fakeapi: no bot message %d in chat %d", messageID, u.id)
	}
	if rec.deleted {
		return "", fmt.Errorf("fakeapi: message %d was deleted", messageID)
	}
	btn, ok := findInline(rec, label)
	if !ok {
		return "", fmt.Errorf("fakeapi: message %d has no button %q (buttons: %q)", messageID, label, rec.public().Buttons())
	}
	return s.pressLocked(u.id, ch, rec, btn)
}

// PressData sends a callback query with data of the caller's choosing from
// message messageID, as a modified client can: Telegram does not check that
// the data belongs to a button of that message. Tests use it to forge
// buttons (another record's id, an admin's action).
func (u *User) PressData(messageID int, data string) (string, error) {
	s := u.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed() {
		return "", errClosed
	}
	ch := s.chats[u.id]
	rec := ch.byID[messageID]
	if rec == nil || !rec.fromBot {
		return "", fmt.Errorf("fakeapi: no bot message %d in chat %d", messageID, u.id)
	}
	return s.pressLocked(u.id, ch, rec, tgInlineButton{Text: "(forged)", CallbackData: &data})
}

func findInline(rec *msgRecord, label string) (tgInlineButton, bool) {
	if rec.tg.ReplyMarkup == nil {
		return tgInlineButton{}, false
	}
	for _, row := range rec.tg.ReplyMarkup.InlineKeyboard {
		for _, b := range row {
			if b.Text == label {
				return b, true
			}
		}
	}
	return tgInlineButton{}, false
}

func (s *Server) pressLocked(userID int64, ch *chatState, rec *msgRecord, btn tgInlineButton) (string, error) {
	if btn.CallbackData == nil {
		target := ""
		if btn.URL != nil {
			target = " (it opens " + *btn.URL + ")"
		}
		return "", fmt.Errorf("fakeapi: button %q is not a callback button%s", btn.Text, target)
	}
	var id string
	for id == "" || s.callbacks[id] != nil {
		id = strconv.FormatUint(rand.Uint64(), 10)
	}
	cq := &tgCallbackQuery{
		ID:           id,
		From:         s.users[userID].info,
		Message:      rec.snapshot(),
		ChatInstance: strconv.FormatInt(ch.chat.ID*7919+int64(s.bot.ID), 10),
		Data:         *btn.CallbackData,
	}
	updID := s.enqueueLocked(tgUpdate{CallbackQuery: cq}, ch.chat.ID, id)
	s.callbacks[id] = &callbackState{id: id, userID: userID, chatID: ch.chat.ID, msgID: rec.tg.MessageID, data: cq.Data, updateID: updID}
	s.cbOrder = append(s.cbOrder, id)
	return id, nil
}

// Tap acts on what the user sees. If the newest bot message showing an
// inline button labelled label exists, Tap presses it and waits up to
// timeout for the bot's answerCallbackQuery. Otherwise, if the current
// reply keyboard (the last one the bot sent, until removed) has the button,
// Tap sends its text as a message — or the user's own contact (see
// SetPhone) for a request_contact button, their location (see
// SetLocation) for a request_location one — and returns a zero answer.
func (u *User) Tap(label string, timeout time.Duration) (CallbackAnswer, error) {
	s := u.s
	s.mu.Lock()
	if s.closed() {
		s.mu.Unlock()
		return CallbackAnswer{}, errClosed
	}
	ch := s.chats[u.id]
	for i := len(ch.botMsgs) - 1; i >= 0; i-- {
		rec := ch.botMsgs[i]
		if rec.deleted {
			continue
		}
		if btn, ok := findInline(rec, label); ok {
			id, err := s.pressLocked(u.id, ch, rec, btn)
			s.mu.Unlock()
			if err != nil {
				return CallbackAnswer{}, err
			}
			return s.WaitAnswer(id, timeout)
		}
	}
	var reply *tgKeyboardButton
	if ch.replyKB != nil {
		for _, row := range ch.replyKB.Keyboard {
			for _, b := range row {
				if b.Text == label && reply == nil {
					reply = &b
				}
			}
		}
	}
	phone, loc := s.users[u.id].phone, s.users[u.id].location
	visible := u.visibleLabelsLocked(ch)
	s.mu.Unlock()

	switch {
	case reply == nil:
		return CallbackAnswer{}, fmt.Errorf("fakeapi: no button %q visible to user %d (%s)", label, u.id, visible)
	case reply.RequestContact:
		if phone == "" {
			return CallbackAnswer{}, fmt.Errorf("fakeapi: button %q requests the contact but user %d has no phone (SetPhone)", label, u.id)
		}
		_, err := u.ShareContact(phone, u.id)
		return CallbackAnswer{}, err
	case reply.RequestLocation:
		if loc == nil {
			return CallbackAnswer{}, fmt.Errorf("fakeapi: button %q requests the location but user %d has none (SetLocation)", label, u.id)
		}
		_, err := u.ShareLocation(loc.Latitude, loc.Longitude)
		return CallbackAnswer{}, err
	default:
		_, err := u.SendText(label)
		return CallbackAnswer{}, err
	}
}

func (u *User) visibleLabelsLocked(ch *chatState) string {
	var inline []string
	for _, rec := range ch.botMsgs {
		if !rec.deleted {
			inline = append(inline, rec.public().Buttons()...)
		}
	}
	var reply []string
	if ch.replyKB != nil {
		for _, row := range ch.replyKB.Keyboard {
			for _, b := range row {
				reply = append(reply, b.Text)
			}
		}
	}
	return fmt.Sprintf("inline: %q, reply keyboard: %q", inline, reply)
}

// WaitAnswer waits until the bot answers callback query id.
func (s *Server) WaitAnswer(callbackID string, timeout time.Duration) (CallbackAnswer, error) {
	var ans CallbackAnswer
	var known bool
	wake := func() *signal {
		if cb := s.callbacks[callbackID]; cb != nil {
			return &s.chats[cb.chatID].sig // answers fire the chat's signal
		}
		return &s.stateSig
	}
	ok := s.waitState(timeout, wake, func() bool {
		cb := s.callbacks[callbackID]
		known = cb != nil
		if cb != nil && cb.answered {
			ans = cb.answer
			return true
		}
		return false
	})
	if ok {
		return ans, nil
	}
	if !known {
		return ans, fmt.Errorf("fakeapi: unknown callback query %s", callbackID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cb := s.callbacks[callbackID]
	return ans, fmt.Errorf("fakeapi: callback query %s (data %q) not answered within %v%s",
		callbackID, cb.data, timeout, s.recentErrorsLocked(3))
}

// Unanswered lists the callback queries the bot received and confirmed
// (offset passed or webhook 2xx) but never answered, oldest first.
func (s *Server) Unanswered() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.unansweredLocked()
}

func (s *Server) unansweredLocked() []string {
	var out []string
	for _, id := range s.cbOrder {
		if cb := s.callbacks[id]; cb.confirmed && !cb.answered {
			out = append(out, id)
		}
	}
	return out
}

// CheckCallbacksAnswered waits up to grace for every confirmed callback
// query to be answered, then reports the ones that were not. Meant for
// t.Cleanup: Telegram clients show a spinner until the bot answers.
func (s *Server) CheckCallbacksAnswered(grace time.Duration) error {
	wake := func() *signal { return &s.stateSig }
	if s.waitState(grace, wake, func() bool { return len(s.unansweredLocked()) == 0 }) {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := s.unansweredLocked()
	if len(ids) == 0 {
		return nil
	}
	var parts []string
	for _, id := range ids {
		cb := s.callbacks[id]
		parts = append(parts, fmt.Sprintf("%s (data %q on message %d in chat %d)", id, cb.data, cb.msgID, cb.chatID))
	}
	return fmt.Errorf("fakeapi: %d callback queries received but never answered with answerCallbackQuery: %s",
		len(ids), strings.Join(parts, ", "))
}

// waitState waits until cond (evaluated with the server mutex held) holds,
// the timeout passes or the server closes. It reports whether cond held.
// wake (also called with the mutex held) names the signal that fires when
// cond may have changed: the chat's for a wait on one chat.
func (s *Server) waitState(timeout time.Duration, wake func() *signal, cond func() bool) bool {
	t := time.NewTimer(timeout)
	defer t.Stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		if cond() {
			return true
		}
		woken := wake().C()
		s.mu.Unlock()
		select {
		case <-woken:
			s.mu.Lock()
		case <-t.C:
			s.mu.Lock()
			return cond()
		case <-s.done:
			s.mu.Lock()
			return cond()
		}
	}
}

// --- receiving side, on chats ---

// ID is the chat id.
func (c *Chat) ID() int64 { return c.id }

func (c *Chat) state() *chatState { return c.s.chats[c.id] }

// signal is the chat's change signal, for waitState.
func (c *Chat) signal() *signal { return &c.state().sig }

// Next returns the next message the bot sent in this chat that has not been
// returned by Next yet, waiting up to timeout. Edits do not count as new
// messages, but the returned snapshot has them applied.
func (c *Chat) Next(timeout time.Duration) (Message, error) {
	var msg Message
	ok := c.s.waitState(timeout, c.signal, func() bool {
		ch := c.state()
		if ch.cursor >= len(ch.botMsgs) {
			return false
		}
		msg = ch.botMsgs[ch.cursor].public()
		ch.cursor++
		return true
	})
	if ok {
		return msg, nil
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	return Message{}, fmt.Errorf("fakeapi: no new bot message in chat %d within %v%s", c.id, timeout, c.s.recentErrorsLocked(3))
}

// Messages returns the bot's messages in this chat, with edits applied and
// deleted ones marked.
func (c *Chat) Messages() []Message {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	var out []Message
	for _, rec := range c.state().botMsgs {
		out = append(out, rec.public())
	}
	return out
}

// Transcript returns every message in the chat, the user's included.
func (c *Chat) Transcript() []Message {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	var out []Message
	for _, rec := range c.state().msgs {
		out = append(out, rec.public())
	}
	return out
}

// Message returns a message of the chat by id.
func (c *Chat) Message(id int) (Message, bool) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	if rec := c.state().byID[id]; rec != nil {
		return rec.public(), true
	}
	return Message{}, false
}

// LastMessage returns the newest bot message that is not deleted.
func (c *Chat) LastMessage() (Message, bool) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	msgs := c.state().botMsgs
	for i := len(msgs) - 1; i >= 0; i-- {
		if !msgs[i].deleted {
			return msgs[i].public(), true
		}
	}
	return Message{}, false
}

// WaitEdit waits until message id changes (edit or deletion) in a way not
// yet reported by WaitEdit, so an edit that happened before the call is
// returned at once, and each edit is reported once.
func (c *Chat) WaitEdit(id int, timeout time.Duration) (Message, error) {
	var msg Message
	var exists bool
	ok := c.s.waitState(timeout, c.signal, func() bool {
		ch := c.state()
		rec := ch.byID[id]
		exists = rec != nil
		if rec == nil || rec.version <= ch.editSeen[id] {
			return false
		}
		ch.editSeen[id] = rec.version
		msg = rec.public()
		return true
	})
	if ok {
		return msg, nil
	}
	if !exists {
		return Message{}, fmt.Errorf("fakeapi: no message %d in chat %d", id, c.id)
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	return Message{}, fmt.Errorf("fakeapi: message %d in chat %d not edited within %v%s", id, c.id, timeout, c.s.recentErrorsLocked(3))
}

// Actions lists the chat actions (sendChatAction) the bot sent, in order.
func (c *Chat) Actions() []string {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	return append([]string(nil), c.state().actions...)
}

// ReplyKeyboard is the reply keyboard currently shown (nil if none).
func (c *Chat) ReplyKeyboard() [][]ReplyButton {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	kb := c.state().replyKB
	if kb == nil {
		return nil
	}
	var out [][]ReplyButton
	for _, row := range kb.Keyboard {
		var r []ReplyButton
		for _, b := range row {
			r = append(r, ReplyButton{Text: b.Text, RequestContact: b.RequestContact, RequestLocation: b.RequestLocation})
		}
		out = append(out, r)
	}
	return out
}

// Left reports whether the bot left the chat (leaveChat).
func (c *Chat) Left() bool {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	return c.state().left
}

// Receiving-side shortcuts on the user's private chat.

// Next: see Chat.Next.
func (u *User) Next(timeout time.Duration) (Message, error) { return u.Chat().Next(timeout) }

// Messages: see Chat.Messages.
func (u *User) Messages() []Message { return u.Chat().Messages() }

// Transcript: see Chat.Transcript.
func (u *User) Transcript() []Message { return u.Chat().Transcript() }

// Message: see Chat.Message.
func (u *User) Message(id int) (Message, bool) { return u.Chat().Message(id) }

// LastMessage: see Chat.LastMessage.
func (u *User) LastMessage() (Message, bool) { return u.Chat().LastMessage() }

// WaitEdit: see Chat.WaitEdit.
func (u *User) WaitEdit(messageID int, timeout time.Duration) (Message, error) {
	return u.Chat().WaitEdit(messageID, timeout)
}

// Actions: see Chat.Actions.
func (u *User) Actions() []string { return u.Chat().Actions() }

// ReplyKeyboard: see Chat.ReplyKeyboard.
func (u *User) ReplyKeyboard() [][]ReplyButton { return u.Chat().ReplyKeyboard() }
