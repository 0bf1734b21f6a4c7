package main

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rasad-gov/rasad/bot/fakeapi"
	"github.com/rasad-gov/rasad/bot/transport"
)

// webhookHarness runs the bot in webhook mode: the in-repo server posts
// updates to the bot's listener. bale leaves the secret header out and puts
// the secret in the path, as Bale needs.
func webhookHarness(t *testing.T, bale bool) *harness {
	return newHarnessWith(t, fakeapi.Options{OmitSecretHeader: bale, UpdateIDsFromZero: bale}, func(c *config) {
		c.Mode = "webhook"
		c.Secret = "a-webhook-secret-of-some-length"
		c.SecretInPath = bale
		c.WebhookURL = "http://" + c.HTTPAddr
	})
}

func TestWebhookModeTelegram(t *testing.T) {
	t.Parallel()
	h := webhookHarness(t, false)
	eventually(t, "the webhook to be set", func() bool { url, _ := h.srv.Webhook(); return url != "" })
	url, secret := h.srv.Webhook()
	if url != "http://"+h.cfg.HTTPAddr+webhookPath || secret != h.cfg.Secret {
		t.Fatalf("webhook %q with secret %q", url, secret)
	}
	p := h.person(10001, "Hooked")
	id := p.send("/start")
	p.expect(h.T("start.welcome"))
	// Telegram retries a webhook it thinks failed: the same update again.
	eventually(t, "the update to be delivered", func() bool { return h.srv.Pending() == 0 })
	must[struct{}](t)(struct{}{}, h.srv.Redeliver(id))
	eventually(t, "the redelivery", func() bool { return h.srv.Pending() == 0 })
	p.expectNothing(300 * time.Millisecond)
	p.tap(h.T("role.liaison"))
	p.expect(h.T("liaison.phone.prompt"))

	// Someone who is not the Bot API server, without the secret, is refused.
	for _, header := range []string{"", "wrong-secret-of-some-length"} {
		req := must[*http.Request](t)(http.NewRequest(http.MethodPost, url, strings.NewReader(`{"update_id":99999,"message":{"message_id":1,"chat":{"id":1,"type":"private"},"from":{"id":1},"text":"/start"}}`)))
		if header != "" {
			req.Header.Set(transport.SecretHeader, header)
		}
		resp := must[*http.Response](t)(http.DefaultClient.Do(req))
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("secret %q: status %d", header, resp.StatusCode)
		}
	}
}

func TestWebhookModeBale(t *testing.T) {
	t.Parallel()
	h := webhookHarness(t, true)
	eventually(t, "the webhook to be set", func() bool { url, _ := h.srv.Webhook(); return url != "" })
	url, secret := h.srv.Webhook()
	if !strings.HasSuffix(url, "/"+h.cfg.Secret) || secret != "" {
		t.Fatalf("Bale webhook %q with header secret %q", url, secret)
	}
	p := h.person(10002, "Bale user")
	p.send("/start")
	p.expect(h.T("start.welcome"))
}

// Bale numbers updates from 0: the first is handled, in polling mode and
// (TestWebhookModeBale) in webhook mode, and none is handled twice.
func TestPollingBaleUpdateIDsFromZero(t *testing.T) {
	t.Parallel()
	h := newHarnessWith(t, fakeapi.Options{UpdateIDsFromZero: true}, nil)
	p := h.person(10004, "Bale user")
	p.send("/start")
	p.expect(h.T("start.welcome"))
	p.tap(h.T("role.liaison"))
	p.expect(h.T("liaison.phone.prompt"))
	p.expectNothing(500 * time.Millisecond)
}

// Two polling processes: one polls, the other stands by; when the first
// stops, the second takes over and the conversation goes on.
func TestSecondPollerStandsBy(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	// The first process polls before the second starts, so stopping the
	// first below is a takeover.
	eventually(t, "the first process to poll", func() bool { return len(h.srv.Calls("getUpdates")) > 0 })
	h.start()
	p := h.person(10003, "User")
	p.send("/start")
	p.expect(h.T("start.welcome"))
	for _, c := range h.srv.Calls("getUpdates") {
		if c.ErrorCode == 409 {
			t.Errorf("two processes polled at once: %s", c.Description)
		}
	}
	h.procs[0].stop(t)
	p.tap(h.T("role.liaison"))
	p.expect(h.T("liaison.phone.prompt"))
}

// readyz says whether Postgres and Redis answer; healthz that the process lives.
func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	for _, path := range []string{"/healthz", "/readyz"} {
		var resp *http.Response
		eventually(t, path, func() bool {
			r, err := http.Get("http://" + h.cfg.MetricsAddr + path)
			if err != nil {
				return false
			}
			resp = r
			return true
		})
		body := new(bytes.Buffer)
		body.ReadFrom(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s: %d %s", path, resp.StatusCode, body)
		}
	}
}

