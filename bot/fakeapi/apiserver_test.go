package fakeapi_test

// These tests drive the server with the real client library on purpose:
// besides the server's behaviour, they check that the library decodes
// every reply and update the server writes. The bot itself reaches the
// library only through bot/telegram.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/rasad-gov/rasad/bot/fakeapi"
)

// newEnv starts a server and a real tgbotapi client (which calls getMe).
func newEnv(t *testing.T, opts fakeapi.Options) (*fakeapi.Server, *tgbotapi.BotAPI) {
	t.Helper()
	srv := fakeapi.New(opts)
	t.Cleanup(srv.Close)
	bot, err := tgbotapi.NewBotAPIWithClient(srv.Token(), srv.APIEndpoint(), &http.Client{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("NewBotAPIWithClient: %v", err)
	}
	return srv, bot
}

// runBot polls updates in the background like a bot would, until cleanup.
func runBot(t *testing.T, srv *fakeapi.Server, bot *tgbotapi.BotAPI, handle func(tgbotapi.Update)) {
	t.Helper()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		offset := 0
		for {
			select {
			case <-stop:
				return
			default:
			}
			ups, err := bot.GetUpdates(tgbotapi.UpdateConfig{Offset: offset, Timeout: 5})
			if err != nil {
				select {
				case <-stop:
					return
				case <-time.After(10 * time.Millisecond):
				}
				continue
			}
			for _, u := range ups {
				offset = u.UpdateID + 1
				handle(u)
			}
		}
	}()
	t.Cleanup(func() {
		close(stop)
		srv.Close() // ends the pending long poll at once
		wg.Wait()
	})
}

func apiErr(t *testing.T, err error, code int, desc string) *tgbotapi.Error {
	t.Helper()
	var te *tgbotapi.Error
	if !errors.As(err, &te) {
		t.Fatalf("want *tgbotapi.Error %d %q, got %T %v", code, desc, err, err)
	}
	if te.Code != code || !strings.Contains(te.Message, desc) {
		t.Fatalf("want error %d containing %q, got %d %q", code, desc, te.Code, te.Message)
	}
	return te
}

// eventually is for conditions on the far side of an HTTP exchange.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func waitingPolls(srv *fakeapi.Server) int {
	n := 0
	for _, c := range srv.Calls("getUpdates") {
		if !c.Done {
			n++
		}
	}
	return n
}

func TestGetMe(t *testing.T) {
	t.Parallel()
	_, bot := newEnv(t, fakeapi.Options{Token: "42:abc", BotUsername: "rasad_bot", BotName: "Rasad"})
	if bot.Self.ID != 42 || !bot.Self.IsBot || bot.Self.UserName != "rasad_bot" || bot.Self.FirstName != "Rasad" {
		t.Fatalf("unexpected bot user %+v", bot.Self)
	}
}

func TestSendMessageWithInlineKeyboard(t *testing.T) {
	t.Parallel()
	srv, bot := newEnv(t, fakeapi.Options{})
	u := srv.User(1001, "Sara")
	msg := tgbotapi.NewMessage(u.ID(), "Choose:")
	msg.ReplyMarkup = tgbotapi.NewInlineKeyboardMarkup(
		tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData("Yes", "ans:yes"), tgbotapi.NewInlineKeyboardButtonData("No", "ans:no")),
		tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonURL("Site", "https://example.org")),
	)
	sent, err := bot.Send(msg)
	if err != nil {
		t.Fatal(err)
	}
	if sent.MessageID != 1 || sent.From == nil || sent.From.ID != bot.Self.ID || sent.Chat.ID != u.ID() || sent.ReplyMarkup == nil {
		t.Fatalf("unexpected result %+v", sent)
	}
	got, err := u.Next(time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != sent.MessageID || got.Text != "Choose:" || !got.FromBot {
		t.Fatalf("unexpected message %+v", got)
	}
	if b := got.Buttons(); strings.Join(b, ",") != "Yes,No,Site" {
		t.Fatalf("buttons %v", b)
	}
	if btn, _ := got.Button("Site"); btn.URL != "https://example.org" {
		t.Fatalf("url button %+v", btn)
	}
	if _, err := u.Next(10 * time.Millisecond); err == nil {
		t.Fatal("Next returned a message twice")
	}
	sent2, err := bot.Send(tgbotapi.NewMessage(u.ID(), "second"))
	if err != nil || sent2.MessageID != 2 {
		t.Fatalf("second message: %v %+v", err, sent2)
	}
	_, err = bot.Send(tgbotapi.NewMessage(999, "nobody"))
	apiErr(t, err, 400, "chat not found")
}

func TestTextLengthInUTF16(t *testing.T) {
	t.Parallel()
	srv, bot := newEnv(t, fakeapi.Options{})
	u := srv.User(1, "A")
	for _, tc := range []struct {
		text string
		ok   bool
	}{
		{strings.Repeat("س", 4096), true},
		{strings.Repeat("a", 4097), false},
		{strings.Repeat("😀", 2048), true}, // 4096 UTF-16 units
		{strings.Repeat("😀", 2049), false},
	} {
		_, err := bot.Send(tgbotapi.NewMessage(u.ID(), tc.text))
		if tc.ok && err != nil {
			t.Fatalf("len %d: %v", len(tc.text), err)
		}
		if !tc.ok {
			apiErr(t, err, 400, "Bad Request: message is too long")
		}
	}
}

