package fakeapi

import (
	"context"
	"encoding/json"
	"strings"
	"time"
)

type methodFunc func(s *Server, ctx context.Context, req *request) (any, error)

type method struct {
	name string
	fn   methodFunc
}

// methods maps lower-case names to handlers: Telegram method names are
// case-insensitive.
var methods = func() map[string]*method {
	m := map[string]*method{}
	for name, fn := range map[string]methodFunc{
		"getMe":                  (*Server).getMe,
		"getUpdates":             (*Server).getUpdates,
		"setWebhook":             (*Server).setWebhook,
		"deleteWebhook":          (*Server).deleteWebhook,
		"getWebhookInfo":         (*Server).getWebhookInfo,
		"sendMessage":            (*Server).sendMessage,
		"editMessageText":        (*Server).editMessageText,
		"editMessageCaption":     (*Server).editMessageCaption,
		"editMessageReplyMarkup": (*Server).editMessageReplyMarkup,
		"deleteMessage":          (*Server).deleteMessage,
		"answerCallbackQuery":    (*Server).answerCallbackQuery,
		"setMyCommands":          (*Server).setMyCommands,
		"getMyCommands":          (*Server).getMyCommands,
		"deleteMyCommands":       (*Server).deleteMyCommands,
		"sendChatAction":         (*Server).sendChatAction,
		"sendDocument":           (*Server).sendDocument,
		"sendPhoto":              (*Server).sendPhoto,
		"getFile":                func(s *Server, _ context.Context, req *request) (any, error) { return s.getFile(req) },
		"getChat":                (*Server).getChat,
		"leaveChat":              (*Server).leaveChat,
	} {
		m[strings.ToLower(name)] = &method{name: name, fn: fn}
	}
	return m
}()

// methodsByName has the methods under their own names, as bots spell
// them, to find them without lowering the case.
var methodsByName = func() map[string]*method {
	m := map[string]*method{}
	for _, meth := range methods {
		m[meth.name] = meth
	}
	return m
}()

func lookupMethod(name string) *method {
	if m := methodsByName[name]; m != nil {
		return m
	}
	return methods[strings.ToLower(name)]
}

func (s *Server) getMe(context.Context, *request) (any, error) { return s.bot, nil }

// botChatLocked finds a chat the bot may act in.
func (s *Server) botChatLocked(chatID int64) (*chatState, *apiError) {
	ch := s.chats[chatID]
	switch {
	case ch == nil:
		return nil, badRequest("chat not found")
	case ch.blocked:
		return nil, errBlocked
	case ch.left:
		return nil, &apiError{Code: 403, Description: "Forbidden: bot is not a member of the group chat"}
	case s.opts.RequireStart && ch.chat.Type == "private" && !ch.started:
		return nil, &apiError{Code: 403, Description: "Forbidden: bot can't initiate conversation with a user"}
	}
	return ch, nil
}

// newBotMessageLocked prepares (but does not store) a bot message,
// resolving reply_to_message_id.
func (s *Server) newBotMessageLocked(ch *chatState, req *request, kind string) (*msgRecord, *apiError) {
	rec := &msgRecord{fromBot: true, kind: kind}
	replyTo, err := req.integer("reply_to_message_id", 0)
	if err != nil {
		return nil, err
	}
	if replyTo != 0 {
		if orig := ch.byID[int(replyTo)]; orig != nil && !orig.deleted {
			rec.tg.ReplyToMessage = orig.snapshot()
			rec.tg.ReplyToMessage.ReplyToMessage = nil
		} else if !req.boolean("allow_sending_without_reply") {
			return nil, badRequest("message to be replied not found")
		}
	}
	ch.nextMsgID++
	rec.tg.MessageID = ch.nextMsgID
	rec.tg.From = &s.bot // never changed: shared
	rec.tg.Chat = ch.chat
	rec.tg.Date = time.Now().Unix()
	return rec, nil
}

func (s *Server) addMessageLocked(ch *chatState, rec *msgRecord, mk *markup) {
	if mk != nil {
		rec.tg.ReplyMarkup = mk.inline
		if mk.reply != nil {
			rec.reply = mk.reply
			ch.replyKB = mk.reply
		}
		if mk.remove {
			rec.remove = true
			ch.replyKB = nil
		}
		rec.force = mk.forceReply
	}
	ch.msgs = append(ch.msgs, rec)
	ch.byID[rec.tg.MessageID] = rec
	if rec.fromBot {
		ch.botMsgs = append(ch.botMsgs, rec)
	}
	s.chatChangedLocked(ch)
}

