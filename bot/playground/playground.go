// Package playground is a browser page for trying every flow of the bot
// without a bot token: simulated users of the in-repo Bot API server
// (bot/fakeapi) chat with the real bot, several side by side, on a
// Telegram-like page. The page (static HTML, CSS and JavaScript, embedded)
// talks to a small JSON API over the server's user side and follows the
// bot's answers through Server-Sent Events.
//
// It is a developer tool for localhost: it has no accounts, and it refuses
// cross-origin writes and requests for a Host that is not an IP address or
// localhost (DNS rebinding), so a web page elsewhere cannot drive it.
//
// Every text the page shows lives in the page; Go only sends data and error
// codes.
package playground

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rasad-gov/rasad/bot/chart"
	"github.com/rasad-gov/rasad/bot/fakeapi"
)

//go:embed static
var staticFiles embed.FS

// Account is what the bot's storage knows of a simulated user, shown in the
// user's column.
type Account struct {
	FullName string   `json:"full_name,omitempty"`
	Roles    []string `json:"roles"` // "admin", "manager", "liaison", "vendor", "verifier", "inspector"
	Agency   string   `json:"agency,omitempty"`
}

// User is a simulated user on the page.
type User struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`  // first name in Telegram
	Phone string `json:"phone"` // shared by a request_contact button
	// Location is where the user's phone is, shared by a request_location
	// button. Given nil, AddUser picks a place from the id.
	Location *Location `json:"location,omitempty"`
}

// Location is a point on the earth, in degrees.
type Location struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
}

// valid reports whether a phone could share l; written so that NaN fails.
// 0,0 passes: a phone without a fix sends it, and the bot must cope.
func (l Location) valid() bool {
	return l.Latitude >= -90 && l.Latitude <= 90 && l.Longitude >= -180 && l.Longitude <= 180
}

// placesInTehran are where users stand unless told otherwise: town centres
// across Tehran province, so that a shared location is one an inspector
// could plausibly stand at, and users side by side stand apart.
var placesInTehran = []Location{
	{35.6997, 51.3381}, // Azadi Square, Tehran
	{35.8045, 51.4339}, // Tajrish, Shemiranat
	{35.6745, 51.4212}, // the Grand Bazaar, Tehran
	{35.5959, 51.4346}, // Shahr-e Rey
	{35.5522, 51.2350}, // Eslamshahr
	{35.6591, 51.0590}, // Shahriar
	{35.3242, 51.6457}, // Varamin
	{35.4669, 51.6861}, // Pakdasht
	{35.7178, 52.0659}, // Damavand
	{35.7417, 51.7750}, // Pardis
}

// Options configures a Playground.
type Options struct {
	// Server is the in-repo Bot API server the bot is connected to.
	Server *fakeapi.Server
	// Account looks a user up in the bot's storage; nil shows no roles.
	// The playground sits in bot/, which never imports storage, so the
	// wiring supplies it.
	Account func(ctx context.Context, userID int64) (Account, error)
	// Seed loads sample data and returns the users to show; nil hides the
	// page's seed button. It must be harmless to run again.
	Seed func(ctx context.Context) ([]User, error)
	// Logger gets what goes wrong; default slog.Default().
	Logger *slog.Logger
	// AnswerTimeout bounds the wait for the bot's answer to a pressed
	// inline button; default 15s.
	AnswerTimeout time.Duration
	// MaxUpload is the largest file a user may send; default 20 MB, the
	// size the Bot API lets a bot download.
	MaxUpload int64
	// Heartbeat is the interval of keep-alive comments on the event
	// stream; default 25s.
	Heartbeat time.Duration
}

// Playground is the page and its API, an http.Handler.
type Playground struct {
	opts    Options
	log     *slog.Logger
	handler http.Handler

	seedMu sync.Mutex // one seeding at a time

	mu      sync.Mutex
	users   map[int64]User
	order   []int64       // users in the order they were added
	version int           // bumped when the users change
	changed chan struct{} // closed and replaced when the users change
}

// New makes a Playground over opts.Server.
func New(opts Options) *Playground {
	if opts.Server == nil {
		panic("playground: Options.Server is nil")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.AnswerTimeout <= 0 {
		opts.AnswerTimeout = 15 * time.Second
	}
	if opts.MaxUpload <= 0 {
		opts.MaxUpload = 20 << 20
	}
	if opts.Heartbeat <= 0 {
		opts.Heartbeat = 25 * time.Second
	}
	p := &Playground{
		opts:    opts,
		log:     opts.Logger,
		users:   map[int64]User{},
		changed: make(chan struct{}),
	}
	static, err := fs.Sub(staticFiles, "static")
	if err != nil {
		panic(err) // the embedded directory is part of the build
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		http.ServeFileFS(w, r, static, "index.html")
	})
	files := http.FileServerFS(static)
	mux.Handle("GET /static/", http.StripPrefix("/static", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Embedded files carry no modification time: revalidate, so a
		// rebuilt binary's page is never mixed with a cached old script.
		w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	})))
	mux.HandleFunc("GET /static/vazirmatn.ttf", serveFont)
	mux.HandleFunc("GET /api/users", p.listUsers)
	mux.HandleFunc("POST /api/users", p.createUser)
	mux.HandleFunc("GET /api/users/{id}/chat", p.chat)
	mux.HandleFunc("POST /api/users/{id}/phone", p.setPhone)
	mux.HandleFunc("POST /api/users/{id}/location", p.setLocation)
	mux.HandleFunc("POST /api/users/{id}/text", p.sendText)
	mux.HandleFunc("POST /api/users/{id}/press", p.press)
	mux.HandleFunc("POST /api/users/{id}/reply", p.reply)
	mux.HandleFunc("POST /api/users/{id}/document", p.upload)
	mux.HandleFunc("POST /api/users/{id}/photo", p.photo)
	mux.HandleFunc("GET /api/users/{id}/messages/{msg}/file", p.download)
	mux.HandleFunc("POST /api/seed", p.seed)
	mux.HandleFunc("GET /api/events", p.events)
	p.handler = http.NewCrossOriginProtection().Handler(mux)
	return p
}

// ServeHTTP serves the page and its API.
func (p *Playground) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !localHost(r.Host) {
		// A DNS-rebinding page reaches us under its own name; the
		// playground is only ever opened by address or as localhost.
		writeError(w, http.StatusForbidden, "forbidden_host", fmt.Errorf("host %q: open the playground by IP address or localhost", r.Host))
		return
	}
	p.handler.ServeHTTP(w, r)
}

func localHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	return strings.EqualFold(host, "localhost") || net.ParseIP(host) != nil
}

func serveFont(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "font/ttf")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	http.ServeContent(w, r, "vazirmatn.ttf", time.Time{}, bytes.NewReader(chart.Font()))
}

// AddUser shows a simulated user on the page, creating it in the Bot API
// server. Adding a user already shown changes nothing, so seeding twice is
// harmless. A zero id takes the next free one from 2001 on, clear of the
// seeded users; an empty phone gets a made-up mobile number from the id, and
// no location a place in Tehran province chosen by the id.
func (p *Playground) AddUser(u User) (User, error) {
	if u.ID < 0 {
		return User{}, fmt.Errorf("playground: user id %d: must be positive", u.ID)
	}
	if u.Location != nil && !u.Location.valid() {
		return User{}, fmt.Errorf("playground: location %v: no such place", *u.Location)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if u.ID == 0 {
		u.ID = 2001
		for _, id := range p.order {
			u.ID = max(u.ID, id+1)
		}
	}
	if old, ok := p.users[u.ID]; ok {
		return old, nil
	}
	u.Name = strings.TrimSpace(u.Name)
	if u.Name == "" {
		u.Name = strconv.FormatInt(u.ID, 10)
	}
	if u.Phone == "" {
		u.Phone = fmt.Sprintf("+98912%07d", u.ID%10_000_000)
	}
	if u.Location == nil {
		loc := placesInTehran[u.ID%int64(len(placesInTehran))]
		u.Location = &loc
	}
	su := p.opts.Server.User(u.ID, u.Name)
	su.SetPhone(u.Phone)
	su.SetLocation(u.Location.Latitude, u.Location.Longitude)
	p.users[u.ID] = u
	p.order = append(p.order, u.ID)
	p.notifyLocked()
	return u, nil
}

// Users lists the users on the page, in the order they were added.
func (p *Playground) Users() []User {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]User, 0, len(p.order))
	for _, id := range p.order {
		out = append(out, p.users[id])
	}
	return out
}

// Seed runs Options.Seed and shows the users it returns.
func (p *Playground) Seed(ctx context.Context) ([]User, error) {
	if p.opts.Seed == nil {
		return nil, errNoSeed
	}
	p.seedMu.Lock()
	defer p.seedMu.Unlock()
	specs, err := p.opts.Seed(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]User, 0, len(specs))
	for _, u := range specs {
		added, err := p.AddUser(u)
		if err != nil {
			return nil, err
		}
		out = append(out, added)
	}
	// Roles may have changed for users already shown: the page refetches.
	p.mu.Lock()
	p.notifyLocked()
	p.mu.Unlock()
	return out, nil
}

var errNoSeed = errors.New("playground: no seed configured")

func (p *Playground) notifyLocked() {
	p.version++
	close(p.changed)
	p.changed = make(chan struct{})
}

// usersChanged returns the users' version and a channel closed when it
// changes.
func (p *Playground) usersChanged() (int, <-chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.version, p.changed
}

func (p *Playground) lookup(id int64) (User, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	u, ok := p.users[id]
	return u, ok
}

func (p *Playground) account(ctx context.Context, id int64) Account {
	acct := Account{Roles: []string{}}
	if p.opts.Account == nil {
		return acct
	}
	a, err := p.opts.Account(ctx, id)
	if err != nil {
		p.log.Warn("playground: look up user", "user", id, "err", err)
		return acct
	}
	if a.Roles == nil {
		a.Roles = []string{}
	}
	return a
}

// userView is a user with what the bot's storage knows of them.
type userView struct {
	User
	Account
}

func (p *Playground) view(ctx context.Context, u User) userView {
	return userView{User: u, Account: p.account(ctx, u.ID)}
}

func (p *Playground) listUsers(w http.ResponseWriter, r *http.Request) {
	users := p.Users()
	views := make([]userView, 0, len(users))
	for _, u := range users {
		views = append(views, p.view(r.Context(), u))
	}
	bot := p.opts.Server.Bot()
	writeJSON(w, http.StatusOK, map[string]any{
		"users":    views,
		"can_seed": p.opts.Seed != nil,
		"max_text": fakeapi.MaxTextLen, // the page refuses longer, as Telegram's clients do
		"bot":      map[string]string{"name": bot.FirstName, "username": bot.UserName},
	})
}

func (p *Playground) createUser(w http.ResponseWriter, r *http.Request) {
	var req User
	if !readJSON(w, r, &req) {
		return
	}
	u, err := p.AddUser(req)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_user", err)
		return
	}
	writeJSON(w, http.StatusOK, p.view(r.Context(), u))
}

func (p *Playground) seed(w http.ResponseWriter, r *http.Request) {
	users, err := p.Seed(r.Context())
	switch {
	case errors.Is(err, errNoSeed):
		writeError(w, http.StatusNotFound, "seed_unavailable", err)
		return
	case err != nil:
		p.log.Error("playground: seed", "err", err)
		writeError(w, http.StatusInternalServerError, "seed_failed", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": users})
}

// simUser resolves the {id} of the path to a user shown on the page, or
// writes the error.
func (p *Playground) simUser(w http.ResponseWriter, r *http.Request) (*fakeapi.User, User, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", fmt.Errorf("user id %q", r.PathValue("id")))
		return nil, User{}, false
	}
	u, ok := p.lookup(id)
	if !ok {
		writeError(w, http.StatusNotFound, "no_user", fmt.Errorf("no user %d on the page", id))
		return nil, User{}, false
	}
	return p.opts.Server.User(u.ID, u.Name), u, true
}

func (p *Playground) setPhone(w http.ResponseWriter, r *http.Request) {
	su, u, ok := p.simUser(w, r)
	if !ok {
		return
	}
	var req struct {
		Phone string `json:"phone"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	// Sent verbatim, as Telegram clients do: the bot must cope with any
	// spelling, and trying odd ones is part of playing.
	phone := strings.TrimSpace(req.Phone)
	su.SetPhone(phone)
	u = p.update(u.ID, func(u *User) { u.Phone = phone })
	writeJSON(w, http.StatusOK, p.view(r.Context(), u))
}