func TestCallbackDataTooLong(t *testing.T) {
	t.Parallel()
	srv, bot := newEnv(t, fakeapi.Options{})
	u := srv.User(1, "A")
	msg := tgbotapi.NewMessage(u.ID(), "x")
	msg.ReplyMarkup = tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(
		tgbotapi.NewInlineKeyboardButtonData("b", strings.Repeat("d", 65))))
	_, err := bot.Send(msg)
	apiErr(t, err, 400, "BUTTON_DATA_INVALID")

	msg.ReplyMarkup = tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(
		tgbotapi.NewInlineKeyboardButtonData("b", strings.Repeat("d", 64))))
	if _, err := bot.Send(msg); err != nil {
		t.Fatal(err)
	}
}

// Rasad sends plain text: markup it starts to send is refused, not shown.
func TestParseModeRefused(t *testing.T) {
	t.Parallel()
	srv, bot := newEnv(t, fakeapi.Options{})
	u := srv.User(1, "A")
	m := tgbotapi.NewMessage(u.ID(), "<b>x</b>")
	m.ParseMode = tgbotapi.ModeHTML
	_, err := bot.Send(m)
	apiErr(t, err, 400, "unsupported parse_mode")
}

func TestGetUpdatesOffsetAndRedelivery(t *testing.T) {
	t.Parallel()
	srv, bot := newEnv(t, fakeapi.Options{})
	u := srv.User(7, "Ali")
	id1, _ := u.SendText("/start ref_1")
	id2, _ := u.SendText("hello")

	ups, err := bot.GetUpdates(tgbotapi.UpdateConfig{})
	if err != nil || len(ups) != 2 || ups[0].UpdateID != id1 || ups[1].UpdateID != id2 {
		t.Fatalf("first fetch: %v %+v", err, ups)
	}
	m := ups[0].Message
	if !m.IsCommand() || m.Command() != "start" || m.CommandArguments() != "ref_1" || m.From.ID != 7 || m.Chat.Type != "private" {
		t.Fatalf("command message %+v", m)
	}
	// Unconfirmed updates come again.
	ups, _ = bot.GetUpdates(tgbotapi.UpdateConfig{})
	if len(ups) != 2 {
		t.Fatalf("redelivery without offset: %d updates", len(ups))
	}
	// The offset confirms update 1 only.
	ups, _ = bot.GetUpdates(tgbotapi.UpdateConfig{Offset: id2})
	if len(ups) != 1 || ups[0].UpdateID != id2 || srv.Pending() != 1 {
		t.Fatalf("offset %d: %+v pending %d", id2, ups, srv.Pending())
	}
	ups, _ = bot.GetUpdates(tgbotapi.UpdateConfig{Offset: id2 + 1})
	if len(ups) != 0 || srv.Pending() != 0 {
		t.Fatalf("all confirmed: %+v pending %d", ups, srv.Pending())
	}

	// Redeliver: the same update id comes back once more.
	if err := srv.Redeliver(id1); err != nil {
		t.Fatal(err)
	}
	ups, _ = bot.GetUpdates(tgbotapi.UpdateConfig{Offset: id2 + 1})
	if len(ups) != 1 || ups[0].UpdateID != id1 || ups[0].Message.Text != "/start ref_1" {
		t.Fatalf("redelivered: %+v", ups)
	}
	ups, _ = bot.GetUpdates(tgbotapi.UpdateConfig{Offset: id2 + 1})
	if len(ups) != 0 || srv.Pending() != 0 {
		t.Fatalf("redelivered update not confirmed: %+v", ups)
	}
	if err := srv.Redeliver(12345); err == nil {
		t.Fatal("Redeliver of an unknown update succeeded")
	}
}

func TestLongPollWakesOnNewUpdate(t *testing.T) {
	t.Parallel()
	srv, bot := newEnv(t, fakeapi.Options{})
	u := srv.User(1, "A")
	type result struct {
		ups []tgbotapi.Update
		err error
	}
	done := make(chan result, 1)
	start := time.Now()
	go func() {
		ups, err := bot.GetUpdates(tgbotapi.UpdateConfig{Timeout: 10})
		done <- result{ups, err}
	}()
	eventually(t, "long poll to wait", func() bool { return waitingPolls(srv) == 1 })
	if _, err := u.SendText("wake up"); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		if r.err != nil || len(r.ups) != 1 || r.ups[0].Message.Text != "wake up" {
			t.Fatalf("long poll: %v %+v", r.err, r.ups)
		}
		if time.Since(start) > 2*time.Second {
			t.Fatal("long poll did not wake promptly")
		}
	case <-time.After(3 * time.Second):
		t.Fatal("long poll did not wake")
	}
}

