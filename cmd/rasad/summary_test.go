package main

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rasad-gov/rasad/bot"
	"github.com/rasad-gov/rasad/bot/telegram"
	"github.com/rasad-gov/rasad/bot/xlsx"
	"github.com/rasad-gov/rasad/domain"
)

func (h *harness) manager(id int64, name string) person {
	h.t.Helper()
	if err := h.db.GrantRole(context.Background(), id, domain.Grant{Role: domain.RoleManager}); err != nil {
		h.t.Fatal(err)
	}
	return h.person(id, name)
}

// seedPlacements stores n placements for agency code today.
func (h *harness) seedPlacements(agency string, from, n int) {
	h.t.Helper()
	now := h.clock.Now()
	for i := range n {
		p := samplePlacement(validCode(h.t, from+i), h.agencyID(agency), now)
		must[domain.Placement](h.t)(h.db.CreatePlacement(context.Background(), p, now))
	}
}

func TestSummaryOnDemandWithChart(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	m := h.manager(9001, "Manager")
	h.seedPlacements("labour", 0, 3)
	h.seedPlacements("industry", 100, 2)
	m.send("/summary")
	text := m.expect(h.T("summary.title", "date", "۱۷ خرداد ۱۴۰۵"))
	for _, want := range []string{
		h.T("summary.placements", "today", "۵", "year", "۵", "program_year", "۱۴۰۵"),
		h.T("sector.services") + " ۵",
		h.T("summary.agency_no_target", "rank", "۱", "name", labourFa, "count", "۳"),
	} {
		if !strings.Contains(text.Text, want) {
			t.Errorf("summary lacks %q:\n%s", want, text.Text)
		}
	}
	photo, err := m.Next(wait)
	if err != nil || photo.Photo == nil || len(photo.Photo.Data) < 1000 {
		t.Fatalf("chart: %+v, %v", photo, err)
	}
	// A past day, in the Solar Hijri calendar.
	m.send("/summary ۱۴۰۵/۰۳/۱۰")
	m.expect(h.T("summary.title", "date", "۱۰ خرداد ۱۴۰۵"))
	// Not for liaisons.
	l := h.liaison(9002, "Liaison", "labour")
	l.send("/summary")
	l.expect(h.T("refused.manager"))
}

