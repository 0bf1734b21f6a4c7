// Package bot is Rasad's conversation: the flow engine, the router by role,
// the message catalogue and the flows. Updates reach it from the runtime in
// bot/transport through the Handler interface there; it reaches storage only
// through the small interfaces in deps.go, so it never imports storage.
package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rasad-gov/rasad/bot/transport"
	"github.com/rasad-gov/rasad/domain"
)

// Config is what the bot needs to know of its deployment.
type Config struct {
	DefaultLanguage string
	SessionTTL      time.Duration // an abandoned flow expires after this
	InviteTTL       time.Duration
	OfferTTL        time.Duration // how long a vendor has to accept a stall
	SummaryAt       string        // "20:00": when managers get the day's summary, in Calendar's zone
	LinkBase        string        // "https://t.me/"; deep links are LinkBase+username+"?start="
	EditMessages    bool          // false where the platform edits inline keyboards unreliably (Bale)
	Secret          []byte        // signs callback data
	Now             func() time.Time
	// Calendar draws every day boundary: today's placements, the program
	// year, dates typed and shown. Made from configuration's time zone;
	// required.
	Calendar domain.Calendar
	// Pacing of outgoing messages: overall per second (0: none, for a
	// self-hosted server), per chat per second, and the burst a chat may use.
	SendRate, SendChatRate float64
	SendChatBurst          int
	Metrics                Metrics // nil: not counted
	// SavingHold is how long a confirm under way is left to its handler:
	// a press arriving meanwhile (another replica's) is told to wait. An
	// older mark is a dead handler's, and is finished by the next. Set it
	// to the update claim's lease: a live handler keeps its claim, and its
	// chat, renewed. 0: finish at once.
	SavingHold time.Duration
	// Checkpoint, when set, is called at each named point of a confirm
	// (PointBeforeSave, PointSaved, PointEnded): tests stop the process
	// there.
	Checkpoint func(point string)
	// Uploads is how many spreadsheets one process reads at once (0: 2).
	// A chat's updates are handled one at a time, so each user has at
	// most one in hand.
	Uploads int
	// Phone messages a number that never wrote to the bot (a sampled
	// placement's person who has not answered); nil where the platform
	// cannot or it is not configured.
	Phone PhoneMessenger
	// Verify is how the sample is drawn and checked.
	Verify VerifyConfig
}

// VerifyConfig is how placements are sampled and checked.
type VerifyConfig struct {
	Share float64 // of every agency's new placements drawn each period, 0 to 1
	Days  int     // a period's length; 7: a draw each Saturday of the week before
	// CallAfter is how long a drawn record waits for its person to answer
	// before the call centre takes it.
	CallAfter time.Duration
	// Hold is how long a verifier or inspector keeps a record in hand;
	// one left open goes back to the queue after it.
	Hold time.Duration
}

// Bot handles updates: it finds who is talking, routes by role and runs flows.
type Bot struct {
	cfg      Config
	cal      domain.Calendar // cfg.Calendar
	api      transport.API
	send     *transport.Sender
	store    Store
	states   States
	cat      *Catalogue
	sign     signer
	flows    map[string]*Flow
	flowList []*Flow // the same, in a fixed order
	commands []command
	log      *slog.Logger
	acks     sync.WaitGroup    // see Ctx.beside
	ackers   transport.Workers // run them
	uploads  chan struct{}     // a slot per spreadsheet being read
	drawn    atomic.Int64      // the period (its start, Unix) this process saw drawn
}