func TestLongPollTimeoutAndClientGone(t *testing.T) {
	t.Parallel()
	srv, _ := newEnv(t, fakeapi.Options{})
	// tgbotapi only sends whole seconds; Telegram also accepts fractions.
	start := time.Now()
	resp, err := http.PostForm(fmt.Sprintf(srv.APIEndpoint(), srv.Token(), "getUpdates"), url.Values{"timeout": {"0.2"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != `{"ok":true,"result":[]}` || time.Since(start) < 180*time.Millisecond {
		t.Fatalf("timeout poll: %s after %v", body, time.Since(start))
	}

	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost,
		fmt.Sprintf(srv.APIEndpoint(), srv.Token(), "getUpdates"), strings.NewReader("timeout=30"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	go func() {
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	eventually(t, "raw long poll to wait", func() bool { return waitingPolls(srv) == 1 })
	cancel()
	eventually(t, "abandoned long poll to end", func() bool { return waitingPolls(srv) == 0 })
	calls := srv.Calls("getUpdates")
	if last := calls[len(calls)-1]; last.ErrorCode != -1 {
		t.Fatalf("abandoned poll recorded as %+v", last)
	}
}

func TestConcurrentGetUpdatesConflict(t *testing.T) {
	t.Parallel()
	srv, bot := newEnv(t, fakeapi.Options{})
	first := make(chan error, 1)
	go func() {
		_, err := bot.GetUpdates(tgbotapi.UpdateConfig{Timeout: 10})
		first <- err
	}()
	eventually(t, "first poll to wait", func() bool { return waitingPolls(srv) == 1 })
	if _, err := bot.GetUpdates(tgbotapi.UpdateConfig{}); err != nil {
		t.Fatalf("second poll: %v", err)
	}
	select {
	case err := <-first:
		apiErr(t, err, 409, "Conflict: terminated by other getUpdates request")
	case <-time.After(3 * time.Second):
		t.Fatal("first poll was not terminated")
	}
}

func TestTapWaitsForCallbackAnswer(t *testing.T) {
	t.Parallel()
	srv, bot := newEnv(t, fakeapi.Options{})
	u := srv.User(5, "Reza")
	runBot(t, srv, bot, func(up tgbotapi.Update) {
		if cq := up.CallbackQuery; cq != nil {
			time.Sleep(30 * time.Millisecond) // a slow handler
			edit := tgbotapi.NewEditMessageText(cq.Message.Chat.ID, cq.Message.MessageID, "Picked "+cq.Data)
			if _, err := bot.Send(edit); err != nil {
				t.Errorf("edit: %v", err)
			}
			if _, err := bot.Request(tgbotapi.NewCallbackWithAlert(cq.ID, "Saved "+cq.Data)); err != nil {
				t.Errorf("answer: %v", err)
			}
		}
	})
	msg := tgbotapi.NewMessage(u.ID(), "Pick")
	msg.ReplyMarkup = tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(
		tgbotapi.NewInlineKeyboardButtonData("Red", "c:red"), tgbotapi.NewInlineKeyboardButtonData("Blue", "c:blue")))
	sent, err := bot.Send(msg)
	if err != nil {
		t.Fatal(err)
	}
	ans, err := u.Tap("Blue", 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if ans.Text != "Saved c:blue" || !ans.ShowAlert {
		t.Fatalf("answer %+v", ans)
	}
	// The edit happened before the answer; WaitEdit still reports it.
	m, err := u.WaitEdit(sent.MessageID, time.Second)
	if err != nil || m.Text != "Picked c:blue" || !m.Edited || len(m.InlineKeyboard) != 0 {
		t.Fatalf("edited message: %v %+v", err, m)
	}
	if _, err := u.Tap("Red", time.Second); err == nil || !strings.Contains(err.Error(), `no button "Red"`) {
		t.Fatalf("tap on a removed keyboard: %v", err)
	}
	if err := srv.CheckCallbacksAnswered(time.Second); err != nil {
		t.Fatal(err)
	}
}

func TestUnansweredCallback(t *testing.T) {
	t.Parallel()
	srv, bot := newEnv(t, fakeapi.Options{})
	u := srv.User(5, "Reza")
	msg := tgbotapi.NewMessage(u.ID(), "Pick")
	msg.ReplyMarkup = tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData("Go", "go")))
	sent, _ := bot.Send(msg)
	cbID, err := u.Press(sent.MessageID, "Go")
	if err != nil {
		t.Fatal(err)
	}
	ups, _ := bot.GetUpdates(tgbotapi.UpdateConfig{})
	if len(ups) != 1 || ups[0].CallbackQuery == nil || ups[0].CallbackQuery.ID != cbID || ups[0].CallbackQuery.Data != "go" ||
		ups[0].CallbackQuery.Message.MessageID != sent.MessageID {
		t.Fatalf("callback update %+v", ups)
	}
	if len(srv.Unanswered()) != 0 {
		t.Fatal("delivered but unconfirmed callback counted as unanswered")
	}
	_, _ = bot.GetUpdates(tgbotapi.UpdateConfig{Offset: ups[0].UpdateID + 1}) // confirm
	if got := srv.Unanswered(); len(got) != 1 || got[0] != cbID {
		t.Fatalf("Unanswered = %v", got)
	}
	err = srv.CheckCallbacksAnswered(20 * time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), cbID) {
		t.Fatalf("CheckCallbacksAnswered = %v", err)
	}
	if _, err := bot.Request(tgbotapi.NewCallback(cbID, "")); err != nil {
		t.Fatal(err)
	}
	if err := srv.CheckCallbacksAnswered(0); err != nil {
		t.Fatal(err)
	}
	_, err = bot.Request(tgbotapi.NewCallback(cbID, "again"))
	apiErr(t, err, 400, "query is too old and response timeout expired or query ID is invalid")
}

func TestFailNextAndDelay(t *testing.T) {
	t.Parallel()
	srv, bot := newEnv(t, fakeapi.Options{})
	u := srv.User(1, "A")
	srv.FailNext("sendMessage", 1, 429, 7)
	_, err := bot.Send(tgbotapi.NewMessage(u.ID(), "x"))
	te := apiErr(t, err, 429, "Too Many Requests: retry after 7")
	if te.RetryAfter != 7 {
		t.Fatalf("RetryAfter = %d", te.RetryAfter)
	}
	if _, err := bot.Send(tgbotapi.NewMessage(u.ID(), "x")); err != nil {
		t.Fatalf("second attempt: %v", err)
	}
	srv.FailNext("", 1, 403, 0)
	_, err = bot.Request(tgbotapi.NewChatAction(u.ID(), tgbotapi.ChatTyping))
	apiErr(t, err, 403, "Forbidden: bot was blocked by the user")

	srv.SetDelay("sendChatAction", 60*time.Millisecond)
	start := time.Now()
	if _, err := bot.Request(tgbotapi.NewChatAction(u.ID(), tgbotapi.ChatTyping)); err != nil {
		t.Fatal(err)
	}
	if time.Since(start) < 60*time.Millisecond {
		t.Fatal("delay not applied")
	}
	if a := u.Actions(); len(a) != 1 || a[0] != "typing" {
		t.Fatalf("actions %v", a)
	}
	calls := srv.Calls("sendMessage")
	if len(calls) != 2 || calls[0].ErrorCode != 429 || calls[1].ErrorCode != 0 || calls[1].Params["text"] != "x" {
		t.Fatalf("calls %+v", calls)
	}
}

func TestSendDocumentGetFileDownload(t *testing.T) {
	t.Parallel()
	srv, bot := newEnv(t, fakeapi.Options{})
	u := srv.User(1, "A")
	data := []byte("%PDF-1.4 fake report")
	doc := tgbotapi.NewDocument(u.ID(), tgbotapi.FileBytes{Name: "report.pdf", Bytes: data})
	doc.Caption = "Your report"
	sent, err := bot.Send(doc)
	if err != nil {
		t.Fatal(err)
	}
	d := sent.Document
	if d == nil || d.FileName != "report.pdf" || d.MimeType != "application/pdf" || d.FileSize != len(data) || d.FileID == "" {
		t.Fatalf("document %+v", d)
	}
	f, err := bot.GetFile(tgbotapi.FileConfig{FileID: d.FileID})
	if err != nil || f.FileSize != len(data) || f.FilePath == "" {
		t.Fatalf("getFile: %v %+v", err, f)
	}
	if got := download(t, srv, f.FilePath); !bytes.Equal(got, data) {
		t.Fatalf("downloaded %q", got)
	}
	m, _ := u.Next(time.Second)
	if m.Kind != "document" || m.Caption != "Your report" || m.Document == nil || !bytes.Equal(m.Document.Data, data) {
		t.Fatalf("user sees %+v", m)
	}
	// Re-send by file_id.
	again, err := bot.Send(tgbotapi.NewDocument(u.ID(), tgbotapi.FileID(d.FileID)))
	if err != nil || again.Document.FileID != d.FileID {
		t.Fatalf("resend: %v %+v", err, again.Document)
	}
	_, err = bot.Send(tgbotapi.NewPhoto(u.ID(), tgbotapi.FileID(d.FileID)))
	apiErr(t, err, 400, "can't use file of type Document as Photo")
	_, err = bot.GetFile(tgbotapi.FileConfig{FileID: "nope"})
	apiErr(t, err, 400, "invalid file_id")
}

func download(t *testing.T, srv *fakeapi.Server, filePath string) []byte {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf(srv.FileEndpoint(), srv.Token(), filePath))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("download %s: %s", filePath, resp.Status)
	}
	b, _ := io.ReadAll(resp.Body)
	return b
}

