package bot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rasad-gov/rasad/bot/transport"
	"github.com/rasad-gov/rasad/domain"
)

// The engine runs every Flow: it keeps the session in Redis, asks each step,
// checks answers with the step's parser, offers back, cancel and a review
// with edit per field, and submits once.

// errStateChanged means another update of the same chat changed the session
// first; the whole update is handled again against the new state.
var errStateChanged = errors.New("conversation state changed concurrently")

const maxTextInput = 500 // runes; longer text is refused, not cut

func stateKey(chat int64) string { return "chat:" + strconv.FormatInt(chat, 10) }

// StateKey is where chat's session is stored; the runtime reads it with
// the chat's lock.
func (b *Bot) StateKey(chat int64) string { return stateKey(chat) }

// sessionData is the chat's stored session: as the runtime read it ahead
// of this update (used once: a retry loads afresh), or loaded now. One
// that went stale meanwhile (another replica) fails the compare-and-set on
// save and the update is handled again on a fresh load.
func (b *Bot) sessionData(c *Ctx) ([]byte, int64, error) {
	if st := c.prefetched; st != nil {
		c.prefetched = nil
		return st.Data, st.Version, nil
	}
	return b.states.LoadState(c, stateKey(c.Chat))
}

// Prepare loads the sessions of a batch's chats at once, for the runtime
// to pass to Handle. A failure is left to each update's own load.
func (b *Bot) Prepare(ctx context.Context, chats []int64) []transport.State {
	keys := make([]string, len(chats))
	for i, chat := range chats {
		keys[i] = stateKey(chat)
	}
	data, versions, err := b.states.LoadStates(ctx, keys)
	if err != nil {
		b.log.Warn("prefetch sessions", "err", err)
		return nil
	}
	states := make([]transport.State, len(chats))
	for i := range chats {
		states[i] = transport.State{Data: data[i], Version: versions[i]}
	}
	return states
}

func (b *Bot) loadSession(c *Ctx) error {
	data, ver, err := b.sessionData(c)
	if err != nil {
		return fmt.Errorf("load session: %w", err)
	}
	c.stateVersion = ver
	c.session = nil
	if data == nil {
		return nil
	}
	s, err := unmarshalSession(data, ver)
	if err != nil || b.flows[s.Flow] == nil {
		// Unreadable or from a flow that no longer exists: start afresh.
		b.log.Warn("dropping unusable session", "chat", c.Chat, "err", err)
		return nil
	}
	c.session = s
	return nil
}

func (b *Bot) saveSession(c *Ctx, s *Session) error {
	s.Seq++
	s.Update = c.update
	data, err := s.marshal()
	if err != nil {
		return fmt.Errorf("encode session: %w", err)
	}
	ver, err := b.states.SaveState(c, stateKey(c.Chat), data, s.version, b.cfg.SessionTTL)
	if err != nil {
		if domain.IsKind(err, domain.KindConflict) {
			return errStateChanged
		}
		return fmt.Errorf("save session: %w", err)
	}
	s.version = ver
	c.stateVersion = ver
	return nil
}

func (b *Bot) endSession(c *Ctx, s *Session) error {
	if err := b.states.DeleteState(c, stateKey(c.Chat), s.version); err != nil {
		if domain.IsKind(err, domain.KindConflict) {
			return errStateChanged
		}
		return fmt.Errorf("end session: %w", err)
	}
	c.session = nil
	c.stateVersion = 0
	return nil
}

// startFlow begins flow name, replacing any flow in progress.
func (b *Bot) startFlow(c *Ctx, name string, data map[string]string) error {
	return b.startFlowAt(c, name, data, nil, "")
}