// New builds a bot. The catalogue is loaded here so a broken one stops start-up.
func New(cfg Config, api transport.API, store Store, states States, log *slog.Logger) (*Bot, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if len(cfg.Secret) == 0 {
		return nil, errors.New("bot: callback secret is empty")
	}
	if cfg.Calendar.IsZero() {
		return nil, errors.New("bot: no calendar (time zone) configured")
	}
	cat, err := LoadCatalogue(cfg.DefaultLanguage, log)
	if err != nil {
		return nil, err
	}
	if cfg.Uploads <= 0 {
		cfg.Uploads = 2
	}
	b := &Bot{cfg: cfg, cal: cfg.Calendar, api: api, store: store, states: states, cat: cat, sign: newSigner(cfg.Secret), log: log,
		uploads: make(chan struct{}, cfg.Uploads)}
	if cfg.Metrics == nil {
		cfg.Metrics = nopMetrics{}
		b.cfg.Metrics = cfg.Metrics
	}
	b.send = transport.NewSender(api, transport.NewPacer(cfg.SendRate, cfg.SendChatRate, cfg.SendChatBurst), cfg.Metrics, log, b.markBlocked)
	b.flows = map[string]*Flow{}
	for _, f := range []*Flow{b.liaisonFlow(), b.placementFlow(), b.withdrawFlow(), b.agencyAddFlow(), b.agencyRenameFlow(), b.stallFlow(), b.marketEditFlow(), b.exportFlow(), b.targetFlow(), b.callFlow(), b.visitFlow(), b.myjobFlow(), b.contestFlow()} {
		b.flows[f.Name] = f
		b.flowList = append(b.flowList, f)
	}
	b.commands = b.commandTable()
	return b, nil
}

// Catalogue exposes the texts, for tests that check none was missing.
func (b *Bot) Catalogue() *Catalogue { return b.cat }

func (b *Bot) now() time.Time { return b.cfg.Now() }

// Ctx is one update being handled: who sent it, in which chat and language,
// and the chat's session as loaded.
type Ctx struct {
	context.Context
	b            *Bot
	User         domain.User
	Known        bool   // the user has a row in the database
	tgName       string // the name on their Telegram account
	Chat         int64
	Lang         string
	update       *int // id of the update being handled; nil outside one (a job)
	callback     *transport.CallbackQuery
	answered     *bool
	session      *Session
	stateVersion int64
	prefetched   *transport.State // the session as read ahead by the runtime, until loaded
	// While a form is being saved, what the bot says to this chat is held
	// and sent once the form's session has ended: a crash in between
	// leaves a session to finish, never a "saved" for a session still open.
	holding bool
	held    []transport.Request
}

// T is the catalogue text of key in the user's language.
func (c *Ctx) T(key string, args ...string) string { return c.b.cat.T(c.Lang, key, args...) }

// N is the text of key counting n things, in the plural form n takes.
func (c *Ctx) N(key string, n int, args ...string) string { return c.b.cat.N(c.Lang, key, n, args...) }

// digits shows ASCII digits in the user's script.
func (c *Ctx) digits(s string) string {
	if c.Lang == "fa" {
		return domain.PersianDigits(s)
	}
	return s
}

func (c *Ctx) date(t time.Time) string { return c.b.cal.FormatJalaliLang(t, c.Lang) }

// reply sends text to the chat being handled.
func (c *Ctx) reply(text string, markup transport.Markup) error {
	msg := transport.SendMessage{Chat: c.Chat, Text: text}
	if markup != nil {
		msg.Markup = markup
	}
	return c.send(msg)
}

// replyUnlessPress replies with text to a message; a button press has its
// answer already.
func (c *Ctx) replyUnlessPress(text string) error {
	if c.callback != nil {
		return nil
	}
	return c.reply(text, nil)
}

// send sends r (a message or a file) to the chat being handled, or holds
// it while a form is being saved.
func (c *Ctx) send(r transport.Request) error {
	if c.holding {
		c.held = append(c.held, r)
		return nil
	}
	return c.b.send.Send(c, c.Chat, r)
}

// flush sends what was held while a form was being saved.
func (c *Ctx) flush() error {
	held := c.held
	c.held = nil
	for _, r := range held {
		if err := c.b.send.Send(c, c.Chat, r); err != nil {
			return err
		}
	}
	return nil
}

// answerCallback stops the button's spinner, at most once per update. The
// answer goes out beside the reply; a failure to send it is only logged
// (the sender has retried it already), as the press itself was handled.
func (c *Ctx) answerCallback(text string) {
	if c.callback == nil || *c.answered {
		return
	}
	*c.answered = true
	id := c.callback.ID
	c.beside(func(ctx context.Context) {
		if err := c.b.send.Request(ctx, c.Chat, transport.AnswerCallback{ID: id, Text: text}); err != nil {
			c.b.log.Warn("answer callback", "err", err)
		}
	})
}