func TestUserFilesDownloadedByBot(t *testing.T) {
	t.Parallel()
	srv, bot := newEnv(t, fakeapi.Options{})
	u := srv.User(3, "Mina")
	data := []byte("name,phone\nA,0912\n")
	if _, err := u.SendDocument("contacts.csv", "", data); err != nil {
		t.Fatal(err)
	}
	if _, err := u.SendPhoto(); err != nil {
		t.Fatal(err)
	}
	ups, _ := bot.GetUpdates(tgbotapi.UpdateConfig{})
	if len(ups) != 2 {
		t.Fatalf("%d updates", len(ups))
	}
	doc := ups[0].Message.Document
	if doc == nil || doc.FileName != "contacts.csv" || doc.MimeType != "text/csv" {
		t.Fatalf("document %+v", doc)
	}
	f, err := bot.GetFile(tgbotapi.FileConfig{FileID: doc.FileID})
	if err != nil {
		t.Fatal(err)
	}
	if got := download(t, srv, f.FilePath); !bytes.Equal(got, data) {
		t.Fatalf("downloaded %q", got)
	}
	photo := ups[1].Message.Photo
	if len(photo) == 0 || photo[len(photo)-1].Width != 64 {
		t.Fatalf("photo %+v", photo)
	}
	pf, _ := bot.GetFile(tgbotapi.FileConfig{FileID: photo[len(photo)-1].FileID})
	img := download(t, srv, pf.FilePath)
	// The bot may send the user's photo back by file_id or as an upload.
	if _, err := bot.Send(tgbotapi.NewPhoto(u.ID(), tgbotapi.FileBytes{Name: "p.jpg", Bytes: img})); err != nil {
		t.Fatal(err)
	}
	if m, _ := u.Next(time.Second); m.Photo == nil || !bytes.Equal(m.Photo.Data, img) {
		t.Fatalf("photo message %+v", m)
	}
	_, err = bot.Send(tgbotapi.NewPhoto(u.ID(), tgbotapi.FileBytes{Name: "p.jpg", Bytes: []byte("not an image")}))
	if err == nil || !strings.Contains(err.Error(), "IMAGE_PROCESS_FAILED") {
		t.Fatalf("garbage photo: %v", err)
	}
	resp, _ := http.Get(fmt.Sprintf(srv.FileEndpoint(), "wrong:token", f.FilePath))
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("wrong token download: %s", resp.Status)
	}
}