// checkText renders and validates a message text or caption.
func checkText(text, parseMode string, caption bool) (string, *apiError) {
	if !caption && strings.TrimSpace(text) == "" {
		return "", badRequest("message text is empty")
	}
	plain, err := renderText(text, parseMode)
	if err != nil {
		return "", err
	}
	if caption {
		if utf16Len(plain) > maxCaptionLen {
			return "", badRequest("message caption is too long")
		}
		return plain, nil
	}
	if strings.TrimSpace(plain) == "" {
		return "", badRequest("message text is empty")
	}
	if utf16Len(plain) > MaxTextLen {
		return "", badRequest("message is too long")
	}
	return plain, nil
}

func (s *Server) sendMessage(_ context.Context, req *request) (any, error) {
	chatID, err := req.chatID()
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, err := s.botChatLocked(chatID)
	if err != nil {
		return nil, err
	}
	text, mode := req.str("text"), req.str("parse_mode")
	plain, err := checkText(text, mode, false)
	if err != nil {
		return nil, err
	}
	mk, err := parseMarkup(req.str("reply_markup"), false)
	if err != nil {
		return nil, err
	}
	rec, err := s.newBotMessageLocked(ch, req, "text")
	if err != nil {
		return nil, err
	}
	rec.tg.Text = plain
	s.addMessageLocked(ch, rec, mk)
	return rec.snapshot(), nil
}

func (s *Server) sendDocument(_ context.Context, req *request) (any, error) {
	return s.sendFile(req, kindDocument)
}

func (s *Server) sendPhoto(_ context.Context, req *request) (any, error) {
	return s.sendFile(req, kindPhoto)
}

func (s *Server) sendFile(req *request, kind string) (any, error) {
	chatID, err := req.chatID()
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, err := s.botChatLocked(chatID)
	if err != nil {
		return nil, err
	}
	caption, mode := req.str("caption"), req.str("parse_mode")
	plain, err := checkText(caption, mode, true)
	if err != nil {
		return nil, err
	}
	mk, err := parseMarkup(req.str("reply_markup"), false)
	if err != nil {
		return nil, err
	}
	f, err := s.resolveInputFileLocked(req, kind, kind)
	if err != nil {
		return nil, err
	}
	rec, err := s.newBotMessageLocked(ch, req, kind)
	if err != nil {
		return nil, err
	}
	rec.file = f
	rec.tg.Caption = plain
	if kind == kindPhoto {
		rec.tg.Photo = f.photoSizes()
	} else {
		rec.tg.Document = f.document()
	}
	s.addMessageLocked(ch, rec, mk)
	return rec.snapshot(), nil
}

var errNotModified = badRequest("message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message")

// editTargetLocked finds the bot message an edit method refers to.
func (s *Server) editTargetLocked(req *request) (*msgRecord, *apiError) {
	chatID, err := req.chatID()
	if err != nil {
		return nil, err
	}
	msgID, err := req.messageID()
	if err != nil {
		return nil, err
	}
	ch, err := s.botChatLocked(chatID)
	if err != nil {
		return nil, err
	}
	rec := ch.byID[msgID]
	if rec == nil || rec.deleted {
		return nil, badRequest("message to edit not found")
	}
	if !rec.fromBot {
		return nil, badRequest("message can't be edited")
	}
	return rec, nil
}

func (s *Server) markEditedLocked(rec *msgRecord) {
	now := time.Now()
	rec.edited, rec.editDate = true, now
	rec.tg.EditDate = now.Unix()
	rec.version++
	s.chatChangedLocked(s.chats[rec.tg.Chat.ID])
}

// editMessageText replaces text and inline keyboard. As in Telegram, an
// absent reply_markup removes the keyboard.
func (s *Server) editMessageText(_ context.Context, req *request) (any, error) {
	return s.editWords(req, false)
}

// editMessageCaption is editMessageText for a document's or photo's caption.
func (s *Server) editMessageCaption(_ context.Context, req *request) (any, error) {
	return s.editWords(req, true)
}

