package main

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rasad-gov/rasad/bot"
	"github.com/rasad-gov/rasad/bot/fakeapi"
	"github.com/rasad-gov/rasad/bot/telegram"
	"github.com/rasad-gov/rasad/bot/transport"
	"github.com/rasad-gov/rasad/domain"
)

// A conversation survives its bot process: a new process continues where
// the stopped one left it, because state lives in Redis only.
func TestRestartMidFlowContinues(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	p := h.person(3001, "Maryam")
	toNameStep(h, p)

	first := h.procs[0]
	first.stop(t)
	// Typed while no bot runs; the next process picks it up.
	p.send("مریم کریمی")
	h.start()
	p.expect(h.T("liaison.position.prompt"))
	p.send("کارشناس")
	review := p.expect(h.T("liaison.review"))
	for _, want := range []string{"مریم کریمی", labourFa, "۰۹۱۲۱۲۳۴۵۶۷"} {
		if !strings.Contains(review.Text, want) {
			t.Errorf("review after restart lacks %q:\n%s", want, review.Text)
		}
	}
	p.tap(h.T("btn.confirm"))
	p.expect(h.T("liaison.submitted"))
}

// A button pressed twice before the bot answers: the answer applies once.
func TestDoubleTapAppliesOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *config) { c.EditMessages = false })
	admin := h.person(adminID, "Admin")
	p := h.person(3002, "Reza")
	prompt := toAgencyStep(h, p)

	answers := pressTogether(t, h, p, prompt.ID, labourFa, 2)
	p.expect(h.T("liaison.name.prompt"))
	p.expectNothing(300 * time.Millisecond)
	if stale := count(answers, h.T("btn.stale")); stale != 1 {
		t.Errorf("answers %q: want exactly one stale", answers)
	}

	p.send("رضا رضایی")
	p.expect(h.T("liaison.position.prompt"))
	p.send("کارشناس")
	review := p.expect(h.T("liaison.review"))

	// Confirm double-tapped: one request, one admin notification.
	answers = pressTogether(t, h, p, review.ID, h.T("btn.confirm"), 3)
	p.expect(h.T("liaison.submitted"))
	p.expectNothing(300 * time.Millisecond)
	// The later taps find the form saved and are told so on the button.
	if later := count(answers, h.T("btn.stale")) + count(answers, h.T("flow.already_saved")); later != 2 {
		t.Errorf("confirm answers %q: want two told it was saved", answers)
	}
	admin.expect("رضا رضایی")
	admin.expectNothing(300 * time.Millisecond)
}

// pressTogether presses one button n times at once and returns the answers.
func pressTogether(t testing.TB, h *harness, p person, msg int, label string, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = must[string](t)(p.Press(msg, label))
	}
	var (
		mu  sync.Mutex
		out []string
		wg  sync.WaitGroup
	)
	for _, id := range ids {
		wg.Go(func() {
			a, err := h.srv.WaitAnswer(id, wait)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			out = append(out, a.Text)
			mu.Unlock()
		})
	}
	wg.Wait()
	return out
}

func count(ss []string, s string) int {
	n := 0
	for _, x := range ss {
		if x == s {
			n++
		}
	}
	return n
}

// Telegram delivers at least once: the same update arriving again is
// recognised by its id and not handled a second time.
func TestSameUpdateDeliveredTwiceHandledOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	p := h.person(3003, "Sara")
	toNameStep(h, p)
	id := p.send("سارا احمدی")
	p.expect(h.T("liaison.position.prompt"))
	eventually(t, "the update to be confirmed", func() bool { return h.srv.Pending() == 0 })

	if err := h.srv.Redeliver(id); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the redelivered update to be confirmed", func() bool { return h.srv.Pending() == 0 })
	// Handled again, it would be taken as the position and show the review.
	p.expectNothing(500 * time.Millisecond)
	p.send("کارشناس")
	review := p.expect(h.T("liaison.review"))
	if !strings.Contains(review.Text, "سارا احمدی") {
		t.Errorf("review:\n%s", review.Text)
	}
}

// Flood control: a 429 from the server is waited out for retry_after and
// the message is sent after it.
func TestTooManyRequestsRetriedAfterRetryAfter(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	p := h.person(3004, "Ali")
	h.srv.FailNext("sendMessage", 1, 429, 1)
	p.send("/start")
	p.expect(h.T("start.welcome"))
	var refused, sent *fakeapi.Call
	for _, c := range h.srv.Calls("sendMessage") {
		switch {
		case c.ErrorCode == 429 && refused == nil:
			refused = &c
		case c.ErrorCode == 0 && refused != nil && sent == nil:
			sent = &c
		}
	}
	if refused == nil || sent == nil {
		t.Fatalf("want a refused then a sent sendMessage, got %+v", h.srv.Calls("sendMessage"))
	}
	if gap := sent.Time.Sub(refused.Time); gap < time.Second {
		t.Errorf("retried after %v, before retry_after (1s)", gap)
	}
}