// beside sends an acknowledgement (a press's answer, a pressed prompt's
// edit) on its own, without holding the update's handling: what the update
// changed is kept and replied to already, and nothing waits on these.
// Shutdown waits for them (Bot.Wait).
func (c *Ctx) beside(send func(ctx context.Context)) { c.b.aside(c, send) }

// aside runs send on a kept worker, on a context of its own that outlives
// ctx's cancellation by up to ackTimeout; Wait waits for it.
func (b *Bot) aside(ctx context.Context, send func(ctx context.Context)) {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ackTimeout)
	b.acks.Add(1)
	b.ackers.Run(func() {
		defer b.acks.Done()
		defer cancel()
		send(sctx)
	})
}

// ackTimeout bounds an acknowledgement, retries included.
const ackTimeout = 30 * time.Second

// Wait blocks until the acknowledgements sent beside handled updates are
// out, or ctx ends: at shutdown, after the update loop stopped.
func (b *Bot) Wait(ctx context.Context) error { return transport.WaitGroup(ctx, &b.acks) }

// stale answers a button that no longer applies, or was never ours.
func (c *Ctx) stale() error {
	c.answerCallback(c.T("btn.stale"))
	return nil
}

// Handle handles one update, starting from st, its chat's session as the
// runtime read it ahead, when not nil. A state changed by a concurrent
// update of the same chat makes it start over against the new state.
func (b *Bot) Handle(ctx context.Context, u transport.Update, st *transport.State) error {
	answered := false
	var err error
	for range 3 {
		err = b.handleOnce(ctx, u, st, &answered)
		if !errors.Is(err, errStateChanged) {
			break
		}
		st = nil // changed since it was read
	}
	if err != nil && domain.KindOf(err) != domain.KindInternal {
		// A domain error no handler phrased (a record gone meanwhile):
		// retrying cannot help, saying so can.
		b.log.Warn("unphrased domain error", "err", err)
		if chat := u.FromChat(); chat != nil {
			b.tell(ctx, chat.ID, b.kindSentence(b.cfg.DefaultLanguage, err), nil)
		}
		err = nil
	}
	if u.CallbackQuery != nil && !answered {
		// Every button press is answered, even when handling failed.
		text := ""
		if err != nil {
			text = b.cat.T(b.cfg.DefaultLanguage, "err.temporary")
		}
		id := u.CallbackQuery.ID
		b.aside(ctx, func(ctx context.Context) { b.answerLate(ctx, id, text) })
	}
	return err
}

// answerLate answers a callback after handling, on a context of its own:
// the handler's may have timed out, and the spinner must stop regardless.
func (b *Bot) answerLate(ctx context.Context, id, text string) {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := b.send.Request(actx, 0, transport.AnswerCallback{ID: id, Text: text}); err != nil {
		b.log.Warn("answer callback", "err", err)
	}
}

func (b *Bot) handleOnce(ctx context.Context, u transport.Update, st *transport.State, answered *bool) error {
	from, chat := u.SentFrom(), u.FromChat()
	if from == nil || chat == nil || from.IsBot {
		return nil // channel posts, polls and the like are not for this bot
	}
	c, err := b.newCtx(ctx, from, chat.ID)
	if err != nil {
		return err
	}
	id := u.UpdateID
	c.callback, c.answered, c.update, c.prefetched = u.CallbackQuery, answered, &id, st
	if !chat.IsPrivate() {
		return b.refuseGroup(c, u)
	}
	if err := b.loadSession(c); err != nil {
		return err
	}
	if s := c.session; s != nil && !s.Saving.IsZero() {
		// A confirm whose handling never finished. Younger than
		// Config.SavingHold it is taken to be under way elsewhere (two
		// presses racing on two replicas); older, its handler died, and
		// whoever handles the chat next finishes it (the submit is
		// idempotent), so the chat is never left waiting and a confirmed
		// form is never lost. A redelivered confirm is such a next.
		f := b.flows[s.Flow]
		if time.Since(s.Saving) < b.cfg.SavingHold {
			c.answerCallback(c.T("flow.saving"))
			return c.replyUnlessPress(c.T("flow.saving"))
		}
		if b.isConfirmOf(u.CallbackQuery, s) {
			return b.confirm(c, f, s)
		}
		if err := b.confirm(c, f, s); err != nil {
			return err
		}
	}
	if s := c.session; s != nil && s.Update != nil && *s.Update == u.UpdateID {
		// This very update already moved the session (the attempt that did
		// failed afterwards, e.g. sending the next prompt): show where the
		// flow stands instead of applying it twice.
		c.answerCallback("")
		return b.prompt(c, b.flows[s.Flow], s, "")
	}
	switch {
	case u.CallbackQuery != nil:
		return b.onCallback(c, u.CallbackQuery)
	case u.Message != nil:
		return b.onMessage(c, u.Message)
	}
	return nil
}