// editWords replaces a message's text (or caption) and inline keyboard.
func (s *Server) editWords(req *request, caption bool) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, err := s.editTargetLocked(req)
	if err != nil {
		return nil, err
	}
	field, cur := "text", &rec.tg.Text
	if caption {
		field, cur = "caption", &rec.tg.Caption
	}
	if (rec.kind == "text") == caption {
		return nil, badRequest("there is no %s in the message to edit", field)
	}
	words, mode := req.str(field), req.str("parse_mode")
	plain, err := checkText(words, mode, caption)
	if err != nil {
		return nil, err
	}
	mk, err := parseMarkup(req.str("reply_markup"), true)
	if err != nil {
		return nil, err
	}
	var kb *tgInlineKeyboard
	if mk != nil {
		kb = mk.inline
	}
	if plain == *cur && sameInline(kb, rec.tg.ReplyMarkup) {
		return nil, errNotModified
	}
	*cur = plain
	rec.tg.ReplyMarkup = kb
	s.markEditedLocked(rec)
	return rec.snapshot(), nil
}

func (s *Server) editMessageReplyMarkup(_ context.Context, req *request) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, err := s.editTargetLocked(req)
	if err != nil {
		return nil, err
	}
	mk, err := parseMarkup(req.str("reply_markup"), true)
	if err != nil {
		return nil, err
	}
	var kb *tgInlineKeyboard
	if mk != nil {
		kb = mk.inline
	}
	if sameInline(kb, rec.tg.ReplyMarkup) {
		return nil, errNotModified
	}
	rec.tg.ReplyMarkup = kb
	s.markEditedLocked(rec)
	return rec.snapshot(), nil
}

func (s *Server) deleteMessage(_ context.Context, req *request) (any, error) {
	chatID, err := req.chatID()
	if err != nil {
		return nil, err
	}
	msgID, err := req.messageID()
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, err := s.botChatLocked(chatID)
	if err != nil {
		return nil, err
	}
	rec := ch.byID[msgID]
	if rec == nil || rec.deleted {
		return nil, badRequest("message to delete not found")
	}
	rec.deleted = true
	rec.version++
	s.chatChangedLocked(ch)
	return true, nil
}

func (s *Server) answerCallbackQuery(_ context.Context, req *request) (any, error) {
	id := req.str("callback_query_id")
	cacheTime, err := req.integer("cache_time", 0)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cb := s.callbacks[id]
	if cb == nil || cb.answered {
		return nil, badRequest("query is too old and response timeout expired or query ID is invalid")
	}
	if utf16Len(req.str("text")) > 200 {
		return nil, badRequest("MESSAGE_TOO_LONG")
	}
	cb.answered = true
	cb.answer = CallbackAnswer{Text: req.str("text"), ShowAlert: req.boolean("show_alert"), URL: req.str("url"), CacheTime: int(cacheTime)}
	s.chatChangedLocked(s.chats[cb.chatID])
	return true, nil
}

var chatActions = map[string]bool{
	"typing": true, "upload_photo": true, "record_video": true, "upload_video": true,
	"record_voice": true, "upload_voice": true, "upload_document": true, "choose_sticker": true,
	"find_location": true, "record_video_note": true, "upload_video_note": true,
}

func (s *Server) sendChatAction(_ context.Context, req *request) (any, error) {
	chatID, err := req.chatID()
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, err := s.botChatLocked(chatID)
	if err != nil {
		return nil, err
	}
	action := req.str("action")
	if !chatActions[action] {
		return nil, badRequest("wrong parameter action in request")
	}
	ch.actions = append(ch.actions, action)
	s.chatChangedLocked(ch)
	return true, nil
}

func (s *Server) getChat(_ context.Context, req *request) (any, error) {
	chatID, err := req.chatID()
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.chats[chatID]
	if ch == nil {
		return nil, badRequest("chat not found")
	}
	return ch.chat, nil
}

func (s *Server) leaveChat(_ context.Context, req *request) (any, error) {
	chatID, err := req.chatID()
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, err := s.botChatLocked(chatID)
	if err != nil {
		return nil, err
	}
	if ch.chat.Type == "private" {
		return nil, badRequest("chat member status can't be changed in private chats")
	}
	ch.left = true
	s.chatChangedLocked(ch)
	return true, nil
}

// commandEntry is one setMyCommands call still in effect.
type commandEntry struct {
	scope CommandScope
	lang  string
	cmds  []Command
	seq   int
}

var scopeTypes = map[string]bool{
	"default": true, "all_private_chats": true, "all_group_chats": true,
	"all_chat_administrators": true, "chat": true, "chat_administrators": true, "chat_member": true,
}

