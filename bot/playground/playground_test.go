package playground

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // the sample photos
	"image/png"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rasad-gov/rasad/bot/fakeapi"
	"github.com/rasad-gov/rasad/bot/transport"
)

// The JSON API is tested against the in-repo Bot API server with the bot's
// side played by the test over the Bot API itself; the real bot behind the
// page is tested in cmd/rasad (TestPlaygroundBrowser).

const wait = 5 * time.Second

type fixture struct {
	t   *testing.T
	srv *fakeapi.Server
	pg  *Playground
	web *httptest.Server

	offset int
}

func newFixture(t *testing.T, opts Options) *fixture {
	t.Helper()
	srv := fakeapi.New(fakeapi.Options{})
	opts.Server = srv
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	f := &fixture{t: t, srv: srv, pg: New(opts)}
	f.web = httptest.NewServer(f.pg)
	t.Cleanup(func() {
		srv.Close() // ends the event streams, so the web server can close
		f.web.Close()
	})
	return f
}

// do calls the page's API and decodes the answer into out (if not nil).
func (f *fixture) do(method, path string, body any, out any) int {
	f.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			f.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, f.web.URL+path, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return f.send(req, out)
}

func (f *fixture) send(req *http.Request, out any) int {
	f.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			f.t.Fatalf("%s %s: %v in %s", req.Method, req.URL.Path, err, b)
		}
	}
	return resp.StatusCode
}

// post is do for other goroutines than the test's: it reports errors.
func (f *fixture) post(path string, body, out any) (int, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return 0, err
	}
	resp, err := http.Post(f.web.URL+path, "application/json", bytes.NewReader(b))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	return resp.StatusCode, json.NewDecoder(resp.Body).Decode(out)
}

// botCall is the bot's side: one Bot API method with JSON parameters.
func (f *fixture) botCall(method string, params map[string]any) json.RawMessage {
	f.t.Helper()
	b, err := json.Marshal(params)
	if err != nil {
		f.t.Fatal(err)
	}
	resp, err := http.Post(f.srv.URL()+"/bot"+f.srv.Token()+"/"+method, "application/json", bytes.NewReader(b))
	if err != nil {
		f.t.Fatal(err)
	}
	return f.botResult(method, resp)
}