// /metrics counts updates by kind, flows, 429s and what is in flight.
func TestMetrics(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *config) { c.metrics = newPromMetrics() })
	p := h.person(10010, "Counted")
	p.send("/start")
	p.expect(h.T("start.welcome"))
	p.tap(h.T("role.liaison"))
	p.expect(h.T("liaison.phone.prompt"))
	p.send("/cancel")
	p.expect(h.T("flow.cancelled"))
	h.srv.FailNext("sendMessage", 1, 429, 1)
	p.send("/help")
	p.expect(strings.Split(h.T("help.common"), "\n")[0])

	wants := []string{
		`rasad_updates_total{kind="command"} 3`,
		`rasad_updates_total{kind="callback"} 1`,
		`rasad_flows_total{event="started",flow="liaison"} 1`,
		`rasad_flows_total{event="abandoned",flow="liaison"} 1`,
		`rasad_send_errors_total{code="429",method="sendMessage"} 1`,
		`rasad_too_many_requests_total 1`,
		`rasad_updates_in_flight 0`,
		`rasad_update_handling_seconds_count{kind="command"} 3`,
	}
	// The last update's handling ends just after its reply: scrape until
	// the counts settle.
	var missing []string
	deadline := time.Now().Add(wait)
	for {
		resp := must[*http.Response](t)(http.Get("http://" + h.cfg.MetricsAddr + "/metrics"))
		body := new(bytes.Buffer)
		body.ReadFrom(resp.Body)
		resp.Body.Close()
		missing = missing[:0]
		for _, want := range wants {
			if !strings.Contains(body.String(), want) {
				missing = append(missing, want)
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(missing) > 0 {
		t.Errorf("metrics lack %q", missing)
	}
}

// Handling slower than the webhook's early answer: the chat's next update
// and a redelivery arrive while the first is still being handled; each is
// applied once, in order.
func TestWebhookSlowHandlingKeepsOrder(t *testing.T) {
	t.Parallel()
	h := newHarnessWith(t, fakeapi.Options{}, func(c *config) {
		c.Mode = "webhook"
		c.Secret = "a-webhook-secret-of-some-length"
		c.WebhookURL = "http://" + c.HTTPAddr
		c.WebhookWait = 50 * time.Millisecond
	})
	p := h.person(10020, "Slow")
	toNameStep(h, p)

	h.srv.SetDelay("sendMessage", 400*time.Millisecond) // each reply outlasts the 50ms answer
	name := p.send("نرگس رحیمی")
	p.send("کارشناس ارشد")
	// Redelivered once the server had its early answer, while it is still
	// being handled.
	eventually(t, "the redelivery", func() bool { return h.srv.Redeliver(name) == nil })
	expectAppliedInOrder(t, h, p)
}

// expectAppliedInOrder expects the replies to a name and then a position,
// each once, sent while replies were slowed down.
func expectAppliedInOrder(t *testing.T, h *harness, p person) {
	t.Helper()
	p.expect(h.T("liaison.position.prompt"))
	review := p.expect(h.T("liaison.review"))
	h.srv.SetDelay("sendMessage", 0)
	if !strings.Contains(review.Text, "نرگس رحیمی") || !strings.Contains(review.Text, "کارشناس ارشد") {
		t.Errorf("answers applied out of order:\n%s", review.Text)
	}
	p.expectNothing(600 * time.Millisecond)
}

// Polling hands each batch to per-chat lanes and asks for the next batch at
// once: a chat's next update, and a redelivery of the one being handled,
// arrive while it is still under way; each is applied once, in order.
func TestPollingSlowHandlingKeepsOrder(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	p := h.person(10021, "Slow")
	toNameStep(h, p)

	h.srv.SetDelay("sendMessage", 400*time.Millisecond)
	before := sendCalls(h)
	name := p.send("نرگس رحیمی")
	eventually(t, "the name confirmed while its reply is under way", func() bool {
		return h.srv.Pending() == 0 && replyUnderWay(h, before)
	})
	p.send("کارشناس ارشد")
	if err := h.srv.Redeliver(name); err != nil {
		t.Fatal(err)
	}
	expectAppliedInOrder(t, h, p)
}

// The flows against the test server's Bale profile, set up as PLATFORM=bale
// sets the bot up: updates from 0, no secret header, no setMyCommands or
// sendChatAction, edits refused every other time. With EDIT_MESSAGES left
// on by hand, the refused edits cost nothing but a log line.
func TestBaleProfileFlows(t *testing.T) {
	t.Parallel()
	for _, edits := range []bool{false, true} {
		t.Run(map[bool]string{false: "platform defaults", true: "edits on"}[edits], func(t *testing.T) {
			t.Parallel()
			h := newHarnessWith(t, fakeapi.Options{Bale: true}, func(c *config) {
				pf := platforms["bale"]
				c.EditMessages, c.SecretInPath = edits, pf.SecretInPath
				c.Mode, c.Secret, c.WebhookURL = "webhook", "a-webhook-secret-of-some-length", "http://"+c.HTTPAddr
			})
			l := h.liaison(10101, "Liaison", "labour")
			registerOne(h, l, validCode(t, 1))
			m := h.manager(10102, "Manager")
			m.send("/summary")
			m.expect(h.T("summary.title", "date", "۱۷ خرداد ۱۴۰۵"))
			if n := len(h.srv.Calls("setMyCommands")); n == 0 {
				t.Error("the bot never tried setMyCommands, so the profile's refusal went untested")
			}
			edited, refused := 0, 0
			for _, c := range append(h.srv.Calls("editMessageText"), h.srv.Calls("editMessageReplyMarkup")...) {
				switch c.ErrorCode {
				case 0:
					edited++
				case 400:
					refused++
				}
			}
			if edits != (edited > 0) || edits != (refused > 0) {
				t.Errorf("edits %v: %d edits went through, %d refused", edits, edited, refused)
			}
		})
	}
}
