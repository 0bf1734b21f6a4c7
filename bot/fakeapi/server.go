// Package fakeapi is an in-process imitation of the Telegram Bot API server:
// a stand-in for Telegram, not part of the bot. The end-to-end tests and
// the load test run the bot against it, and the playground serves it to a
// browser when there is no bot token.
//
// The bot talks to it over real HTTP with the real client library, so
// everything the library encodes — url-encoded forms, multipart uploads,
// JSON-in-form-field reply markups — goes through the same wire format as
// in production. The server owns its side of the wire: the Bot API's
// objects it writes are its own (wire.go), not the client library's.
// Tests (and the playground) drive simulated users through the Go API in
// user.go and observe what the bot did.
//
// All state lives in one Server guarded by one mutex; User and Chat values are
// light handles (server pointer + id), so every exported method is safe for
// concurrent use. Waiting is done on broadcast channels, never by polling:
// one per chat for waits on a chat, one for the whole server.
package fakeapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configures a Server. Zero values get defaults.
type Options struct {
	// Token the bot must use; default "123456789:TEST-rasad-token".
	Token string
	// BotID is the bot's user id; default the numeric prefix of Token.
	BotID int64
	// BotUsername without "@"; default "rasad_test_bot".
	BotUsername string
	// BotName is the bot's first_name; default "Rasad".
	BotName string
	// OmitSecretHeader imitates Bale, which never sends
	// X-Telegram-Bot-Api-Secret-Token to webhooks.
	OmitSecretHeader bool
	// RequireStart makes the bot's sends to a user who has never written to
	// it fail with 403 "Forbidden: bot can't initiate conversation with a
	// user", as in Telegram. Off by default.
	RequireStart bool
	// UpdateIDsFromZero numbers updates from 0, as Bale does (Telegram
	// starts at 1).
	UpdateIDsFromZero bool
	// Bale behaves as Bale's Bot API does, by its documentation and the
	// projects built on it: the two settings above, no setMyCommands,
	// getMyCommands, deleteMyCommands or sendChatAction (404), and every
	// other edit refused (it edits messages with inline keyboards
	// unreliably).
	Bale bool

	// Addr is the listen address; default "127.0.0.1:0".
	Addr string
	// WebhookRetryDelay is the wait after the first failed webhook delivery;
	// it doubles per further failure up to 2s. Default 20ms (Telegram waits
	// far longer, but tests must stay fast).
	WebhookRetryDelay time.Duration
	// WebhookTimeout bounds one webhook POST; default 10s.
	WebhookTimeout time.Duration
}

func (o *Options) setDefaults() {
	if o.Bale {
		o.OmitSecretHeader, o.UpdateIDsFromZero = true, true
	}
	if o.Token == "" {
		o.Token = "123456789:TEST-rasad-token"
	}
	if strings.ContainsAny(o.Token, "/ ") {
		panic("fakeapi: token must not contain '/' or spaces")
	}
	if o.BotID == 0 {
		prefix, _, _ := strings.Cut(o.Token, ":")
		if id, err := strconv.ParseInt(prefix, 10, 64); err == nil && id > 0 {
			o.BotID = id
		} else {
			o.BotID = 123456789
		}
	}
	if o.BotUsername == "" {
		o.BotUsername = "rasad_test_bot"
	}
	if o.BotName == "" {
		o.BotName = "Rasad"
	}
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	if o.WebhookRetryDelay <= 0 {
		o.WebhookRetryDelay = 20 * time.Millisecond
	}
	if o.WebhookTimeout <= 0 {
		o.WebhookTimeout = 10 * time.Second
	}
}

// Server is a running fake Bot API server. Create it with New and stop it
// with Close.
type Server struct {
	opts Options
	bot  Account

	ln      net.Listener
	hs      *http.Server
	url     string
	handler http.Handler

	hookClient *http.Client
	baseCtx    context.Context // cancelled by Close; parent of webhook deliveries
	cancelBase context.CancelFunc
	done       chan struct{}
	closeOnce  sync.Once
	wg         sync.WaitGroup // dispatcher and webhook deliveries

	mu       sync.Mutex
	queueSig signal // pending update queue or webhook changed
	hookSig  signal // a webhook was set
	// stateSig fires at every change of chats, messages or callbacks (for
	// Changed and for waits that span chats); each chat also has a signal
	// of its own, so a user waiting on its chat is not woken by the others.
	stateSig signal

	users map[int64]*userState
	chats map[int64]*chatState

	nextUpdateID int
	baleEdits    int              // edits made under the Bale profile
	pending      []*pendingUpdate // not yet confirmed, sorted by update id
	history      map[int]*sentUpdate
	poll         *poller // the getUpdates call currently waiting
	webhook      *webhookState

	callbacks map[string]*callbackState
	cbOrder   []string

	files     map[string]*storedFile // by file_id
	filePaths map[string]*storedFile // by file_path
	fileSeq   int

	failures []*failRule
	delays   map[string]time.Duration
	calls    []*Call

	commands []*commandEntry
	cmdSeq   int
}