// commandScope parses scope and language_code, keeping only the fields
// that matter for the scope type so lookups can compare exactly.
func (s *Server) commandScopeLocked(req *request) (CommandScope, string, *apiError) {
	var sc CommandScope
	if raw := strings.TrimSpace(req.str("scope")); raw != "" {
		if err := json.Unmarshal([]byte(raw), &sc); err != nil {
			return sc, "", badRequest("can't parse BotCommandScope JSON object")
		}
	}
	sc = normalizeScope(sc)
	if !scopeTypes[sc.Type] {
		return sc, "", badRequest("wrong bot command scope type specified")
	}
	if strings.HasPrefix(sc.Type, "chat") {
		if s.chats[sc.ChatID] == nil {
			return sc, "", badRequest("chat not found")
		}
		if sc.Type == "chat_member" && s.users[sc.UserID] == nil {
			return sc, "", badRequest("user not found")
		}
	}
	lang := req.str("language_code")
	if lang != "" && (len(lang) != 2 || !isASCIIAlnum(lang[0]) || !isASCIIAlnum(lang[1])) {
		return sc, "", badRequest("invalid language code specified")
	}
	return sc, lang, nil
}

func normalizeScope(sc CommandScope) CommandScope {
	if sc.Type == "" {
		sc.Type = "default"
	}
	if !strings.HasPrefix(sc.Type, "chat") {
		sc.ChatID = 0
	}
	if sc.Type != "chat_member" {
		sc.UserID = 0
	}
	return sc
}

func (s *Server) setMyCommands(_ context.Context, req *request) (any, error) {
	raw := strings.TrimSpace(req.str("commands"))
	if raw == "" {
		return nil, badRequest("parameter \"commands\" is required")
	}
	var cmds []Command
	if err := json.Unmarshal([]byte(raw), &cmds); err != nil {
		return nil, badRequest("can't parse commands JSON object")
	}
	if len(cmds) > 100 {
		return nil, badRequest("BOT_COMMANDS_TOO_MUCH")
	}
	for _, c := range cmds {
		if !commandNameRE.MatchString(c.Command) {
			return nil, badRequest("BOT_COMMAND_INVALID")
		}
		if n := utf16Len(strings.TrimSpace(c.Description)); n < 1 || n > 256 {
			return nil, badRequest("BOT_COMMAND_DESCRIPTION_INVALID")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sc, lang, err := s.commandScopeLocked(req)
	if err != nil {
		return nil, err
	}
	s.removeCommandsLocked(sc, lang)
	if len(cmds) > 0 { // an empty list is a deletion
		s.cmdSeq++
		s.commands = append(s.commands, &commandEntry{scope: sc, lang: lang, cmds: cmds, seq: s.cmdSeq})
	}
	return true, nil
}

func (s *Server) removeCommandsLocked(sc CommandScope, lang string) {
	kept := s.commands[:0]
	for _, e := range s.commands {
		if e.scope != sc || e.lang != lang {
			kept = append(kept, e)
		}
	}
	s.commands = kept
}

func (s *Server) getMyCommands(_ context.Context, req *request) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sc, lang, err := s.commandScopeLocked(req)
	if err != nil {
		return nil, err
	}
	out := []Command{}
	for _, e := range s.commands {
		if e.scope == sc && e.lang == lang {
			out = append(out, e.cmds...)
		}
	}
	return out, nil
}

func (s *Server) deleteMyCommands(_ context.Context, req *request) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sc, lang, err := s.commandScopeLocked(req)
	if err != nil {
		return nil, err
	}
	s.removeCommandsLocked(sc, lang)
	return true, nil
}

// Commands returns the commands of the most recent setMyCommands still in
// effect for scope (matched exactly by type, chat_id and user_id; a zero
// scope means "default"), whatever its language_code. Nil if none.
func (s *Server) Commands(scope CommandScope) []Command {
	sc := normalizeScope(scope)
	s.mu.Lock()
	defer s.mu.Unlock()
	var best *commandEntry
	for _, e := range s.commands {
		if e.scope == sc && (best == nil || e.seq > best.seq) {
			best = e
		}
	}
	if best == nil {
		return nil
	}
	return append([]Command(nil), best.cmds...)
}

// CommandsFor is Commands for one language_code ("" = no language).
func (s *Server) CommandsFor(scope CommandScope, languageCode string) []Command {
	sc := normalizeScope(scope)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.commands {
		if e.scope == sc && e.lang == languageCode {
			return append([]Command(nil), e.cmds...)
		}
	}
	return nil
}

func isASCIIAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