// startFlowAt begins flow name with answers already given (a record being
// corrected), asking field first and then going to the review.
func (b *Bot) startFlowAt(c *Ctx, name string, data, answers map[string]string, field string) error {
	f := b.flows[name]
	s := newSession(name, b.now())
	s.version = c.stateVersion
	for k, v := range data {
		s.Data[k] = v
	}
	for k, v := range answers {
		s.Answers[k] = v
	}
	if f.Begin != nil {
		switch err := f.Begin(c, s); {
		case errors.Is(err, ErrEndFlow):
			return nil
		case err != nil:
			return b.replyError(c, err)
		}
	}
	s.Step = f.next(s, -1)
	if i := slices.IndexFunc(f.Steps, func(st Step) bool { return st.Field == field }); i >= 0 {
		s.Step, s.Editing = i, true
	}
	if err := b.saveSession(c, s); err != nil {
		return err
	}
	b.cfg.Metrics.Flow(name, "started")
	return b.prompt(c, f, s, "")
}

// next is the step after from that still needs an answer: while editing
// from the review only unanswered steps are asked again.
func (f *Flow) next(s *Session, from int) int {
	for i := from + 1; i < len(f.Steps); i++ {
		st := f.Steps[i]
		if st.Skip != nil && st.Skip(s) {
			continue
		}
		if _, answered := s.Answers[st.Field]; s.Editing && answered {
			continue
		}
		return i
	}
	return len(f.Steps)
}

// prev is the asked step before from, or -1 at the first.
func (f *Flow) prev(s *Session, from int) int {
	for i := from - 1; i >= 0; i-- {
		if st := f.Steps[i]; st.Skip == nil || !st.Skip(s) {
			return i
		}
	}
	return -1
}

func (f *Flow) review(s *Session) bool { return s.Step >= len(f.Steps) }

// wantsDocument reports whether s is at a step asking for a file, which a
// spreadsheet sent then is meant for.
func (f *Flow) wantsDocument(s *Session) bool {
	return !f.review(s) && f.Steps[s.Step].Input == InputDocument
}

// flowMessage handles a message sent while a flow is in progress.
func (b *Bot) flowMessage(c *Ctx, s *Session, m *transport.Message) error {
	f := b.flows[s.Flow]
	text := m.Text
	// Reply keyboards type their labels; take them as the buttons they are.
	switch domain.Normalize(text) {
	case domain.Normalize(c.T("btn.cancel")):
		return b.cancelFlow(c, s)
	case domain.Normalize(c.T("btn.back")):
		return b.back(c, f, s)
	}
	if f.review(s) {
		return b.prompt(c, f, s, c.T("input.want_review"))
	}
	st := f.Steps[s.Step]
	var (
		value string
		err   error
	)
	switch st.Input {
	case InputContact:
		switch {
		case m.Contact == nil && text != "":
			return b.prompt(c, f, s, c.T("input.want_contact_button"))
		case m.Contact == nil:
			return b.prompt(c, f, s, c.T("input.want_contact"))
		case m.Contact.UserID != c.User.ID:
			b.log.Warn("contact of someone else refused", "chat", c.Chat)
			return b.prompt(c, f, s, c.T("err.contact.notown"))
		}
		value, err = st.Parse(c, m.Contact.PhoneNumber)
	case InputLocation:
		switch {
		case m.Location == nil && text != "":
			return b.prompt(c, f, s, c.T("input.want_location_button"))
		case m.Location == nil:
			return b.prompt(c, f, s, c.T("input.want_location"))
		case m.Venue != nil || m.Forwarded():
			// A place picked from a list, or someone's location passed
			// on, says nothing of where the user stands.
			return b.prompt(c, f, s, c.T("input.want_own_location"))
		}
		value, err = locationValue(*m.Location)
		if err == nil && st.Parse != nil {
			value, err = st.Parse(c, value)
		}
	case InputPhoto:
		if len(m.Photo) == 0 {
			if len(st.Shortcuts) > 0 {
				return b.prompt(c, f, s, c.T("input.want_photo_or", "button", c.T(st.Shortcuts[0].Label)))
			}
			return b.prompt(c, f, s, c.T("input.want_photo"))
		}
		value = largestPhoto(m.Photo).FileID
		if st.Parse != nil {
			value, err = st.Parse(c, value)
		}
	case InputText:
		switch {
		case text == "":
			return b.prompt(c, f, s, c.T("input.want_text"))
		case len([]rune(text)) > maxTextInput:
			return b.prompt(c, f, s, c.T("input.too_long", "max", c.digits(strconv.Itoa(maxTextInput))))
		}
		value, err = st.Parse(c, text)
	case InputChoice:
		if text == "" {
			return b.prompt(c, f, s, c.T("input.want_choice"))
		}
		value, err = b.matchChoice(c, st, s, text)
	case InputDocument:
		if m.Document == nil {
			return b.prompt(c, f, s, c.T("input.want_document"))
		}
		value, err = st.Parse(c, m.Document.FileID)
	}
	if err != nil {
		lead, ierr := b.errorSentence(c, err)
		if ierr != nil {
			return ierr
		}
		return b.prompt(c, f, s, lead)
	}
	return b.answer(c, f, s, value, nil)
}