func (f *fixture) botResult(method string, resp *http.Response) json.RawMessage {
	f.t.Helper()
	defer resp.Body.Close()
	var env struct {
		Ok          bool            `json:"ok"`
		Result      json.RawMessage `json:"result"`
		Description string          `json:"description"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil || !env.Ok {
		f.t.Fatalf("bot %s: %v %s", method, err, env.Description)
	}
	return env.Result
}

// botSendFile uploads a file the way the bot library does: multipart.
func (f *fixture) botSendFile(method, field string, chatID int64, name string, data []byte) {
	f.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("chat_id", fmt.Sprint(chatID))
	fw, err := mw.CreateFormFile(field, name)
	if err != nil {
		f.t.Fatal(err)
	}
	_, _ = fw.Write(data)
	_ = mw.Close()
	resp, err := http.Post(f.srv.URL()+"/bot"+f.srv.Token()+"/"+method, mw.FormDataContentType(), &body)
	if err != nil {
		f.t.Fatal(err)
	}
	f.botResult(method, resp)
}

// nextUpdate is the bot long-polling for the next update, decoded as the
// bot decodes it.
func (f *fixture) nextUpdate() transport.Update {
	f.t.Helper()
	var ups []transport.Update
	raw := f.botCall("getUpdates", map[string]any{"offset": f.offset, "timeout": 5})
	if err := json.Unmarshal(raw, &ups); err != nil || len(ups) == 0 {
		f.t.Fatalf("getUpdates: %v, %d updates", err, len(ups))
	}
	f.offset = ups[0].UpdateID + 1
	return ups[0]
}

type chatResp struct {
	User struct {
		ID       int64     `json:"id"`
		Name     string    `json:"name"`
		Phone    string    `json:"phone"`
		Location *Location `json:"location"`
		Roles    []string  `json:"roles"`
	} `json:"user"`
	Rev      int           `json:"rev"`
	Messages []messageView `json:"messages"`
	Keyboard [][]replyView `json:"keyboard"`
	Commands []struct {
		Command string `json:"command"`
	} `json:"commands"`
}

type errResp struct {
	Error  string `json:"error"`
	Detail string `json:"detail"`
}

func TestPlaygroundPage(t *testing.T) {
	f := newFixture(t, Options{})
	get := func(path string) (*http.Response, string) {
		t.Helper()
		resp, err := http.Get(f.web.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	resp, body := get("/")
	if resp.StatusCode != 200 || !strings.Contains(body, `<html lang="fa" dir="rtl">`) || !strings.Contains(body, "static/app.js") {
		t.Fatalf("page: %d\n%s", resp.StatusCode, body)
	}
	for _, p := range []string{"/static/app.js", "/static/style.css"} {
		if resp, body := get(p); resp.StatusCode != 200 || len(body) < 1000 {
			t.Errorf("%s: %d, %d bytes", p, resp.StatusCode, len(body))
		}
	}
	if resp, body := get("/static/vazirmatn.ttf"); resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "font/ttf" || len(body) < 50_000 {
		t.Errorf("font: %d %s, %d bytes", resp.StatusCode, resp.Header.Get("Content-Type"), len(body))
	}

	// Another site cannot drive it: not by a form post, not by DNS rebinding.
	req, _ := http.NewRequest("POST", f.web.URL+"/api/users", strings.NewReader(`{"name":"x"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if code := f.send(req, nil); code != http.StatusForbidden {
		t.Errorf("cross-site post: %d", code)
	}
	req, _ = http.NewRequest("POST", f.web.URL+"/api/users", strings.NewReader(`{"name":"x"}`))
	req.Header.Set("Content-Type", "text/plain") // what a form may send without a preflight
	if code := f.send(req, nil); code != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain post: %d", code)
	}
	req, _ = http.NewRequest("GET", f.web.URL+"/api/users", nil)
	req.Host = "attacker.example:8080"
	var e errResp
	if code := f.send(req, &e); code != http.StatusForbidden || e.Error != "forbidden_host" {
		t.Errorf("foreign host: %d %+v", code, e)
	}
	if len(f.pg.Users()) != 0 {
		t.Errorf("refused requests made users: %+v", f.pg.Users())
	}
}

func TestPlaygroundChat(t *testing.T) {
	f := newFixture(t, Options{
		Account: func(_ context.Context, id int64) (Account, error) {
			return Account{Roles: []string{"vendor"}}, nil
		},
	})
	var u userView
	if code := f.do("POST", "/api/users", map[string]any{"name": "Sara"}, &u); code != 200 || u.ID != 2001 || u.Phone != "+989120002001" {
		t.Fatalf("create: %d %+v", code, u)
	}
	var list struct {
		Users   []userView `json:"users"`
		CanSeed bool       `json:"can_seed"`
	}
	f.do("GET", "/api/users", nil, &list)
	if len(list.Users) != 1 || list.Users[0].Name != "Sara" || len(list.Users[0].Roles) != 1 || list.CanSeed {
		t.Fatalf("list: %+v", list)
	}

	if code := f.do("POST", "/api/users/2001/text", map[string]string{"text": "/start"}, nil); code != 200 {
		t.Fatalf("send: %d", code)
	}
	if up := f.nextUpdate(); up.Message == nil || up.Message.Text != "/start" || up.Message.From.ID != 2001 {
		t.Fatalf("bot got %+v", up)
	}
	markup := map[string]any{"inline_keyboard": [][]map[string]string{
		{{"text": "A", "callback_data": "a"}, {"text": "B", "callback_data": "b"}},
		{{"text": "Site", "url": "https://example.org/"}},
	}}
	f.botCall("sendMessage", map[string]any{"chat_id": 2001, "text": "line 1\nline 2", "reply_markup": markup})
	f.botCall("sendMessage", map[string]any{"chat_id": 2001, "text": "your phone?", "reply_markup": map[string]any{
		"keyboard": [][]map[string]any{{{"text": "Share", "request_contact": true}}, {{"text": "Skip"}}}, "resize_keyboard": true,
	}})
	var c chatResp
	f.do("GET", "/api/users/2001/chat", nil, &c)
	if len(c.Messages) != 3 || c.Messages[1].Text != "line 1\nline 2" || !c.Messages[1].FromBot || c.Messages[0].FromBot {
		t.Fatalf("messages: %+v", c.Messages)
	}
	if in := c.Messages[1].Inline; len(in) != 2 || in[0][1].Data != "b" || in[1][0].URL != "https://example.org/" {
		t.Errorf("inline keyboard: %+v", in)
	}
	if len(c.Keyboard) != 2 || !c.Keyboard[0][0].Contact || c.Keyboard[1][0].Text != "Skip" {
		t.Errorf("reply keyboard: %+v", c.Keyboard)
	}
	if c.User.Phone != "+989120002001" || len(c.User.Roles) != 1 || c.Rev == 0 {
		t.Errorf("chat user %+v rev %d", c.User, c.Rev)
	}
	msgID := c.Messages[1].ID

	// The contact button shares the user's own phone, as set on the page.
	f.do("POST", "/api/users/2001/phone", map[string]string{"phone": "09121112233"}, nil)
	f.do("POST", "/api/users/2001/reply", map[string]string{"text": "Share"}, nil)
	if up := f.nextUpdate(); up.Message == nil || up.Message.Contact == nil || up.Message.Contact.PhoneNumber != "09121112233" || up.Message.Contact.UserID != 2001 {
		t.Fatalf("contact: %+v", up.Message)
	}
	f.do("POST", "/api/users/2001/reply", map[string]string{"text": "Skip"}, nil)
	if up := f.nextUpdate(); up.Message == nil || up.Message.Text != "Skip" {
		t.Fatalf("reply text: %+v", up.Message)
	}
	var e errResp
	if code := f.do("POST", "/api/users/2001/reply", map[string]string{"text": "Nope"}, &e); code != 409 || e.Error != "no_reply_button" {
		t.Errorf("unknown reply button: %d %+v", code, e)
	}

	// Pressing waits for the bot's answer and returns it for the toast;
	// by callback data (what the page sends), by index and by label.
	for _, press := range []map[string]any{
		{"message": msgID, "data": "a"},
		{"message": msgID, "index": 1},
		{"message": msgID, "label": "A"},
	} {
		type result struct {
			code int
			text string
			err  error
		}
		res := make(chan result, 1)
		go func() {
			var ans struct {
				Answer struct {
					Text string `json:"text"`
				} `json:"answer"`
			}
			code, err := f.post("/api/users/2001/press", press, &ans)
			res <- result{code, ans.Answer.Text, err}
		}()
		up := f.nextUpdate()
		if up.CallbackQuery == nil || up.CallbackQuery.From.ID != 2001 {
			t.Fatalf("bot got %+v", up)
		}
		want := "pressed " + up.CallbackQuery.Data
		f.botCall("answerCallbackQuery", map[string]any{"callback_query_id": up.CallbackQuery.ID, "text": want})
		if r := <-res; r.err != nil || r.code != 200 || r.text != want {
			t.Errorf("press %v: %d %q %v, want %q", press, r.code, r.text, r.err, want)
		}
	}
	for _, tc := range []struct {
		press map[string]any
		code  int
		err   string
	}{
		{map[string]any{"message": msgID, "index": 2}, 409, "url_button"},
		{map[string]any{"message": msgID, "index": 7}, 409, "no_button"},
		{map[string]any{"message": msgID, "label": "Z"}, 409, "no_button"},
		{map[string]any{"message": 999, "data": "a"}, 404, "no_message"},
		{map[string]any{"message": c.Messages[0].ID, "data": "a"}, 404, "no_message"}, // the user's own
	} {
		var e errResp
		if code := f.do("POST", "/api/users/2001/press", tc.press, &e); code != tc.code || e.Error != tc.err {
			t.Errorf("press %v: %d %+v, want %d %s", tc.press, code, e, tc.code, tc.err)
		}
	}

	// Edits are applied; deleted messages disappear.
	f.botCall("editMessageText", map[string]any{"chat_id": 2001, "message_id": msgID, "text": "edited"})
	f.do("GET", "/api/users/2001/chat", nil, &c)
	if m := c.Messages[1]; m.Text != "edited" || !m.Edited {
		t.Errorf("edited message: %+v", m)
	}
	rev := c.Rev
	f.botCall("deleteMessage", map[string]any{"chat_id": 2001, "message_id": msgID})
	f.do("GET", "/api/users/2001/chat", nil, &c)
	if c.Rev <= rev || len(c.Messages) != 4 || c.Messages[1].ID == msgID {
		t.Errorf("after delete: rev %d→%d, %+v", rev, c.Rev, c.Messages)
	}

	if code := f.do("GET", "/api/users/9/chat", nil, &e); code != 404 || e.Error != "no_user" {
		t.Errorf("unknown user: %d %+v", code, e)
	}
	if code := f.do("POST", "/api/users/2001/text", map[string]string{"text": "  "}, &e); code != 400 || e.Error != "refused" {
		t.Errorf("empty text: %d %+v", code, e)
	}
	// Longer than Telegram takes: a code the page has its own sentence for.
	long := strings.Repeat("ا", fakeapi.MaxTextLen+1)
	if code := f.do("POST", "/api/users/2001/text", map[string]string{"text": long}, &e); code != 400 || e.Error != "too_long" {
		t.Errorf("over-long text: %d %+v", code, e)
	}
}

func TestPlaygroundFiles(t *testing.T) {
	f := newFixture(t, Options{MaxUpload: 1 << 16})
	if _, err := f.pg.AddUser(User{ID: 7, Name: "Ali"}); err != nil {
		t.Fatal(err)
	}
	upload := func(name string, data []byte) (int, errResp) {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		fw, _ := mw.CreateFormFile("file", name)
		_, _ = fw.Write(data)
		_ = mw.Close()
		req, _ := http.NewRequest("POST", f.web.URL+"/api/users/7/document", &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		var e errResp
		return f.send(req, &e), e
	}
	sheet := []byte("PK\x03\x04 pretend spreadsheet")
	if code, e := upload("ثبت.xlsx", sheet); code != 200 {
		t.Fatalf("upload: %d %+v", code, e)
	}
	up := f.nextUpdate()
	if up.Message == nil || up.Message.Document == nil || up.Message.Document.FileName != "ثبت.xlsx" {
		t.Fatalf("bot got %+v", up.Message)
	}
	if code, e := upload("big.xlsx", make([]byte, 1<<16+1)); code != http.StatusRequestEntityTooLarge || e.Error != "too_large" {
		t.Errorf("too large: %d %+v", code, e)
	}

	f.botSendFile("sendDocument", "document", 7, "گزارش.xlsx", sheet)
	pic := mustPNG(t)
	f.botSendFile("sendPhoto", "photo", 7, "chart.png", pic)
	var c chatResp
	f.do("GET", "/api/users/7/chat", nil, &c)
	if len(c.Messages) != 3 {
		t.Fatalf("messages: %+v", c.Messages)
	}
	doc, photo := c.Messages[1].File, c.Messages[2].File
	if doc == nil || doc.Name != "گزارش.xlsx" || doc.Photo || photo == nil || !photo.Photo || photo.Width == 0 {
		t.Fatalf("files: %+v %+v", doc, photo)
	}
	for _, tc := range []struct {
		file        *fileView
		data        []byte
		disposition string
	}{{doc, sheet, "attachment; filename*=utf-8''%DA%AF%D8%B2%D8%A7%D8%B1%D8%B4.xlsx"}, {photo, pic, "inline; filename=chart.png"}} {
		resp, err := http.Get(f.web.URL + "/" + tc.file.URL)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !bytes.Equal(b, tc.data) || resp.Header.Get("Content-Disposition") != tc.disposition {
			t.Errorf("%s: %d, %d bytes, %q", tc.file.Name, resp.StatusCode, len(b), resp.Header.Get("Content-Disposition"))
		}
	}
	var e errResp
	if code := f.do("GET", fmt.Sprintf("/api/users/7/messages/%d/file", c.Messages[0].ID+100), nil, &e); code != 404 || e.Error != "no_file" {
		t.Errorf("no file: %d %+v", code, e)
	}
}

// A request_location button shares where the user is: a place in Tehran
// province from the start, or the one set in the column.
func TestPlaygroundLocation(t *testing.T) {
	f := newFixture(t, Options{})
	var u userView
	if code := f.do("POST", "/api/users", map[string]any{"name": "Inspector"}, &u); code != 200 || u.Location == nil {
		t.Fatalf("create: %d %+v", code, u)
	}
	home := *u.Location
	if home.Latitude < 34.8 || home.Latitude > 36.3 || home.Longitude < 50.3 || home.Longitude > 53.2 {
		t.Errorf("default location %+v is not in Tehran province", home)
	}
	var other userView
	f.do("POST", "/api/users", map[string]any{"name": "Verifier"}, &other)
	if other.Location == nil || *other.Location == home {
		t.Errorf("two users side by side stand at one place: %+v, %+v", home, other.Location)
	}
	path := fmt.Sprintf("/api/users/%d/", u.ID)

	f.botCall("sendMessage", map[string]any{"chat_id": u.ID, "text": "where are you?", "reply_markup": map[string]any{
		"keyboard": [][]map[string]any{{{"text": "Here", "request_location": true}}, {{"text": "Cancel"}}}, "resize_keyboard": true,
	}})
	var c chatResp
	f.do("GET", path+"chat", nil, &c)
	if len(c.Keyboard) != 2 || !c.Keyboard[0][0].Location || c.Keyboard[0][0].Contact || c.Keyboard[1][0].Location {
		t.Fatalf("reply keyboard: %+v", c.Keyboard)
	}
	shared := func(want Location) {
		t.Helper()
		var e errResp
		if code := f.do("POST", path+"reply", map[string]string{"text": "Here"}, &e); code != 200 {
			t.Fatalf("tap the location button: %d %+v", code, e)
		}
		up := f.nextUpdate()
		if up.Message == nil || up.Message.Location == nil || up.Message.From.ID != u.ID ||
			up.Message.Location.Latitude != want.Latitude || up.Message.Location.Longitude != want.Longitude {
			t.Fatalf("bot got %+v, want the location %+v", up.Message, want)
		}
	}
	shared(home)

	// Set in the column, it is what the button shares from then on.
	moved := Location{Latitude: 35.7219, Longitude: 51.3347}
	var v userView
	if code := f.do("POST", path+"location", moved, &v); code != 200 || v.Location == nil || *v.Location != moved {
		t.Fatalf("set location: %d %+v", code, v)
	}
	shared(moved)
	f.do("GET", path+"chat", nil, &c)
	if c.User.Location == nil || *c.User.Location != moved {
		t.Errorf("chat user %+v", c.User)
	}
	var places []Location
	for _, m := range c.Messages {
		if m.Kind == "location" && m.Location != nil && !m.FromBot {
			places = append(places, *m.Location)
		}
	}
	if len(places) != 2 || places[0] != home || places[1] != moved {
		t.Errorf("location messages shown: %+v", places)
	}

	for _, tc := range []struct {
		body any
		code int
		err  string
	}{
		{map[string]float64{"latitude": 91, "longitude": 51}, 400, "bad_location"},
		{map[string]float64{"latitude": 35, "longitude": -181}, 400, "bad_location"},
		{map[string]float64{"latitude": 35}, 400, "bad_location"},
		{map[string]any{"lat": 35, "lon": 51}, 400, "bad_request"},
	} {
		var e errResp
		if code := f.do("POST", path+"location", tc.body, &e); code != tc.code || e.Error != tc.err {
			t.Errorf("location %v: %d %+v, want %d %s", tc.body, code, e, tc.code, tc.err)
		}
	}
	var e errResp
	if code := f.do("POST", "/api/users", map[string]any{"name": "Lost", "location": map[string]float64{"latitude": 100, "longitude": 0}}, &e); code != 400 || e.Error != "bad_user" {
		t.Errorf("user at no place: %d %+v", code, e)
	}
	if got := f.pg.Users(); len(got) != 2 || *got[0].Location != moved || *got[1].Location != *other.Location {
		t.Errorf("users after refused changes: %+v", got)
	}
}

// A photo is sent as a photo, as the bot's photo steps need: a sample one,
// with what was typed as its caption.
func TestPlaygroundPhoto(t *testing.T) {
	f := newFixture(t, Options{})
	if _, err := f.pg.AddUser(User{ID: 8, Name: "Inspector"}); err != nil {
		t.Fatal(err)
	}
	var e errResp
	for _, caption := range []string{" سردر کارگاه ", ""} {
		if code := f.do("POST", "/api/users/8/photo", map[string]string{"caption": caption}, &e); code != 200 {
			t.Fatalf("send a photo: %d %+v", code, e)
		}
		up := f.nextUpdate()
		if up.Message == nil || len(up.Message.Photo) == 0 || up.Message.Document != nil || up.Message.Caption != strings.TrimSpace(caption) {
			t.Fatalf("bot got %+v", up.Message)
		}
	}
	var c chatResp
	f.do("GET", "/api/users/8/chat", nil, &c)
	if len(c.Messages) != 2 {
		t.Fatalf("messages: %+v", c.Messages)
	}
	m := c.Messages[0]
	if m.FromBot || m.Kind != "photo" || m.Text != "سردر کارگاه" || m.File == nil || !m.File.Photo || m.File.Width == 0 {
		t.Fatalf("photo message: %+v %+v", m, m.File)
	}
	resp, err := http.Get(f.web.URL + "/" + m.File.URL)
	if err != nil {
		t.Fatal(err)
	}
	img, _, err := image.Decode(resp.Body)
	resp.Body.Close()
	if err != nil || resp.Header.Get("Content-Type") != "image/jpeg" || img.Bounds().Dx() != m.File.Width {
		t.Errorf("the photo: %v, %s, %v", err, resp.Header.Get("Content-Type"), img)
	}
	// Longer than Telegram takes for a caption: refused, nothing sent.
	if code := f.do("POST", "/api/users/8/photo", map[string]string{"caption": strings.Repeat("ع", 1025)}, &e); code != 400 || e.Error != "refused" {
		t.Errorf("over-long caption: %d %+v", code, e)
	}
	if code := f.do("POST", "/api/users/9/photo", map[string]string{"caption": ""}, &e); code != 404 || e.Error != "no_user" {
		t.Errorf("unknown user: %d %+v", code, e)
	}
}

// mustPNG is a small PNG, which sendPhoto checks like Telegram.
func mustPNG(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 4, 3))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// The event stream announces users and each chat's new revision, so the
// page fetches only what changed.
func TestPlaygroundEvents(t *testing.T) {
	f := newFixture(t, Options{})
	if _, err := f.pg.AddUser(User{ID: 5, Name: "Reza"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", f.web.URL+"/api/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	events := make(chan [2]string, 16)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(resp.Body)
		var name string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				events <- [2]string{name, strings.TrimPrefix(line, "data: ")}
			}
		}
	}()
	next := func(want string) string {
		t.Helper()
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("stream ended waiting for %s", want)
			}
			if ev[0] != want {
				t.Fatalf("event %s %s, want %s", ev[0], ev[1], want)
			}
			return ev[1]
		case <-ctx.Done():
			t.Fatalf("no %s event", want)
		}
		return ""
	}
	next("users")
	if d := next("chat"); d != `{"rev":0,"user":5}` {
		t.Errorf("first chat event %s", d)
	}
	f.botCall("sendMessage", map[string]any{"chat_id": 5, "text": "hello"})
	if d := next("chat"); d != `{"rev":1,"user":5}` {
		t.Errorf("chat event %s", d)
	}
	if _, err := f.pg.AddUser(User{ID: 6, Name: "Mina"}); err != nil {
		t.Fatal(err)
	}
	next("users")
	if d := next("chat"); d != `{"rev":0,"user":6}` {
		t.Errorf("new user's chat event %s", d)
	}
}