func (b *Bot) newCtx(ctx context.Context, from *transport.User, chat int64) (*Ctx, error) {
	c := &Ctx{Context: ctx, b: b, Chat: chat, Lang: b.cfg.DefaultLanguage}
	c.tgName = domain.Normalize(strings.TrimSpace(from.FirstName + " " + from.LastName))
	u, err := b.store.User(ctx, from.ID)
	switch {
	case err == nil:
		c.User, c.Known = u, true
		if !u.Active {
			// They blocked the bot once and are back: write to them again.
			if err := b.store.SetActive(ctx, u.ID, true); err != nil {
				return nil, fmt.Errorf("reactivate user: %w", err)
			}
			c.User.Active = true
		}
		if u.Language != "" {
			c.Lang = u.Language
		}
	case domain.IsKind(err, domain.KindNotFound):
		c.User = domain.User{ID: from.ID, FullName: c.tgName, Language: c.Lang, Active: true}
	default:
		return nil, fmt.Errorf("load user: %w", err)
	}
	return c, nil
}

// typedCommand is a command at the start of a text Telegram did not mark
// as one: copied from a right-to-left message, with its invisible
// direction mark (isolateCommands) before the slash.
var typedCommand = regexp.MustCompile(`^/([A-Za-z0-9_]{1,64})(@[A-Za-z0-9_]{3,64})?(?: (.*))?$`)

// commandIn is the command m starts with, and what follows it.
func commandIn(m *transport.Message) (name, args string, ok bool) {
	if m.IsCommand() {
		return m.Command(), m.CommandArguments(), true
	}
	if !strings.Contains(m.Text, "/") {
		return "", "", false
	}
	sub := typedCommand.FindStringSubmatch(domain.Normalize(m.Text))
	if sub == nil {
		return "", "", false
	}
	return sub[1], sub[3], true
}

// refuseGroup answers politely in groups and channels: the bot holds
// personal data and works in private chats only.
func (b *Bot) refuseGroup(c *Ctx, u transport.Update) error {
	if u.CallbackQuery != nil {
		c.answerCallback(c.T("private.only"))
		return nil
	}
	if u.Message != nil && u.Message.IsCommand() {
		return c.reply(c.T("private.only"), nil)
	}
	return nil
}

func (b *Bot) onMessage(c *Ctx, m *transport.Message) error {
	if name, args, ok := commandIn(m); ok {
		return b.runCommand(c, name, args)
	}
	if m.Document != nil && c.session != nil && c.User.Has(domain.RoleLiaison) && isSpreadsheetName(m.Document.FileName) &&
		!b.flows[c.session.Flow].wantsDocument(c.session) {
		// A filled sheet sent mid-form: the form is not lost, and the
		// liaison learns how to send the file.
		return c.reply(c.T("bulk.flow_open"), nil)
	}
	if c.session != nil {
		return b.flowMessage(c, c.session, m)
	}
	if m.Document != nil {
		return b.onDocument(c, m.Document)
	}
	return c.reply(c.T("help.unknown"), nil)
}

func (b *Bot) onCallback(c *Ctx, q *transport.CallbackQuery) error {
	parts, ok := b.sign.verify(q.Data)
	if !ok {
		b.log.Warn("unsigned callback refused", "chat", c.Chat)
		return c.stale()
	}
	switch parts[0] {
	case cbFlow:
		return b.flowCallback(c, q, parts)
	case cbRole:
		return b.onRoleChoice(c, parts)
	case cbLanguage:
		return b.onLanguage(c, parts)
	case cbLiaison:
		return b.onLiaisonDecision(c, q, parts)
	case cbInvite:
		return b.onInviteAgency(c, parts)
	case cbRecord:
		return b.onRecord(c, parts)
	case cbRegister:
		return b.onRegisterAnother(c)
	case cbAgency:
		return b.onAgency(c, parts)
	case cbOffer:
		return b.onOffer(c, parts)
	case cbMarket:
		return b.onMarket(c, parts)
	case cbStall:
		return b.onStallCancel(c, parts)
	case cbCheck:
		return b.onCheckNext(c, parts)
	case cbContest:
		return b.onContest(c, q, parts)
	}
	return c.stale()
}