// The bot keeps working when getUpdates fails for a while.
func TestPollingSurvivesServerErrors(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.srv.FailNext("getUpdates", 2, 500, 0)
	p := h.person(3005, "Omid")
	p.send("/start")
	p.expect(h.T("start.welcome"))
}

func TestInviteLinkUsedOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	admin := h.person(adminID, "Admin")
	admin.send("/invite")
	admin.expect(h.T("admin.invite_choose"))
	admin.tap(labourFa)
	m := admin.expect("https://t.me/rasad_test_bot?start=")
	code := m.Text[strings.Index(m.Text, "?start=")+len("?start="):]
	code = strings.Fields(code)[0]
	if !domain.ValidInviteCode(code) {
		t.Fatalf("link carries %q", code)
	}
	if !strings.Contains(m.Text, "۲۴ خرداد ۱۴۰۵") { // a week after 17 Khordad
		t.Errorf("link text lacks the expiry date:\n%s", m.Text)
	}

	p := h.person(3006, "Mina")
	p.send("/start " + code)
	p.expect(h.T("liaison.phone.prompt"))
	must[int](t)(p.ShareContact("09121234567", p.ID()))
	p.expect(h.T("contact.received"))
	// No agency step: the link names it.
	p.expect(h.T("liaison.name.prompt"))
	p.send("مینا موسوی")
	p.expect(h.T("liaison.position.prompt"))
	p.send("کارشناس")
	review := p.expect(h.T("liaison.review"))
	if strings.Contains(review.Text, h.T("liaison.agency.label")) {
		t.Errorf("the review offers the agency the link fixed:\n%s", review.Text)
	}
	p.tap(h.T("btn.confirm"))
	p.expect(h.T("liaison.welcome", "agency", labourFa))
	admin.expect(h.T("admin.invite_used", "name", "مینا موسوی", "agency", labourFa))
	u := must[domain.User](t)(h.db.User(context.Background(), p.ID()))
	if !u.Has(domain.RoleLiaison) {
		t.Errorf("invited user not a liaison: %+v", u.Grants)
	}

	other := h.person(3007, "Hamid")
	other.send("/start " + code)
	other.expect(h.T("err.invite.used"))
	other.send("/start inv_AAAAAAAAAAAAAAAA")
	other.expect(h.T("err.invite.notfound"))
	other.send("/start garbage")
	other.expect(h.T("err.invite.notfound"))
}

func TestInviteLinkExpires(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	admin := h.person(adminID, "Admin")
	admin.send("/invite")
	admin.expect(h.T("admin.invite_choose"))
	admin.tap(labourFa)
	m := admin.expect("?start=")
	code := strings.Fields(m.Text[strings.Index(m.Text, "?start=")+len("?start="):])[0]

	h.clock.Advance(h.cfg.InviteTTL + time.Minute)
	p := h.person(3008, "Kian")
	p.send("/start " + code)
	p.expect(h.T("err.invite.expired"))
}

// Only admins may make invite links or decide requests, even with a
// button they were never sent.
func TestAdminActionsRefusedToOthers(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	p := h.person(3009, "Nobody")
	p.send("/invite")
	p.expect(h.T("refused.admin"))
}

func TestGroupChatsRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	g := h.srv.Group(-4001, "Office")
	p := h.person(3010, "Member")
	must[int](t)(p.SendTextIn(g.ID(), "/start"))
	m, err := g.Next(wait)
	if err != nil || m.Text != h.T("private.only") {
		t.Fatalf("group got %q, %v", m.Text, err)
	}
}

func TestLanguageSwitch(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	p := h.person(3011, "John")
	p.send("/language")
	p.expect(h.T("lang.choose"))
	p.tap("English")
	p.expect(h.cat.T("en", "lang.set"))
	p.send("/start")
	p.expect(h.cat.T("en", "start.welcome"))
}