func TestPlaygroundSeed(t *testing.T) {
	var calls atomic.Int32
	var fail atomic.Bool
	f := newFixture(t, Options{Seed: func(context.Context) ([]User, error) {
		calls.Add(1)
		if fail.Load() {
			return nil, errors.New("database away")
		}
		return []User{{ID: 1001, Name: "Admin"}, {ID: 1003, Name: "New", Phone: "+989120001003"}}, nil
	}})
	for range 2 {
		var out struct {
			Users []User `json:"users"`
		}
		if code := f.do("POST", "/api/seed", nil, &out); code != 200 || len(out.Users) != 2 {
			t.Fatalf("seed: %d %+v", code, out)
		}
	}
	if got := f.pg.Users(); calls.Load() != 2 || len(got) != 2 || got[1].Phone != "+989120001003" {
		t.Errorf("after seeding twice: %d calls, users %+v", calls.Load(), got)
	}
	fail.Store(true)
	var e errResp
	if code := f.do("POST", "/api/seed", nil, &e); code != 500 || e.Error != "seed_failed" {
		t.Errorf("failing seed: %d %+v", code, e)
	}

	g := newFixture(t, Options{})
	if code := g.do("POST", "/api/seed", nil, &e); code != 404 || e.Error != "seed_unavailable" {
		t.Errorf("no seed: %d %+v", code, e)
	}
}