// matchChoice lets people type a choice's label (or its number) instead of
// pressing its button.
func (b *Bot) matchChoice(c *Ctx, st Step, s *Session, text string) (string, error) {
	choices, err := st.Choices(c, s)
	if err != nil {
		return "", err
	}
	t := domain.Normalize(text)
	for i, ch := range choices {
		if t == domain.Normalize(ch.Label) || t == strconv.Itoa(i+1) {
			return ch.Value, nil
		}
	}
	if st.Parse != nil {
		// A choice typed in another form ("منطقه ۵" for district 5).
		if v, err := st.Parse(c, text); err == nil {
			return v, nil
		}
	}
	return "", domain.Invalid("choice.unknown")
}

// answer keeps value for the current step and moves on; saved, if set,
// runs once the answer is kept, before the next prompt goes out.
func (b *Bot) answer(c *Ctx, f *Flow, s *Session, value string, saved func()) error {
	st := f.Steps[s.Step]
	if st.Check != nil {
		switch err := st.Check(c, s, value); {
		case errors.Is(err, ErrEndFlow):
			return b.endSession(c, s)
		case err != nil:
			lead, ierr := b.errorSentence(c, err)
			if ierr != nil {
				return ierr
			}
			return b.prompt(c, f, s, lead)
		}
	}
	s.Answers[st.Field] = value
	s.Step = f.next(s, s.Step)
	if f.review(s) {
		s.Editing = false
	}
	if err := b.saveSession(c, s); err != nil {
		return err
	}
	if saved != nil {
		saved()
	}
	if st.Input.replyKeyboard() {
		// The share-contact (or location) keyboard must go before the next
		// prompt's inline buttons can show; one message cannot carry both.
		received := "contact.received"
		if st.Input == InputLocation {
			received = "location.received"
		}
		if err := c.reply(c.T(received), transport.RemoveKeyboard{}); err != nil {
			return err
		}
	}
	return b.prompt(c, f, s, "")
}

func (b *Bot) back(c *Ctx, f *Flow, s *Session) error {
	p := f.prev(s, s.Step)
	switch {
	case s.Editing:
		p = len(f.Steps) // editing one field from the review: back to the review
	case p < 0:
		return b.prompt(c, f, s, c.T("flow.first_step"))
	}
	left := s.Step
	s.Step, s.Editing = p, false
	if err := b.saveSession(c, s); err != nil {
		return err
	}
	if left < len(f.Steps) && f.Steps[left].Input.replyKeyboard() {
		// Left unanswered, the step's reply keyboard would stay under the
		// step gone back to, offering to share a phone or a location there.
		if err := c.reply(c.T("flow.went_back"), transport.RemoveKeyboard{}); err != nil {
			return err
		}
	}
	return b.prompt(c, f, s, "")
}

func (b *Bot) cancelFlow(c *Ctx, s *Session) error {
	if err := b.endSession(c, s); err != nil {
		return err
	}
	b.cfg.Metrics.Flow(s.Flow, "abandoned")
	return c.reply(c.T("flow.cancelled"), transport.RemoveKeyboard{})
}

