package safir_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rasad-gov/rasad/bot/safir"
	"github.com/rasad-gov/rasad/bot/safir/safirtest"
	"github.com/rasad-gov/rasad/domain"
)

const (
	key   = "test-access-key"
	botID = 1234567890
	phone = domain.Mobile("+989121234567")
)

// noPhone fails when err shows the number in any form but the masked one.
func noPhone(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	if strings.Contains(err.Error(), "1234567") {
		t.Errorf("error shows the number: %v", err)
	}
	if !strings.Contains(err.Error(), phone.Masked()) {
		t.Errorf("error does not name the masked number: %v", err)
	}
}

func TestSendText(t *testing.T) {
	srv := safirtest.NewServer(key, botID)
	defer srv.Close()
	c := safir.New(srv.URL+"/", key, botID, nil)
	if err := c.SendText(t.Context(), phone, "سلام، آیا در این شغل مشغولید؟"); err != nil {
		t.Fatal(err)
	}
	sent := srv.Sent()
	if len(sent) != 1 || sent[0].Phone != phone || sent[0].BotID != botID || sent[0].Text != "سلام، آیا در این شغل مشغولید؟" {
		t.Errorf("sent = %+v", sent)
	}
}

// The body is the documented one, field for field: bot_id a number, the
// number as 98…, the text two levels down; the key in its header.
func TestWireFormat(t *testing.T) {
	var got map[string]any
	var header http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/api/v3/send_message" {
			t.Errorf("%s %s", r.Method, r.URL.Path)
		}
		header = r.Header.Clone()
		json.NewDecoder(r.Body).Decode(&got)
		io.WriteString(w, `{"message_id":"523e6875-7c41-491b-8460-04b33039d7fc","error_data":null}`)
	}))
	defer srv.Close()
	if err := safir.New(srv.URL, key, botID, srv.Client()).SendText(t.Context(), phone, "hi"); err != nil {
		t.Fatal(err)
	}
	if header.Get("api-access-key") != key || header.Get("Content-Type") != "application/json" {
		t.Errorf("headers = %v", header)
	}
	want := `{"bot_id":1234567890,"message_data":{"message":{"text":"hi"}},"phone_number":"989121234567"}`
	if b, _ := json.Marshal(got); string(b) != want {
		t.Errorf("body = %s, want %s", b, want)
	}
}

func TestRefusals(t *testing.T) {
	srv := safirtest.NewServer(key, botID)
	defer srv.Close()
	ctx := t.Context()

	// A wrong key: the status, and no claim about the number.
	err := safir.New(srv.URL, "wrong", botID, nil).SendText(ctx, phone, "x")
	noPhone(t, err)
	var se *safir.Error
	if !errors.As(err, &se) || se.Status != http.StatusUnauthorized || errors.Is(err, safir.ErrNotOnBale) {
		t.Errorf("wrong key: %v", err)
	}

	c := safir.New(srv.URL, key, botID, nil)
	srv.NotOnBale(phone)
	err = c.SendText(ctx, phone, "x")
	noPhone(t, err)
	if !errors.Is(err, safir.ErrNotOnBale) || errors.Is(err, safir.ErrInvalidPhone) {
		t.Errorf("not on Bale: %v", err)
	}
	if !strings.Contains(err.Error(), "HTTP 404, code 17: user not found") {
		t.Errorf("error does not say the status, code and description: %v", err)
	}

	// A description echoing the number in any form is masked.
	for _, form := range []string{"989121234567", "+989121234567", "09121234567", "9121234567"} {
		srv.FailNext(http.StatusTooManyRequests, 3, "rate limit for "+form)
		err = c.SendText(ctx, "+989121234567", "x")
		noPhone(t, err)
		if !errors.As(err, &se) || se.Status != 429 || se.Code != 3 || errors.Is(err, safir.ErrNotOnBale) {
			t.Errorf("rate limit: %v", err)
		}
	}
	if len(srv.Sent()) != 0 {
		t.Errorf("refused messages recorded: %+v", srv.Sent())
	}
	// A number not in canonical form is refused before any request.
	if err := c.SendText(ctx, "09121234567", "x"); err == nil || strings.Contains(err.Error(), "1234567") {
		t.Errorf("non-canonical number: %v", err)
	}
	if err := c.SendText(ctx, phone, "  "); err == nil {
		t.Error("empty text sent")
	}
}