// signal is a broadcast: waiters grab C() under the server mutex, and fire()
// (also under the mutex) wakes all of them at once.
type signal struct{ ch chan struct{} }

func (s *signal) C() <-chan struct{} {
	if s.ch == nil {
		s.ch = make(chan struct{})
	}
	return s.ch
}

func (s *signal) fire() {
	if s.ch != nil {
		close(s.ch)
		s.ch = nil
	}
}

// chatChangedLocked wakes the waiters on chat ch and on the whole server.
func (s *Server) chatChangedLocked(ch *chatState) {
	ch.sig.fire()
	s.stateSig.fire()
}

// New starts a server listening on opts.Addr (default 127.0.0.1:0). It panics
// if it cannot listen, like httptest.NewServer.
func New(opts Options) *Server {
	opts.setDefaults()
	s := &Server{
		opts: opts,
		bot: Account{
			ID:            opts.BotID,
			IsBot:         true,
			FirstName:     opts.BotName,
			UserName:      opts.BotUsername,
			CanJoinGroups: true,
		},
		done:         make(chan struct{}),
		users:        map[int64]*userState{},
		chats:        map[int64]*chatState{},
		nextUpdateID: 1,
		history:      map[int]*sentUpdate{},
		callbacks:    map[string]*callbackState{},
		files:        map[string]*storedFile{},
		filePaths:    map[string]*storedFile{},
		delays:       map[string]time.Duration{},
	}
	if opts.UpdateIDsFromZero {
		s.nextUpdateID = 0
	}
	s.baseCtx, s.cancelBase = context.WithCancel(context.Background())
	s.handler = http.HandlerFunc(s.serveHTTP)
	hookTransport := http.DefaultTransport.(*http.Transport).Clone()
	// Deliveries run up to max_connections at once; keep their connections.
	hookTransport.MaxIdleConnsPerHost = 64
	s.hookClient = &http.Client{
		Transport: hookTransport,
		// A webhook answering with a redirect is an error for Telegram.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}

	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		panic(fmt.Sprintf("fakeapi: listen on %s: %v", opts.Addr, err))
	}
	s.ln = ln
	s.url = "http://" + ln.Addr().String()
	s.hs = &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.hs.Serve(ln) }()

	s.wg.Add(1)
	go s.dispatchWebhooks()
	return s
}

// URL is the base URL, e.g. "http://127.0.0.1:41234".
func (s *Server) URL() string { return s.url }

// APIEndpoint is the format string go-telegram-bot-api's
// NewBotAPIWithClient expects (URL + "/bot%s/%s").
func (s *Server) APIEndpoint() string { return s.url + "/bot%s/%s" }

// FileEndpoint is the download URL format (URL + "/file/bot%s/%s"), to be
// used with fmt.Sprintf(FileEndpoint(), token, file.FilePath). Note that
// go-telegram-bot-api's File.Link always uses api.telegram.org, so the bot
// must build download URLs from a configurable format like this one.
func (s *Server) FileEndpoint() string { return s.url + "/file/bot%s/%s" }

// Token is the bot token the server accepts.
func (s *Server) Token() string { return s.opts.Token }

// Bot is the bot's own account, as returned by getMe.
func (s *Server) Bot() Account { return s.bot }

// Handler serves the Bot API routes (/bot<token>/<method> and
// /file/bot<token>/<path>) so the server can be mounted elsewhere.
func (s *Server) Handler() http.Handler { return s.handler }

// Close stops the listener, ends long polls and webhook deliveries, and
// waits for background goroutines. It is safe to call more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.done)
		s.cancelBase()
		s.mu.Lock()
		s.queueSig.fire()
		s.stateSig.fire()
		s.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		if err := s.hs.Shutdown(ctx); err != nil {
			_ = s.hs.Close()
		}
		cancel()
		s.wg.Wait()
		s.hookClient.CloseIdleConnections()
	})
}

func (s *Server) closed() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// errClosed is returned by user-side calls after Close.
var errClosed = errors.New("fakeapi: server closed")

// apiError is a Bot API failure: it becomes {"ok":false,...} on the wire.
type apiError struct {
	Code        int
	Description string
	RetryAfter  int
}

func (e *apiError) Error() string { return e.Description }

func badRequest(format string, args ...any) *apiError {
	return &apiError{Code: 400, Description: "Bad Request: " + fmt.Sprintf(format, args...)}
}

var (
	errUnauthorized = &apiError{Code: 401, Description: "Unauthorized"}
	errNotFound     = &apiError{Code: 404, Description: "Not Found"}
	errBaleEdit     = &apiError{Code: 400, Description: "Bad Request: message can't be edited"}
	errBlocked      = &apiError{Code: 403, Description: "Forbidden: bot was blocked by the user"}
)

// envelope is the Bot API response object.
type envelope struct {
	Ok          bool                  `json:"ok"`
	Result      any                   `json:"result,omitempty"`
	ErrorCode   int                   `json:"error_code,omitempty"`
	Description string                `json:"description,omitempty"`
	Parameters  *tgResponseParameters `json:"parameters,omitempty"`
}