// flowCallback handles a button of a flow: "f|<session>|<seq>|<action>|<arg>".
func (b *Bot) flowCallback(c *Ctx, q *transport.CallbackQuery, parts []string) error {
	s := c.session
	if len(parts) != 5 || s == nil || s.ID != parts[1] || strconv.Itoa(s.Seq) != parts[2] {
		if len(parts) == 5 && parts[3] == flowConfirm {
			// A confirm of a session already ended: if its form was saved
			// (the process died before saying so), say so now.
			if told, err := b.tellSaved(c, parts[1], parts[4]); told || err != nil {
				return err
			}
		}
		return c.stale()
	}
	f := b.flows[s.Flow]
	act, arg := parts[3], parts[4]
	switch act {
	case flowChoice:
		if f.review(s) {
			return c.stale()
		}
		st := f.Steps[s.Step]
		choices, err := st.Choices(c, s)
		if err != nil {
			return err
		}
		ch, ok := findChoice(choices, arg)
		if !ok {
			return c.stale()
		}
		return b.answer(c, f, s, ch.Value, func() { b.pressed(c, q, ch.Label) })
	case flowShortcut:
		i, err := strconv.Atoi(arg)
		if err != nil || f.review(s) || i < 0 || i >= len(f.Steps[s.Step].Shortcuts) {
			return c.stale()
		}
		st := f.Steps[s.Step]
		value, err := st.typed(c, st.Shortcuts[i].Text(c))
		if err != nil {
			lead, ierr := b.errorSentence(c, err)
			if ierr != nil {
				return ierr
			}
			return b.prompt(c, f, s, lead)
		}
		return b.answer(c, f, s, value, func() { b.pressed(c, q, c.T(st.Shortcuts[i].Label)) })
	case flowBack:
		b.closeKeyboard(c, q, "")
		return b.back(c, f, s)
	case flowCancel:
		b.closeKeyboard(c, q, "")
		return b.cancelFlow(c, s)
	case flowEdit:
		i, err := strconv.Atoi(arg)
		if err != nil || !f.review(s) || i < 0 || i >= len(f.Steps) {
			return c.stale()
		}
		b.closeKeyboard(c, q, "")
		s.Step, s.Editing = i, true
		if err := b.saveSession(c, s); err != nil {
			return err
		}
		return b.prompt(c, f, s, "")
	case flowConfirm:
		if !f.review(s) {
			return c.stale()
		}
		return b.confirm(c, f, s)
	}
	return c.stale()
}

// The named points on the way from a confirm to its reply, where
// Config.Checkpoint is called: tests stop the process at each and check
// that the next one finishes the form.
const (
	PointBeforeSave = "confirm.before-save" // the session is marked saving; nothing is stored
	PointSaved      = "confirm.saved"       // the form is stored; its session is not ended
	PointEnded      = "confirm.ended"       // the session is ended; the reply is not sent
)

func (b *Bot) checkpoint(point string) {
	if b.cfg.Checkpoint != nil {
		b.cfg.Checkpoint(point)
	}
}