func TestWebhookDelivery(t *testing.T) {
	t.Parallel()
	for _, omit := range []bool{false, true} {
		t.Run(fmt.Sprintf("omitSecret=%v", omit), func(t *testing.T) {
			t.Parallel()
			srv, bot := newEnv(t, fakeapi.Options{OmitSecretHeader: omit})
			u := srv.User(9, "Omid")
			type hit struct {
				update tgbotapi.Update
				secret string
				status int
			}
			hits := make(chan hit, 10)
			var mu sync.Mutex
			calls := 0
			hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var up tgbotapi.Update
				_ = json.NewDecoder(r.Body).Decode(&up)
				mu.Lock()
				calls++
				status := 200
				if calls == 1 {
					status = 500 // first attempt fails: must be retried
				}
				mu.Unlock()
				w.WriteHeader(status)
				hits <- hit{up, r.Header.Get("X-Telegram-Bot-Api-Secret-Token"), status}
			}))
			defer hook.Close()

			if _, err := bot.MakeRequest("setWebhook", tgbotapi.Params{"url": hook.URL + "/hook", "secret_token": "s3cr3t_-"}); err != nil {
				t.Fatal(err)
			}
			if url, secret := srv.Webhook(); url != hook.URL+"/hook" || secret != "s3cr3t_-" {
				t.Fatalf("Webhook() = %q %q", url, secret)
			}
			_, err := bot.GetUpdates(tgbotapi.UpdateConfig{})
			apiErr(t, err, 409, "can't use getUpdates method while webhook is active")

			id, _ := u.SendText("via hook")
			for attempt, want := range []int{500, 200} {
				select {
				case h := <-hits:
					if h.status != want || h.update.UpdateID != id || h.update.Message.Text != "via hook" {
						t.Fatalf("attempt %d: %+v", attempt, h)
					}
					wantSecret := "s3cr3t_-"
					if omit {
						wantSecret = ""
					}
					if h.secret != wantSecret {
						t.Fatalf("secret header %q, want %q", h.secret, wantSecret)
					}
				case <-time.After(3 * time.Second):
					t.Fatalf("attempt %d not delivered", attempt)
				}
			}
			eventually(t, "update to be confirmed", func() bool { return srv.Pending() == 0 })
			info, err := bot.GetWebhookInfo()
			if err != nil || info.LastErrorMessage == "" || info.MaxConnections != 40 {
				t.Fatalf("webhook info %v %+v", err, info)
			}

			// Redelivery reaches the webhook again with the same id.
			if err := srv.Redeliver(id); err != nil {
				t.Fatal(err)
			}
			select {
			case h := <-hits:
				if h.update.UpdateID != id {
					t.Fatalf("redelivered %+v", h)
				}
			case <-time.After(3 * time.Second):
				t.Fatal("redelivery not delivered")
			}
			if _, err := bot.Request(tgbotapi.DeleteWebhookConfig{}); err != nil {
				t.Fatal(err)
			}
			if _, err := bot.GetUpdates(tgbotapi.UpdateConfig{}); err != nil {
				t.Fatalf("getUpdates after deleteWebhook: %v", err)
			}
		})
	}
}

func TestWebhookCallbackAndReplyInResponse(t *testing.T) {
	t.Parallel()
	srv, bot := newEnv(t, fakeapi.Options{})
	u := srv.User(9, "Omid")
	// The hook answers the callback in its HTTP response, as
	// tgbotapi.WriteToHTTPResponse does.
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var up tgbotapi.Update
		_ = json.NewDecoder(r.Body).Decode(&up)
		if up.CallbackQuery != nil {
			_ = tgbotapi.WriteToHTTPResponse(w, tgbotapi.NewCallback(up.CallbackQuery.ID, "done"))
		}
	}))
	defer hook.Close()
	wh, _ := tgbotapi.NewWebhook(hook.URL)
	if _, err := bot.Request(wh); err != nil {
		t.Fatal(err)
	}
	msg := tgbotapi.NewMessage(u.ID(), "Pick")
	msg.ReplyMarkup = tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData("Go", "go")))
	if _, err := bot.Send(msg); err != nil {
		t.Fatal(err)
	}
	ans, err := u.Tap("Go", 3*time.Second)
	if err != nil || ans.Text != "done" {
		t.Fatalf("Tap: %v %+v", err, ans)
	}
	if err := srv.CheckCallbacksAnswered(time.Second); err != nil {
		t.Fatal(err)
	}
}