// Answers in other shapes than the documented one still give the status,
// the code and the message.
func TestAnswerShapes(t *testing.T) {
	for _, tc := range []struct {
		status   int
		body     string
		want     string
		notOnBal bool
	}{
		{200, `{"message_id":"BvQjaR.fIKt7kH.EXTddgYduJ2"}`, "", false},
		{200, `{"message_id":null,"error_data":[{"phone_number":"989121234567","code":17,"description":"no account"}]}`, "HTTP 200, code 17: no account", true},
		{400, `{"error_data":{"code":"8","description":"bad phone 989121234567"}}`, "HTTP 400, code 8: bad phone +98912***4567", false},
		{404, `{"code":17,"message":"user not found"}`, "HTTP 404, code 17: user not found", true},
		{200, `{"code":17,"message":"user not found"}`, "HTTP 200, code 17: user not found", true},
		{422, `{"detail":"field required"}`, "HTTP 422: field required", false},
		// A bare 404 is more likely a wrong SAFIR_URL than a stranger.
		{404, `<html>not found</html>`, "HTTP 404: Not Found", false},
		{502, ``, "HTTP 502: Bad Gateway", false},
		{200, `not json`, "HTTP 200: unreadable answer", false},
		{500, `{"error_data":[{"code":2,"description":"` + strings.Repeat("خطا ", 200) + `"}]}`, "…", false},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(tc.status)
			io.WriteString(w, tc.body)
		}))
		err := safir.New(srv.URL, key, botID, nil).SendText(t.Context(), phone, "x")
		srv.Close()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%d %s: %v", tc.status, tc.body, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%d %.40s: err = %v, want %q", tc.status, tc.body, err, tc.want)
		case errors.Is(err, safir.ErrNotOnBale) != tc.notOnBal:
			t.Errorf("%d %s: ErrNotOnBale = %v", tc.status, tc.body, !tc.notOnBal)
		}
		if err != nil && len(err.Error()) > 500 {
			t.Errorf("error is %d bytes long", len(err.Error()))
		}
		if err != nil && strings.Contains(err.Error(), "1234567") {
			t.Errorf("error shows the number: %v", err)
		}
	}
}

// A server answering without end is read only as far as the bound.
func TestHugeAnswer(t *testing.T) {
	for _, status := range []int{200, 500} {
		var written atomic.Int64
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(status)
			io.WriteString(w, `{"message_id":"`)
			chunk := []byte(strings.Repeat("x", 32<<10))
			for range 1 << 10 { // 32 MB
				n, err := w.Write(chunk)
				written.Add(int64(n))
				if err != nil {
					return
				}
			}
		}))
		err := safir.New(srv.URL, key, botID, nil).SendText(t.Context(), phone, "x")
		srv.Close()
		var se *safir.Error
		if !errors.As(err, &se) || se.Status != status || !strings.Contains(err.Error(), "longer than 64 KB") {
			t.Errorf("status %d: err = %v", status, err)
		}
		if written.Load() >= 32<<20 {
			t.Errorf("status %d: the whole answer was read", status)
		}
	}
}

// A service that does not answer is left when the context ends.
func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := safir.New(srv.URL, key, botID, nil).SendText(ctx, phone, "x")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want the deadline", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("took %v", time.Since(start))
	}
	noPhone(t, err)

	// The client's own timeout bounds a caller without a deadline.
	err = safir.New(srv.URL, key, botID, &http.Client{Timeout: 50 * time.Millisecond}).SendText(t.Context(), phone, "x")
	if err == nil || !strings.Contains(err.Error(), "Client.Timeout") {
		t.Errorf("client timeout: %v", err)
	}
}

// The test server waits for messages sent by another goroutine.
func TestServerWait(t *testing.T) {
	srv := safirtest.NewServer(key, 0)
	defer srv.Close()
	go safir.New(srv.URL, key, 42, nil).SendText(context.Background(), phone, "x")
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	sent, err := srv.Wait(ctx, 1)
	if err != nil || len(sent) != 1 || sent[0].BotID != 42 {
		t.Fatalf("sent = %+v, %v", sent, err)
	}
	short, cancel2 := context.WithTimeout(t.Context(), 10*time.Millisecond)
	defer cancel2()
	if _, err := srv.Wait(short, 2); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Wait for a message never sent: %v", err)
	}
}
