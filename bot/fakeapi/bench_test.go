package fakeapi_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rasad-gov/rasad/bot/fakeapi"
)

// BenchmarkFlowStep is one step of a conversation as the load benchmark
// (cmd/loadtest) drives it, twice: the user types, the bot replies with an
// inline keyboard; the user presses a button, the bot answers the press,
// edits the message and sends the next prompt. The bot side is bare HTTP,
// so the time is mostly the server's and the simulated user's.
func BenchmarkFlowStep(b *testing.B) {
	srv := fakeapi.New(fakeapi.Options{})
	defer srv.Close()
	u := srv.User(1001, "Liaison")
	bot := &benchBot{srv: srv, client: &http.Client{}, t: b}
	keyboard := func(seq int) string {
		btn := func(label, act string) string {
			return fmt.Sprintf(`{"text":%q,"callback_data":"f|6TECUYG6|%d|%s|~8Tqw6PhjeJ0"}`, label, seq, act)
		}
		return `{"inline_keyboard":[[` + btn("زن", "c|female") + `,` + btn("مرد", "c|male") + `],[` +
			btn("↩️ بازگشت", "b") + `,` + btn("✖️ لغو", "x") + `]]}`
	}
	prompt := "جنسیت را انتخاب کنید.\nمثال: ۰۰۱۲۳۴۵۶۷۸"
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	defer func() { b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op") }()
	for i := range b.N {
		if _, err := u.SendText("علي رضايي"); err != nil {
			b.Fatal(err)
		}
		bot.poll()
		bot.call("sendMessage", "chat_id", "1001", "text", prompt, "reply_markup", keyboard(2*i), "entities", "null")
		m, err := u.Next(5 * time.Second)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := u.Press(m.ID, "مرد"); err != nil {
			b.Fatal(err)
		}
		cb := bot.poll()
		bot.call("answerCallbackQuery", "callback_query_id", cb)
		bot.call("editMessageText", "chat_id", "1001", "message_id", strconv.Itoa(m.ID), "text", prompt+"\n\n✔️ مرد", "entities", "null")
		bot.call("sendMessage", "chat_id", "1001", "text", prompt, "reply_markup", keyboard(2*i+1), "entities", "null")
		if _, err := u.Next(5 * time.Second); err != nil {
			b.Fatal(err)
		}
	}
}

// cpuTime is the CPU the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

type benchBot struct {
	srv    *fakeapi.Server
	client *http.Client
	t      testing.TB
	offset int
}

// call posts a form and fails unless the result is ok.
func (bb *benchBot) call(method string, kv ...string) []byte {
	form := url.Values{}
	for i := 0; i < len(kv); i += 2 {
		form.Set(kv[i], kv[i+1])
	}
	resp, err := bb.client.Post(fmt.Sprintf(bb.srv.APIEndpoint(), bb.srv.Token(), method),
		"application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		bb.t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 {
		bb.t.Fatalf("%s: %d %s %v", method, resp.StatusCode, body, err)
	}
	return body
}

// poll takes the one pending update and returns its callback query id.
func (bb *benchBot) poll() string {
	var res struct {
		Result []struct {
			UpdateID      int `json:"update_id"`
			CallbackQuery *struct {
				ID string `json:"id"`
			} `json:"callback_query"`
		} `json:"result"`
	}
	body := bb.call("getUpdates", "offset", strconv.Itoa(bb.offset), "limit", "100", "timeout", "5", "allowed_updates", "null")
	if err := json.Unmarshal(body, &res); err != nil || len(res.Result) != 1 {
		bb.t.Fatalf("getUpdates: %s %v", body, err)
	}
	upd := res.Result[0]
	bb.offset = upd.UpdateID + 1
	if upd.CallbackQuery != nil {
		return upd.CallbackQuery.ID
	}
	return ""
}