// confirm saves the reviewed answers. The session is first marked as
// saving (a compare-and-set, so a double tap loses the race); a session
// found marked by whoever handles the chat next is confirmed again, which
// Submit makes safe: it stores under the session's key (submissionKey),
// and a second store under one key finds the first. What Submit says is
// held until the session has ended, so the chat hears "saved" only of a
// form that is finished, and a confirm arriving after that finds the saved
// record (tellSaved) instead of a stale button.
func (b *Bot) confirm(c *Ctx, f *Flow, s *Session) error {
	if s.Saving.IsZero() {
		// Real time, not the bot's clock: the mark is judged against
		// SavingHold, a lease Redis keeps in real time.
		s.Saving = time.Now()
		if err := b.saveSession(c, s); err != nil {
			return err
		}
	}
	c.answerCallback(c.T("flow.saving"))
	if b.isConfirmOf(c.callback, s) {
		b.closeKeyboard(c, c.callback, "")
	}
	b.checkpoint(PointBeforeSave)
	c.holding = true
	err := f.Submit(c, s)
	c.holding = false
	if err == nil {
		b.checkpoint(PointSaved)
		b.cfg.Metrics.Flow(f.Name, "completed")
		if err := b.endSession(c, s); err != nil {
			c.held = nil
			return err
		}
		b.checkpoint(PointEnded)
		if err := c.flush(); err != nil {
			return err
		}
		b.markTold(c, submissionKey(c.Chat, s.ID))
		return nil
	}
	c.held = nil
	switch domain.KindOf(err) {
	case domain.KindInternal:
		// Postgres away for a moment: keep every answer and let them confirm again.
		b.log.Error("submit failed", "flow", f.Name, "chat", c.Chat, "err", err)
		return b.backToReview(c, f, s, c.T("flow.save_failed"))
	case domain.KindInvalid, domain.KindNotFound:
		// Something an answer names changed meanwhile (an agency closed):
		// say what, and let them correct it from the review.
		lead, _ := b.errorSentence(c, err)
		return b.backToReview(c, f, s, lead)
	default:
		// Conflict or forbidden: this form cannot be saved at all.
		if err := b.endSession(c, s); err != nil {
			return err
		}
		return b.replyError(c, err)
	}
}

// isConfirmOf reports whether button press q is the confirm of session s.
func (b *Bot) isConfirmOf(q *transport.CallbackQuery, s *Session) bool {
	if q == nil {
		return false
	}
	parts, ok := b.sign.verify(q.Data)
	return ok && len(parts) == 5 && parts[0] == cbFlow && parts[1] == s.ID && parts[3] == flowConfirm
}

// toldKey is the state key marking that the chat was told its form under
// key was saved.
func toldKey(key string) string { return "told:" + key }

// markTold notes that the chat was told its form under key was saved, so a
// later tap of its confirm gets a word on the button rather than the
// message again. Failing to note it only risks that message twice.
func (b *Bot) markTold(c *Ctx, key string) {
	if _, err := b.states.SaveState(c, toldKey(key), []byte{1}, 0, b.cfg.SessionTTL); err != nil && !domain.IsKind(err, domain.KindConflict) {
		b.log.Warn("note a save told", "err", err)
	}
}

func (b *Bot) wasTold(c *Ctx, key string) bool {
	data, _, err := b.states.LoadState(c, toldKey(key))
	return err == nil && data != nil
}

// submissionKey is what a form's submit stores under, so that a second
// submit of the same form finds the first: the chat and the session.
func submissionKey(chat int64, session string) string {
	return strconv.FormatInt(chat, 10) + ":" + session
}