// Two replicas handling the two taps of one confirm button at the same
// instant: the compare-and-set on the session lets one save.
func TestConfirmRaceAcrossReplicas(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *config) { c.EditMessages = false })
	admin := h.person(adminID, "Admin")
	p := h.person(3012, "Parisa")
	signUpToReview(h, p)
	review := p.expect(h.T("liaison.review"))
	h.procs[0].stop(t)

	// Two bot instances, not polling: each is handed one of the two taps.
	ctx := context.Background()
	var replicas [2]*bot.Bot
	for i := range replicas {
		api := must[*telegram.Telegram](t)(telegram.Connect(ctx, telegram.Endpoint(h.cfg.BotAPIURL), h.cfg.BotToken, nil))
		replicas[i] = must[*bot.Bot](t)(newBot(ctx, h.cfg, h.log, h.db, h.rs, api))
	}
	ids := []string{
		must[string](t)(p.Press(review.ID, h.T("btn.confirm"))),
		must[string](t)(p.Press(review.ID, h.T("btn.confirm"))),
	}
	api := must[*telegram.Telegram](t)(telegram.Connect(ctx, telegram.Endpoint(h.cfg.BotAPIURL), h.cfg.BotToken, nil))
	ups := must[[]transport.Polled](t)(api.Updates(ctx, 0, 10, 0))
	if len(ups) != 2 {
		t.Fatalf("got %d updates, want the two taps", len(ups))
	}
	var wg sync.WaitGroup
	for i, u := range ups {
		wg.Go(func() {
			if err := replicas[i].Handle(ctx, u.Update, nil); err != nil {
				t.Errorf("replica %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	must[[]transport.Polled](t)(api.Updates(ctx, ups[1].UpdateID+1, 1, 0))

	var answers []string
	for _, id := range ids {
		answers = append(answers, must[fakeapi.CallbackAnswer](t)(h.srv.WaitAnswer(id, wait)).Text)
	}
	// The loser finds the winner saving (or done): told to wait, or that
	// it was saved.
	if n := count(answers, h.T("flow.saving")) + count(answers, h.T("btn.stale")) + count(answers, h.T("flow.already_saved")); n != 2 {
		t.Errorf("answers %q", answers)
	}
	p.expect(h.T("liaison.submitted"))
	p.expectNothing(300 * time.Millisecond)
	admin.expect("مریم کریمی")
	admin.expectNothing(300 * time.Millisecond)
}

// The next prompt failing to send after the answer was saved: the update is
// retried, and the retry shows the prompt again instead of taking the same
// text as the next answer.
func TestRetryAfterFailedPromptDoesNotApplyTwice(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	p := h.person(3020, "Arash")
	toNameStep(h, p)

	h.srv.FailNext("sendMessage", 5, 500, 0) // every attempt of the sender
	p.send("آرش کمانگیر")
	p.expect(h.T("liaison.position.prompt"))
	p.expectNothing(300 * time.Millisecond)
	p.send("کارشناس")
	review := p.expect(h.T("liaison.review"))
	if !strings.Contains(review.Text, "آرش کمانگیر") || strings.Count(review.Text, "آرش کمانگیر") != 1 {
		t.Errorf("review:\n%s", review.Text)
	}
}

// Switching from a webhook deployment to polling: the old webhook would make
// every getUpdates fail, so polling removes it first.
func TestPollingRemovesLeftoverWebhook(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.procs[0].stop(t)
	api := must[*telegram.Telegram](t)(telegram.Connect(context.Background(), telegram.Endpoint(h.cfg.BotAPIURL), h.cfg.BotToken, nil))
	must[struct{}](t)(struct{}{}, api.Do(context.Background(), transport.SetWebhook{URL: "http://127.0.0.1:9/old-hook"}))
	h.start()
	p := h.person(3030, "Kaveh")
	p.send("/start")
	p.expect(h.T("start.welcome"))
	if url, _ := h.srv.Webhook(); url != "" {
		t.Errorf("webhook still set to %q", url)
	}
}

// With Telegram's pacing on, two messages to one chat are a second apart
// when the chat's burst is used up. (A lower bound: the pacer guarantees it.)
func TestRepliesArePacedPerChat(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *config) { c.SendRate, c.SendChatRate, c.ChatBurst = 30, 1, 1 })
	p := h.person(3040, "Paced")
	toAgencyStep(h, p)
	var times []time.Time
	for _, c := range h.srv.Calls("sendMessage") {
		if c.Params["chat_id"] == "3040" && c.ErrorCode == 0 {
			times = append(times, c.Time)
		}
	}
	if len(times) < 3 {
		t.Fatalf("%d messages", len(times))
	}
	for i := 1; i < len(times); i++ {
		if gap := times[i].Sub(times[i-1]); gap < 900*time.Millisecond {
			t.Errorf("message %d followed %v after the previous", i, gap)
		}
	}
}