func TestEditMessageText(t *testing.T) {
	t.Parallel()
	srv, bot := newEnv(t, fakeapi.Options{})
	u := srv.User(2, "B")
	kb := tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData("Next", "n")))
	msg := tgbotapi.NewMessage(u.ID(), "Step 1")
	msg.ReplyMarkup = kb
	sent, _ := bot.Send(msg)
	first, _ := u.Next(time.Second)

	edited, err := bot.Send(tgbotapi.NewEditMessageTextAndMarkup(u.ID(), sent.MessageID, "Step 2", kb))
	if err != nil || edited.Text != "Step 2" || edited.EditDate == 0 {
		t.Fatalf("edit: %v %+v", err, edited)
	}
	m, err := u.WaitEdit(sent.MessageID, time.Second)
	if err != nil || m.Text != "Step 2" || !m.Edited || len(m.Buttons()) != 1 {
		t.Fatalf("user sees %v %+v", err, m)
	}
	if first.Text != "Step 1" {
		t.Fatal("snapshot changed after the edit")
	}
	if _, err := u.Next(20 * time.Millisecond); err == nil {
		t.Fatal("an edit advanced Next")
	}
	_, err = bot.Send(tgbotapi.NewEditMessageTextAndMarkup(u.ID(), sent.MessageID, "Step 2", kb))
	apiErr(t, err, 400, "message is not modified")
	// Without reply_markup the keyboard goes away, as in Telegram.
	if _, err := bot.Send(tgbotapi.NewEditMessageText(u.ID(), sent.MessageID, "Step 2")); err != nil {
		t.Fatal(err)
	}
	if m, _ := u.Message(sent.MessageID); len(m.InlineKeyboard) != 0 {
		t.Fatalf("keyboard kept: %+v", m.InlineKeyboard)
	}
	_, err = bot.Send(tgbotapi.NewEditMessageText(u.ID(), 999, "x"))
	apiErr(t, err, 400, "message to edit not found")

	if _, err := bot.Send(tgbotapi.NewEditMessageReplyMarkup(u.ID(), sent.MessageID, kb)); err != nil {
		t.Fatal(err)
	}
	if _, err := bot.Request(tgbotapi.NewDeleteMessage(u.ID(), sent.MessageID)); err != nil {
		t.Fatal(err)
	}
	if m, _ := u.Message(sent.MessageID); !m.Deleted {
		t.Fatal("not marked deleted")
	}
	if _, ok := u.LastMessage(); ok {
		t.Fatal("LastMessage returned a deleted message")
	}
	_, err = bot.Request(tgbotapi.NewDeleteMessage(u.ID(), sent.MessageID))
	apiErr(t, err, 400, "message to delete not found")
}