// replyError tells the user why their action failed when the error is one
// they can act on, and returns other errors for a retry.
func (b *Bot) replyError(c *Ctx, err error) error {
	sentence, ierr := b.errorSentence(c, err)
	if ierr != nil {
		return ierr
	}
	return c.reply(sentence, transport.RemoveKeyboard{})
}

// errorSentence is the catalogue sentence for a domain error: its code's
// own ("err.nationalid.checksum") or its kind's. Internal errors are
// returned instead, to be retried.
func (b *Bot) errorSentence(c *Ctx, err error) (string, error) {
	if domain.KindOf(err) == domain.KindInternal {
		return "", err
	}
	return b.sentence(c.Lang, err), nil
}

// sentence is the catalogue sentence of a domain error in lang: its code's
// own ("err.nationalid.checksum"), or else its kind's.
func (b *Bot) sentence(lang string, err error) string {
	if code := domain.CodeOf(err); code != "" && b.cat.Has("err."+code) {
		args := slices.Clone(domain.ArgsOf(err))
		for i := 1; i < len(args); i += 2 {
			args[i] = digitsIn(lang, args[i])
		}
		return b.cat.T(lang, "err."+code, args...)
	}
	b.log.Warn("no sentence for error code", "code", domain.CodeOf(err))
	return b.kindSentence(lang, err)
}

// kindSentence is the sentence of err's kind ("err.notfound").
func (b *Bot) kindSentence(lang string, err error) string {
	return b.cat.T(lang, "err."+strings.ReplaceAll(domain.KindOf(err).String(), " ", ""))
}

// GiveUp tells the user an update could not be handled, so nothing fails
// silently, and stops the spinner of a button press.
func (b *Bot) GiveUp(ctx context.Context, u transport.Update, err error) {
	text := b.cat.T(b.cfg.DefaultLanguage, "err.temporary")
	if u.CallbackQuery != nil {
		b.answerLate(ctx, u.CallbackQuery.ID, text)
	}
	if chat := u.FromChat(); chat != nil {
		b.tell(ctx, chat.ID, text, nil)
	}
}

// tell writes to a chat when failing to is no reason to undo anything: the
// record the message is about is already saved. A failure is logged.
func (b *Bot) tell(ctx context.Context, chat int64, text string, markup transport.Markup) {
	msg := transport.SendMessage{Chat: chat, Text: text}
	if markup != nil {
		msg.Markup = markup
	}
	if c, ok := ctx.(*Ctx); ok && c.holding && chat == c.Chat {
		c.held = append(c.held, msg)
		return
	}
	if err := b.send.Send(ctx, chat, msg); err != nil {
		b.log.Error("message not delivered", "chat", chat, "err", err)
	}
}

// markBlocked records a user who blocked the bot, so nobody keeps writing to them.
func (b *Bot) markBlocked(ctx context.Context, chat int64) {
	if err := b.store.SetActive(ctx, chat, false); err != nil && !domain.IsKind(err, domain.KindNotFound) {
		b.log.Warn("mark user inactive", "chat", chat, "err", err)
	}
}

// refuse answers an action the user may not take, logs it and keeps an
// audit row of it: a button they were never meant to have, another
// agency's record, an admin's command.
func (b *Bot) refuse(c *Ctx, action string) error { return b.refuseWith(c, action, "err.forbidden") }

// refuseWith refuses action with the catalogue sentence key.
func (b *Bot) refuseWith(c *Ctx, action, key string) error {
	b.log.Warn("action refused", "action", action, "user", c.User.ID)
	if err := b.store.RecordRefusal(c, c.User.ID, action, b.now()); err != nil {
		b.log.Error("record refusal", "err", err)
	}
	if c.callback != nil {
		c.answerCallback(c.T(key))
		return nil
	}
	return c.reply(c.T(key), nil)
}