// described lets a method add the "description" Telegram sends with some
// successful results (e.g. "Webhook was set").
type described struct {
	result      any
	description string
}

var errEncoding = []byte(`{"ok":false,"error_code":500,"description":"Internal Server Error: encoding result"}`)

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = 500, errEncoding
	}
	writeBody(w, status, b)
}

func writeBody(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeError(w http.ResponseWriter, e *apiError) {
	env := envelope{ErrorCode: e.Code, Description: e.Description}
	if e.RetryAfter > 0 {
		env.Parameters = &tgResponseParameters{RetryAfter: e.RetryAfter}
	}
	writeJSON(w, e.Code, env)
}

// writeResult writes what json.Marshal of envelope{Ok: true, Result: res,
// Description: …} would, building the envelope itself in a pooled buffer.
func writeResult(w http.ResponseWriter, res any) {
	desc := ""
	if d, ok := res.(described); ok {
		res, desc = d.result, d.description
	}
	buf := bufPool.Get().(*bytes.Buffer)
	defer func() {
		buf.Reset()
		bufPool.Put(buf)
	}()
	buf.WriteString(`{"ok":true`)
	if res != nil { // omitempty
		buf.WriteString(`,"result":`)
		if err := encodeJSON(buf, res); err != nil {
			writeBody(w, 500, errEncoding)
			return
		}
	}
	if desc != "" {
		buf.WriteString(`,"description":`)
		_ = encodeJSON(buf, desc) // a string always encodes
	}
	buf.WriteByte('}')
	writeBody(w, http.StatusOK, buf.Bytes())
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// encodeJSON appends what json.Marshal(v) returns, or nothing on error.
// Messages are encoded without reflection where they can be (encode.go).
// Raw updates are appended as they are: json.Marshal made them, so they
// are already compact and escaped, as Marshal would leave them.
func encodeJSON(buf *bytes.Buffer, v any) error {
	if raws, ok := v.([]json.RawMessage); ok && raws != nil {
		buf.WriteByte('[')
		for i, raw := range raws {
			if i > 0 {
				buf.WriteByte(',')
			}
			buf.Write(raw)
		}
		buf.WriteByte(']')
		return nil
	}
	if m, ok := v.(*tgMessage); ok && m != nil {
		buf.Write(appendMessage(buf.AvailableBuffer(), m))
		return nil
	}
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		return err
	}
	buf.Truncate(buf.Len() - 1) // Encode's newline
	return nil
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, "/file/bot"):
		s.serveFile(w, r, strings.TrimPrefix(p, "/file/bot"))
	case strings.HasPrefix(p, "/bot"):
		token, method, ok := strings.Cut(strings.TrimPrefix(p, "/bot"), "/")
		if !ok {
			writeError(w, errNotFound)
			return
		}
		if token != s.opts.Token {
			writeError(w, errUnauthorized)
			return
		}
		s.serveMethod(w, r, method)
	default:
		writeError(w, errNotFound)
	}
}

func (s *Server) serveMethod(w http.ResponseWriter, r *http.Request, method string) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		writeError(w, errNotFound)
		return
	}
	req, perr := parseHTTPRequest(w, r)
	res, err := s.invoke(r.Context(), method, req, perr)
	if err != nil {
		var ae *apiError
		if errors.As(err, &ae) {
			writeError(w, ae)
		}
		// Otherwise the client went away or the server is closing:
		// nobody is listening for an answer.
		return
	}
	writeResult(w, res)
}

// invoke runs one Bot API method call: record it, apply injected delay and
// failures, then execute. It is shared by HTTP requests and methods returned
// in webhook responses.
func (s *Server) invoke(ctx context.Context, method string, req *request, parseErr *apiError) (any, error) {
	m := lookupMethod(method)
	name := method
	if m != nil {
		name = m.name
	}
	call := s.recordCall(name, req)

	res, err := func() (any, error) {
		if m == nil || (s.opts.Bale && baleLacks[name]) {
			return nil, errNotFound
		}
		if s.opts.Bale && baleEdits[name] && s.baleEditFails() {
			return nil, errBaleEdit
		}
		if parseErr != nil {
			return nil, parseErr
		}
		if d := s.delayFor(name); d > 0 {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-t.C:
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-s.done:
				return nil, errClosed
			}
		}
		if f := s.takeFailure(name); f != nil {
			return nil, f
		}
		return m.fn(s, ctx, req)
	}()
	s.finishCall(call, err)
	return res, err
}

// The Bale profile (Options.Bale): methods it lacks, and the edits it
// fails now and then.
var (
	baleLacks = map[string]bool{"setMyCommands": true, "getMyCommands": true, "deleteMyCommands": true, "sendChatAction": true}
	baleEdits = map[string]bool{"editMessageText": true, "editMessageReplyMarkup": true}
)

// baleEditFails says whether this edit fails: every other one, so a test
// meets both outcomes without chance.
func (s *Server) baleEditFails() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.baleEdits++
	return s.baleEdits%2 == 0
}