func TestReplyKeyboardContact(t *testing.T) {
	t.Parallel()
	srv, bot := newEnv(t, fakeapi.Options{})
	u := srv.User(11, "Neda")
	u.SetPhone("989121234567")
	msg := tgbotapi.NewMessage(u.ID(), "Share your number")
	msg.ReplyMarkup = tgbotapi.NewOneTimeReplyKeyboard(
		tgbotapi.NewKeyboardButtonRow(tgbotapi.NewKeyboardButtonContact("📱 Share")),
		tgbotapi.NewKeyboardButtonRow(tgbotapi.NewKeyboardButton("Cancel")))
	if _, err := bot.Send(msg); err != nil {
		t.Fatal(err)
	}
	if m, _ := u.Next(time.Second); len(m.ReplyKeyboard) != 2 || !m.ReplyKeyboard[0][0].RequestContact {
		t.Fatalf("reply keyboard %+v", m.ReplyKeyboard)
	}
	if ans, err := u.Tap("📱 Share", time.Second); err != nil || ans != (fakeapi.CallbackAnswer{}) {
		t.Fatalf("Tap: %v %+v", err, ans)
	}
	if _, err := u.Tap("Cancel", time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := u.ShareContact("+989350000000", 0); err != nil {
		t.Fatal(err)
	}
	ups, _ := bot.GetUpdates(tgbotapi.UpdateConfig{})
	if len(ups) != 3 {
		t.Fatalf("%d updates", len(ups))
	}
	c := ups[0].Message.Contact
	if c == nil || c.PhoneNumber != "989121234567" || c.UserID != u.ID() || c.FirstName != "Neda" {
		t.Fatalf("contact %+v", c)
	}
	if ups[1].Message.Text != "Cancel" || ups[2].Message.Contact.UserID != 0 {
		t.Fatalf("updates %+v %+v", ups[1].Message, ups[2].Message)
	}
	rm := tgbotapi.NewMessage(u.ID(), "Thanks")
	rm.ReplyMarkup = tgbotapi.NewRemoveKeyboard(false)
	if _, err := bot.Send(rm); err != nil {
		t.Fatal(err)
	}
	if u.ReplyKeyboard() != nil {
		t.Fatal("keyboard not removed")
	}
	if _, err := u.Tap("Cancel", time.Second); err == nil {
		t.Fatal("tap on a removed reply keyboard succeeded")
	}
}

// A request_location button shares where the user's phone is; a location
// can also be sent on its own (a point picked on the map).
func TestReplyKeyboardLocation(t *testing.T) {
	t.Parallel()
	srv, bot := newEnv(t, fakeapi.Options{})
	u := srv.User(12, "Reza")
	msg := tgbotapi.NewMessage(u.ID(), "Where are you?")
	msg.ReplyMarkup = tgbotapi.NewReplyKeyboard(
		tgbotapi.NewKeyboardButtonRow(tgbotapi.NewKeyboardButtonLocation("📍 Share")),
		tgbotapi.NewKeyboardButtonRow(tgbotapi.NewKeyboardButton("Cancel")))
	if _, err := bot.Send(msg); err != nil {
		t.Fatal(err)
	}
	if m, _ := u.Next(time.Second); len(m.ReplyKeyboard) != 2 || !m.ReplyKeyboard[0][0].RequestLocation || m.ReplyKeyboard[0][0].RequestContact {
		t.Fatalf("reply keyboard %+v", m.ReplyKeyboard)
	}
	if _, err := u.Tap("📍 Share", time.Second); err == nil || !strings.Contains(err.Error(), "SetLocation") {
		t.Fatalf("tap with no location set: %v", err)
	}
	u.SetLocation(35.689197, 51.388974)
	if _, err := u.Tap("📍 Share", time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := u.ShareLocation(-33.86882, 151.209296); err != nil {
		t.Fatal(err)
	}
	if _, err := u.ShareLocation(91, 0); err == nil {
		t.Fatal("a latitude of 91 was sent")
	}
	ups, _ := bot.GetUpdates(tgbotapi.UpdateConfig{})
	if len(ups) != 2 {
		t.Fatalf("%d updates", len(ups))
	}
	for i, want := range []tgbotapi.Location{{Latitude: 35.689197, Longitude: 51.388974}, {Latitude: -33.86882, Longitude: 151.209296}} {
		m := ups[i].Message
		if m.Location == nil || *m.Location != want || m.Text != "" {
			t.Errorf("update %d: location %+v text %q, want %+v", i, m.Location, m.Text, want)
		}
	}
	tr := u.Transcript()
	if last := tr[len(tr)-1]; last.Kind != "location" || last.Location == nil || last.Location.Longitude != 151.209296 {
		t.Errorf("transcript's last message %+v", last)
	}
}

// A user's photo comes in sizes, smallest first, each a file to download;
// its caption comes with it.
func TestUserPhotoSizesAndCaption(t *testing.T) {
	t.Parallel()
	srv, bot := newEnv(t, fakeapi.Options{})
	u := srv.User(13, "Sara")
	if _, err := u.SendPhotoCaption("کارگاه از بیرون"); err != nil {
		t.Fatal(err)
	}
	if _, err := u.SendPhotoCaption(strings.Repeat("x", 1025)); err == nil {
		t.Fatal("a caption of 1025 characters was sent")
	}
	ups, _ := bot.GetUpdates(tgbotapi.UpdateConfig{})
	if len(ups) != 1 {
		t.Fatalf("%d updates", len(ups))
	}
	m := ups[0].Message
	if m.Caption != "کارگاه از بیرون" || len(m.Photo) != 2 {
		t.Fatalf("caption %q, %d sizes", m.Caption, len(m.Photo))
	}
	small, large := m.Photo[0], m.Photo[1]
	if small.Width >= large.Width || large.Width != 64 || small.FileID == large.FileID {
		t.Fatalf("sizes %+v", m.Photo)
	}
	for _, p := range m.Photo {
		f, err := bot.GetFile(tgbotapi.FileConfig{FileID: p.FileID})
		if err != nil {
			t.Fatal(err)
		}
		if data := download(t, srv, f.FilePath); len(data) != p.FileSize {
			t.Errorf("size %dx%d: downloaded %d bytes, file_size %d", p.Width, p.Height, len(data), p.FileSize)
		}
	}
	if tr := u.Transcript(); tr[0].Photo == nil || tr[0].Photo.Width != 64 || tr[0].Caption != "کارگاه از بیرون" {
		t.Errorf("transcript shows %+v", tr[0])
	}
}

func TestGroupChat(t *testing.T) {
	t.Parallel()
	srv, bot := newEnv(t, fakeapi.Options{})
	u := srv.User(4, "D")
	g := srv.Group(-1001, "Staff")
	if _, err := u.SendTextIn(g.ID(), "hi all"); err != nil {
		t.Fatal(err)
	}
	ups, _ := bot.GetUpdates(tgbotapi.UpdateConfig{})
	if len(ups) != 1 || ups[0].Message.Chat.Type != "group" || ups[0].Message.Chat.ID != -1001 || ups[0].Message.From.ID != 4 {
		t.Fatalf("group update %+v", ups)
	}
	if _, err := bot.Send(tgbotapi.NewMessage(g.ID(), "private chats only")); err != nil {
		t.Fatal(err)
	}
	if m, err := g.Next(time.Second); err != nil || m.Text != "private chats only" {
		t.Fatalf("group message %v %+v", err, m)
	}
	if _, err := bot.Request(tgbotapi.LeaveChatConfig{ChatID: g.ID()}); err != nil {
		t.Fatal(err)
	}
	if !g.Left() {
		t.Fatal("not left")
	}
	if _, err := u.SendTextIn(g.ID(), "again"); err == nil {
		t.Fatal("wrote in a chat the bot left")
	}
	if _, err := u.SendTextIn(999, "x"); err == nil {
		t.Fatal("wrote in an unknown chat")
	}
}

func TestCommands(t *testing.T) {
	t.Parallel()
	srv, bot := newEnv(t, fakeapi.Options{})
	u := srv.User(8, "E")
	def := []tgbotapi.BotCommand{{Command: "start", Description: "شروع"}, {Command: "help", Description: "راهنما"}}
	if _, err := bot.Request(tgbotapi.NewSetMyCommands(def...)); err != nil {
		t.Fatal(err)
	}
	chatScope := tgbotapi.NewBotCommandScopeChat(u.ID())
	fakeChatScope := fakeapi.CommandScope{Type: "chat", ChatID: u.ID()}
	admin := []tgbotapi.BotCommand{{Command: "admin", Description: "panel"}}
	if _, err := bot.Request(tgbotapi.NewSetMyCommandsWithScopeAndLanguage(chatScope, "fa", admin...)); err != nil {
		t.Fatal(err)
	}
	if got := srv.Commands(fakeapi.CommandScope{}); len(got) != 2 || got[0].Command != "start" {
		t.Fatalf("default commands %+v", got)
	}
	if got := srv.Commands(fakeChatScope); len(got) != 1 || got[0].Command != "admin" {
		t.Fatalf("chat commands %+v", got)
	}
	if got := srv.Commands(fakeapi.CommandScope{Type: "all_private_chats"}); got != nil {
		t.Fatalf("unset scope %+v", got)
	}
	got, err := bot.GetMyCommandsWithConfig(tgbotapi.NewGetMyCommandsWithScopeAndLanguage(chatScope, "fa"))
	if err != nil || len(got) != 1 {
		t.Fatalf("getMyCommands %v %+v", err, got)
	}
	_, err = bot.Request(tgbotapi.NewSetMyCommands(tgbotapi.BotCommand{Command: "Start", Description: "x"}))
	apiErr(t, err, 400, "BOT_COMMAND_INVALID")
	if _, err := bot.Request(tgbotapi.NewDeleteMyCommandsWithScopeAndLanguage(chatScope, "fa")); err != nil {
		t.Fatal(err)
	}
	if got := srv.Commands(fakeChatScope); got != nil {
		t.Fatalf("deleted commands %+v", got)
	}
}

func TestRawHTTP(t *testing.T) {
	t.Parallel()
	srv, _ := newEnv(t, fakeapi.Options{})
	u := srv.User(6, "F")
	post := func(token, method, contentType, body string) (int, map[string]any) {
		t.Helper()
		resp, err := http.Post(fmt.Sprintf(srv.APIEndpoint(), token, method), contentType, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, out
	}
	code, out := post("bad:token", "getMe", "", "")
	if code != 401 || out["ok"] != false || out["error_code"] != 401.0 || out["description"] != "Unauthorized" {
		t.Fatalf("wrong token: %d %v", code, out)
	}
	code, out = post(srv.Token(), "sendRocket", "", "")
	if code != 404 || out["description"] != "Not Found" {
		t.Fatalf("unknown method: %d %v", code, out)
	}
	// JSON body, reply_markup as a nested object.
	code, out = post(srv.Token(), "sendMessage", "application/json",
		fmt.Sprintf(`{"chat_id":%d,"text":"json","reply_markup":{"inline_keyboard":[[{"text":"A","callback_data":"a"}]]}}`, u.ID()))
	if code != 200 || out["ok"] != true {
		t.Fatalf("json body: %d %v", code, out)
	}
	// Query parameters with GET, method name case-insensitive.
	q := url.Values{"chat_id": {fmt.Sprint(u.ID())}, "text": {"query"}}
	resp, err := http.Get(fmt.Sprintf(srv.APIEndpoint(), srv.Token(), "SENDMESSAGE") + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET with query: %s", resp.Status)
	}
	msgs := u.Messages()
	if len(msgs) != 2 || msgs[0].Buttons()[0] != "A" || msgs[1].Text != "query" {
		t.Fatalf("messages %+v", msgs)
	}
	if c := srv.Calls("sendmessage"); len(c) != 2 || c[1].Method != "sendMessage" {
		t.Fatalf("calls %+v", c)
	}
}

func TestWebhookConcurrencyAndChatOrder(t *testing.T) {
	t.Parallel()
	srv, bot := newEnv(t, fakeapi.Options{})
	var (
		mu              sync.Mutex
		active, maxSeen int
		texts           = map[int64][]string{}
		received        = make(chan struct{}, 100)
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var up tgbotapi.Update
		_ = json.NewDecoder(r.Body).Decode(&up)
		mu.Lock()
		active++
		maxSeen = max(maxSeen, active)
		texts[up.Message.Chat.ID] = append(texts[up.Message.Chat.ID], up.Message.Text)
		mu.Unlock()
		time.Sleep(15 * time.Millisecond)
		mu.Lock()
		active--
		mu.Unlock()
		received <- struct{}{}
	}))
	defer hook.Close()
	if _, err := bot.MakeRequest("setWebhook", tgbotapi.Params{"url": hook.URL, "max_connections": "2"}); err != nil {
		t.Fatal(err)
	}
	for i := int64(1); i <= 4; i++ {
		u := srv.User(i, "U")
		for j := 0; j < 3; j++ {
			if _, err := u.SendText(fmt.Sprint(j)); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i := 0; i < 12; i++ {
		select {
		case <-received:
		case <-time.After(3 * time.Second):
			t.Fatalf("only %d of 12 updates delivered", i)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if maxSeen > 2 {
		t.Fatalf("%d concurrent deliveries with max_connections=2", maxSeen)
	}
	for chat, got := range texts {
		if strings.Join(got, ",") != "0,1,2" {
			t.Fatalf("chat %d received %v out of order", chat, got)
		}
	}
}

func TestBlockedAndRequireStart(t *testing.T) {
	t.Parallel()
	srv, bot := newEnv(t, fakeapi.Options{RequireStart: true})
	u := srv.User(12, "G")
	_, err := bot.Send(tgbotapi.NewMessage(u.ID(), "hello?"))
	apiErr(t, err, 403, "bot can't initiate conversation with a user")
	_, _ = u.SendText("/start")
	if _, err := bot.Send(tgbotapi.NewMessage(u.ID(), "welcome")); err != nil {
		t.Fatal(err)
	}
	u.Block()
	_, err = bot.Send(tgbotapi.NewMessage(u.ID(), "still there?"))
	apiErr(t, err, 403, "Forbidden: bot was blocked by the user")
	u.Unblock()
	if _, err := bot.Send(tgbotapi.NewMessage(u.ID(), "back")); err != nil {
		t.Fatal(err)
	}
	if n := len(u.Messages()); n != 2 {
		t.Fatalf("%d bot messages", n)
	}
	if tr := u.Transcript(); len(tr) != 3 || tr[0].FromBot || tr[0].Text != "/start" {
		t.Fatalf("transcript %+v", tr)
	}
}