// setLocation moves the user's phone: the request_location button shares
// the new place from then on.
func (p *Playground) setLocation(w http.ResponseWriter, r *http.Request) {
	su, u, ok := p.simUser(w, r)
	if !ok {
		return
	}
	var req struct {
		Latitude  *float64 `json:"latitude"`
		Longitude *float64 `json:"longitude"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	if req.Latitude == nil || req.Longitude == nil {
		writeError(w, http.StatusBadRequest, "bad_location", errors.New("send latitude and longitude"))
		return
	}
	loc := Location{Latitude: *req.Latitude, Longitude: *req.Longitude}
	if !loc.valid() {
		writeError(w, http.StatusBadRequest, "bad_location", fmt.Errorf("%v, %v: no such place", loc.Latitude, loc.Longitude))
		return
	}
	su.SetLocation(loc.Latitude, loc.Longitude)
	u = p.update(u.ID, func(u *User) { u.Location = &loc })
	writeJSON(w, http.StatusOK, p.view(r.Context(), u))
}

// update changes a user shown on the page and tells the pages. The change
// is made to the user as stored, under the lock, so that setting the phone
// and the location at once loses neither.
func (p *Playground) update(id int64, change func(*User)) User {
	p.mu.Lock()
	defer p.mu.Unlock()
	u := p.users[id]
	change(&u)
	p.users[id] = u
	p.notifyLocked()
	return u
}

func (p *Playground) sendText(w http.ResponseWriter, r *http.Request) {
	su, _, ok := p.simUser(w, r)
	if !ok {
		return
	}
	var req struct {
		Text string `json:"text"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	id, err := su.SendText(req.Text)
	if errors.Is(err, fakeapi.ErrTextTooLong) {
		writeError(w, http.StatusBadRequest, "too_long", err)
		return
	}
	if err != nil {
		p.writeSendError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"update_id": id})
}