// Two bot processes run the scheduler every minute across the summary hour,
// one of them restarts, a manager mutes: each unmuted manager gets exactly
// one summary that day, and the next day one more.
func TestDailySummaryExactlyOncePerManager(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.procs[0].stop(t)
	m1, m2, muted := h.manager(9101, "M1"), h.manager(9102, "M2"), h.manager(9103, "Muted")
	must[struct{}](t)(struct{}{}, h.db.SetSummaryMuted(context.Background(), muted.ID(), true))
	h.seedPlacements("labour", 0, 2)

	ctx := context.Background()
	replica := func() *bot.Bot {
		api := must[*telegram.Telegram](t)(telegram.Connect(ctx, telegram.Endpoint(h.cfg.BotAPIURL), h.cfg.BotToken, nil))
		return must[*bot.Bot](t)(newBot(ctx, h.cfg, h.log, h.db, h.rs, api))
	}
	a, b := replica(), replica()
	tick := func(bots ...*bot.Bot) {
		var wg sync.WaitGroup
		for i, rb := range bots {
			wg.Go(func() {
				if err := rb.DeliverSummaries(ctx, "replica-"+string(rune('a'+i))); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
	}
	// 09:00 to 19:58: nothing yet.
	tick(a, b)
	h.clock.Advance(10*time.Hour + 58*time.Minute)
	tick(a, b)
	for _, p := range []person{m1, m2, muted} {
		p.expectNothing(100 * time.Millisecond)
	}
	// Across the hour, minute by minute, both replicas at once.
	for range 4 {
		h.clock.Advance(time.Minute)
		tick(a, b)
	}
	// One replica restarts and ticks again later that evening.
	c := replica()
	h.clock.Advance(time.Hour)
	tick(c, b)
	for _, p := range []person{m1, m2} {
		p.expect(h.T("summary.title", "date", "۱۷ خرداد ۱۴۰۵"))
		if m, err := p.Next(wait); err != nil || m.Photo == nil {
			t.Fatalf("manager %d: no chart: %v", p.ID(), err)
		}
		p.expectNothing(200 * time.Millisecond)
	}
	muted.expectNothing(100 * time.Millisecond)

	// The next day, after the hour: one more each.
	h.clock.Advance(24 * time.Hour)
	tick(a, c)
	tick(c, a)
	for _, p := range []person{m1, m2} {
		p.expect(h.T("summary.title", "date", "۱۸ خرداد ۱۴۰۵"))
		p.Next(wait) // the chart
		p.expectNothing(200 * time.Millisecond)
	}
}

// A delivery that fails for a moment is tried again on a later tick and
// arrives once; a manager who blocked the bot is reported to the admins at
// once, since no retry can reach them.
func TestFailedSummaryRetriedOrReported(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	admin := h.person(adminID, "Admin")
	m := h.manager(9201, "Manager")
	gone := h.manager(9202, "Gone")
	h.clock.Advance(12 * time.Hour) // 21:00, past the hour
	gone.Block()
	h.srv.FailNext("sendMessage", 5, 500, 0) // every attempt of the first send
	ctx := context.Background()
	must[struct{}](t)(struct{}{}, h.procs[0].bot.DeliverSummaries(ctx, "solo"))
	day := cal.StartOfDay(h.clock.Now())
	failures := must[[]domain.SummaryFailure](t)(h.db.FailedSummaries(ctx, day))
	if len(failures) != 2 {
		t.Fatalf("failures after the first tick: %+v", failures)
	}
	admin.expect(h.T("summary.blocked_admin", "name", "—", "id", "9202"))

	h.clock.Advance(time.Minute)
	must[struct{}](t)(struct{}{}, h.procs[0].bot.DeliverSummaries(ctx, "solo"))
	m.expect(h.T("summary.title", "date", "۱۷ خرداد ۱۴۰۵"))
	m.Next(wait) // the chart
	h.clock.Advance(time.Minute)
	must[struct{}](t)(struct{}{}, h.procs[0].bot.DeliverSummaries(ctx, "solo"))
	m.expectNothing(200 * time.Millisecond)
	admin.expectNothing(100 * time.Millisecond)
}

func TestManagerMutesAndExports(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	m := h.manager(9301, "Manager")
	m.send("/mute")
	m.expect(h.T("summary.muted"))
	m.send("/unmute")
	m.expect(h.T("summary.unmuted", "time", "۲۰:۰۰"))

	h.seedPlacements("labour", 0, 7)
	h.seedPlacements("industry", 100, 4)
	requestExport(h, m, labourFa)
	doc, err := m.Next(wait)
	if err != nil || doc.Document == nil {
		t.Fatalf("export: %+v, %v", doc, err)
	}
	if doc.Caption != h.T("export.done", "n", "۷", "from", "۱ فروردین ۱۴۰۵", "to", "۱۷ خرداد ۱۴۰۵") {
		t.Errorf("caption %q", doc.Caption)
	}
	table := must[*xlsx.Table](t)(xlsx.Read(doc.Document.Data, 0))
	defer table.Close()
	if table.Name != h.T("export.placements") || table.Count != 7 {
		t.Errorf("sheet %q with %d rows", table.Name, table.Count)
	}
	agency, start := slices.Index(table.Header, h.T("export.agency")), slices.Index(table.Header, h.T("placement.startdate.label"))
	for _, cells := range table.Rows() {
		if cells[agency] != labourFa || cells[start] != "1405/03/17" {
			t.Errorf("row %q", cells)
			break
		}
	}
}