// savedRecord is a Flow.Saved hook for a flow whose submit stores one
// record: find looks it up by key (NotFound: nothing stored) and tell says
// what the submit said of it.
func savedRecord[T any](find func(context.Context, string) (T, error), tell func(*Ctx, T)) func(*Ctx, string) (bool, error) {
	return func(c *Ctx, key string) (bool, error) {
		r, err := find(c, key)
		if domain.IsKind(err, domain.KindNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		tell(c, r)
		return true, nil
	}
}

// tellSaved tells the chat that the form of session id (of flow, or of
// any flow with a Saved hook when flow is "": buttons sent before flows
// were named on them) was saved, if it was: told=false if no such form
// is stored.
func (b *Bot) tellSaved(c *Ctx, id, flow string) (told bool, err error) {
	key := submissionKey(c.Chat, id)
	if b.wasTold(c, key) {
		// A second tap of a confirm that was answered: a word on the
		// button, not the message again.
		c.answerCallback(c.T("flow.already_saved"))
		return true, nil
	}
	for _, f := range b.flowList {
		if f.Saved == nil || flow != "" && f.Name != flow {
			continue
		}
		told, err := f.Saved(c, key)
		if told || err != nil {
			if told {
				c.answerCallback("")
				b.markTold(c, key)
			}
			return told, err
		}
	}
	return false, nil
}

func (b *Bot) backToReview(c *Ctx, f *Flow, s *Session, lead string) error {
	s.Saving = time.Time{}
	if err := b.saveSession(c, s); err != nil {
		return err
	}
	return b.prompt(c, f, s, lead)
}

func findChoice(choices []Choice, value string) (Choice, bool) {
	i := slices.IndexFunc(choices, func(ch Choice) bool { return ch.Value == value })
	if i < 0 {
		return Choice{}, false
	}
	return choices[i], true
}

// prompt sends the current step (or the review) with its keyboard; lead is a
// sentence about the previous input, shown above it.
func (b *Bot) prompt(c *Ctx, f *Flow, s *Session, lead string) error {
	var (
		text   string
		markup transport.Markup
		err    error
	)
	if f.review(s) {
		text, markup, err = b.reviewMessage(c, f, s)
	} else {
		text, markup, err = b.stepMessage(c, f, s)
	}
	if err != nil {
		return err
	}
	if lead != "" {
		text = lead + "\n\n" + text
	}
	return c.reply(text, markup)
}

func (b *Bot) stepMessage(c *Ctx, f *Flow, s *Session) (string, transport.Markup, error) {
	st := f.Steps[s.Step]
	// A prompt may name what the flow is about ({record}, {job}).
	args := dataArgs(s)
	if st.Example != nil {
		args = append(args, "example", st.Example(c))
	}
	text := c.T(f.Name+"."+st.Field+".prompt", args...)
	btn := func(label, act, arg string) transport.InlineButton { return b.flowButton(s, label, act, arg) }
	nav := []transport.InlineButton{}
	if f.prev(s, s.Step) >= 0 {
		nav = append(nav, btn(c.T("btn.back"), flowBack, ""))
	}
	nav = append(nav, btn(c.T("btn.cancel"), flowCancel, ""))

	switch st.Input {
	case InputContact, InputLocation:
		share := transport.ReplyButton{Text: c.T("btn.share_phone"), RequestContact: true}
		if st.Input == InputLocation {
			share = transport.ReplyButton{Text: c.T("btn.share_location"), RequestLocation: true}
		}
		kb := transport.ReplyKeyboard{Rows: [][]transport.ReplyButton{{share}}}
		row := []transport.ReplyButton{}
		if f.prev(s, s.Step) >= 0 {
			row = append(row, transport.ReplyButton{Text: c.T("btn.back")})
		}
		kb.Rows = append(kb.Rows, append(row, transport.ReplyButton{Text: c.T("btn.cancel")}))
		kb.Resize = true
		return text, kb, nil
	case InputChoice:
		choices, err := st.Choices(c, s)
		if err != nil {
			return "", nil, err
		}
		cols := max(st.Columns, 1)
		if st.Columns == autoColumns {
			cols = fitColumns(choices)
		}
		var rows [][]transport.InlineButton
		for i, ch := range choices {
			if i%cols == 0 {
				rows = append(rows, nil)
			}
			rows[len(rows)-1] = append(rows[len(rows)-1], btn(ch.Label, flowChoice, ch.Value))
		}
		rows = append(rows, nav)
		return text, transport.Inline(rows...), nil
	default:
		var rows [][]transport.InlineButton
		if len(st.Shortcuts) > 0 {
			var row []transport.InlineButton
			for i, sc := range st.Shortcuts {
				row = append(row, btn(c.T(sc.Label), flowShortcut, strconv.Itoa(i)))
			}
			rows = append(rows, row)
		}
		rows = append(rows, nav)
		return text, transport.Inline(rows...), nil
	}
}

func (b *Bot) reviewMessage(c *Ctx, f *Flow, s *Session) (string, transport.Markup, error) {
	var sb strings.Builder
	sb.WriteString(c.T(f.Name+".review", dataArgs(s)...))
	sb.WriteString("\n")
	var edits []transport.InlineButton
	btn := func(label, act, arg string) transport.InlineButton { return b.flowButton(s, label, act, arg) }
	for i, st := range f.Steps {
		if st.Skip != nil && st.Skip(s) {
			continue
		}
		label := c.T(f.Name + "." + st.Field + ".label")
		shown, err := b.show(c, s, st, s.Answers[st.Field])
		if err != nil {
			return "", nil, err
		}
		fmt.Fprintf(&sb, "\n▪️ %s: %s", label, shown)
		edits = append(edits, btn(c.T("btn.edit", "field", label), flowEdit, strconv.Itoa(i)))
	}
	sb.WriteString("\n\n")
	sb.WriteString(c.T("review.hint"))
	var rows [][]transport.InlineButton
	for i := 0; i < len(edits); i += 2 {
		rows = append(rows, edits[i:min(i+2, len(edits))])
	}
	rows = append(rows,
		[]transport.InlineButton{btn(c.T(cmp.Or(f.Confirm, "btn.confirm")), flowConfirm, f.Name)},
		[]transport.InlineButton{btn(c.T("btn.back"), flowBack, ""), btn(c.T("btn.cancel"), flowCancel, "")},
	)
	return sb.String(), transport.Inline(rows...), nil
}

// dataArgs are a session's Data as catalogue arguments: prompts and the
// review may name what the flow is about ({record}).
func dataArgs(s *Session) []string {
	args := make([]string, 0, 2*len(s.Data)+2)
	for k, v := range s.Data {
		args = append(args, k, v)
	}
	return args
}

// fitColumns is how many choice buttons fit in a row on a phone: a row
// holds about 38 characters, and each button needs room around its label.
func fitColumns(choices []Choice) int {
	longest := 0
	for _, ch := range choices {
		longest = max(longest, utf8.RuneCountInString(ch.Label))
	}
	return max(1, min(38/(longest+2), 6, len(choices)))
}

// flowButton is a button of session s as it is now: "f|<id>|<seq>|<act>|<arg>".
func (b *Bot) flowButton(s *Session, label, act, arg string) transport.InlineButton {
	return transport.Button(label, b.sign.sign(cbFlow, s.ID, strconv.Itoa(s.Seq), act, arg))
}

// show formats an answer for the review.
func (b *Bot) show(c *Ctx, s *Session, st Step, v string) (string, error) {
	switch {
	case st.Show != nil:
		return st.Show(c, v), nil
	case st.Input == InputLocation:
		return showLocation(c, v), nil
	case st.Input == InputPhoto:
		return showPhoto(c, v), nil
	case st.Input == InputChoice:
		choices, err := st.Choices(c, s)
		if err != nil {
			return "", err
		}
		if ch, ok := findChoice(choices, v); ok {
			return ch.Label, nil
		}
	}
	return c.digits(v), nil
}

// pressed acknowledges a press whose answer was kept: the spinner stops
// and the prompt shows the choice, both beside the next prompt.
func (b *Bot) pressed(c *Ctx, q *transport.CallbackQuery, chosen string) {
	c.answerCallback("")
	b.closeKeyboard(c, q, chosen)
}

// closeKeyboard takes the buttons off a pressed prompt so old prompts don't
// invite more taps, noting the choice. Where the platform edits keyboards
// unreliably (Bale) it does nothing: versioned buttons are refused anyway.
// The edit goes out beside the handling, which does not wait for it.
func (b *Bot) closeKeyboard(c *Ctx, q *transport.CallbackQuery, chosen string) {
	if !b.cfg.EditMessages || q.Message == nil {
		return
	}
	var edit transport.Request
	if chosen != "" && q.Message.Text != "" {
		edit = transport.EditText{Chat: c.Chat, MessageID: q.Message.MessageID, Text: q.Message.Text + "\n\n✔️ " + chosen}
	} else {
		edit = transport.EditMarkup{Chat: c.Chat, MessageID: q.Message.MessageID, Markup: transport.Inline()}
	}
	c.beside(func(ctx context.Context) {
		if err := b.send.Request(ctx, c.Chat, edit); err != nil {
			b.log.Debug("close keyboard", "err", err)
		}
	})
}