// press presses an inline button of a bot message: by its callback data (as
// a Telegram client does, so a button pressed on a stale view sends the old
// data and the bot says so), by label, or by index in reading order.
func (p *Playground) press(w http.ResponseWriter, r *http.Request) {
	su, _, ok := p.simUser(w, r)
	if !ok {
		return
	}
	var req struct {
		Message int     `json:"message"`
		Data    *string `json:"data"`
		Label   string  `json:"label"`
		Index   *int    `json:"index"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	msg, found := su.Message(req.Message)
	if !found || !msg.FromBot || msg.Deleted {
		writeError(w, http.StatusNotFound, "no_message", fmt.Errorf("no bot message %d in chat %d", req.Message, su.ID()))
		return
	}
	data := req.Data
	switch {
	case data != nil:
	case req.Index != nil:
		var flat []fakeapi.Button
		for _, row := range msg.InlineKeyboard {
			flat = append(flat, row...)
		}
		if *req.Index < 0 || *req.Index >= len(flat) {
			writeError(w, http.StatusConflict, "no_button", fmt.Errorf("message %d has %d buttons, no index %d", msg.ID, len(flat), *req.Index))
			return
		}
		data = &flat[*req.Index].Data
		if flat[*req.Index].URL != "" {
			writeError(w, http.StatusConflict, "url_button", fmt.Errorf("button %q opens %s", flat[*req.Index].Text, flat[*req.Index].URL))
			return
		}
	default:
		b, ok := msg.Button(req.Label)
		if !ok {
			writeError(w, http.StatusConflict, "no_button", fmt.Errorf("message %d has no button %q (buttons: %q)", msg.ID, req.Label, msg.Buttons()))
			return
		}
		if b.URL != "" {
			writeError(w, http.StatusConflict, "url_button", fmt.Errorf("button %q opens %s", b.Text, b.URL))
			return
		}
		data = &b.Data
	}
	if *data == "" {
		writeError(w, http.StatusConflict, "no_button", errors.New("not a callback button"))
		return
	}
	cb, err := su.PressData(msg.ID, *data)
	if err != nil {
		p.writeSendError(w, err)
		return
	}
	ans, err := p.opts.Server.WaitAnswer(cb, p.opts.AnswerTimeout)
	if err != nil {
		writeError(w, http.StatusGatewayTimeout, "no_answer", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"answer": map[string]any{
		"text": ans.Text, "alert": ans.ShowAlert, "url": ans.URL,
	}})
}

// reply taps a button of the reply keyboard shown: its text is sent, or for
// a request_contact button the user's own phone, for a request_location one
// where the user is.
func (p *Playground) reply(w http.ResponseWriter, r *http.Request) {
	su, u, ok := p.simUser(w, r)
	if !ok {
		return
	}
	var req struct {
		Text string `json:"text"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	var btn *fakeapi.ReplyButton
	for _, row := range su.ReplyKeyboard() {
		if i := slices.IndexFunc(row, func(b fakeapi.ReplyButton) bool { return b.Text == req.Text }); i >= 0 {
			btn = &row[i]
			break
		}
	}
	var (
		id  int
		err error
	)
	switch {
	case btn == nil:
		writeError(w, http.StatusConflict, "no_reply_button", fmt.Errorf("no button %q on the reply keyboard", req.Text))
		return
	case btn.RequestLocation:
		// Every user on the page has one: AddUser sees to it.
		id, err = su.ShareLocation(u.Location.Latitude, u.Location.Longitude)
	case btn.RequestContact:
		if u.Phone == "" {
			writeError(w, http.StatusConflict, "no_phone", fmt.Errorf("user %d has no phone to share", u.ID))
			return
		}
		id, err = su.ShareContact(u.Phone, u.ID)
	default:
		id, err = su.SendText(btn.Text)
	}
	if err != nil {
		p.writeSendError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"update_id": id})
}

// writeSendError reports a refused user-side action: the server is closing,
// or the input was not something Telegram would send (empty, too long).
func (p *Playground) writeSendError(w http.ResponseWriter, err error) {
	select {
	case <-p.opts.Server.Done():
		writeError(w, http.StatusServiceUnavailable, "closed", err)
	default:
		writeError(w, http.StatusBadRequest, "refused", err)
	}
}
