package bot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rasad-gov/rasad/bot/chart"
	"github.com/rasad-gov/rasad/bot/transport"
	"github.com/rasad-gov/rasad/domain"
)

// The manager's day: one message with the day's and the year's figures, by
// sector, by agency against its commitment, idle agencies, duplicates
// blocked and stalls; a chart of agency progress with it.

// maxMessage is Telegram's limit for a message's text.
const maxMessage = 4096

// formatSummary writes the summary in lang. The agency list is cut to its
// top and bottom, with a line saying how many were left out, until the
// whole fits one message.
func (b *Bot) formatSummary(lang string, s domain.Summary) string {
	for keep := len(s.Agencies); ; keep = keep * 3 / 4 {
		text := b.summaryText(lang, s, keep)
		if len([]rune(text)) <= maxMessage || keep == 0 {
			return text
		}
	}
}

func (b *Bot) summaryText(lang string, s domain.Summary, keep int) string {
	T := func(key string, args ...string) string { return b.cat.T(lang, key, args...) }
	n := func(v int) string { return domain.FormatNumber(int64(v), lang) }
	pct := func(v float64) string { return digitsIn(lang, strconv.FormatFloat(v, 'f', 0, 64)) + "٪" }
	var sb strings.Builder
	line := func(s string) { sb.WriteString(s + "\n") }

	line(T("summary.title", "date", b.cal.FormatJalaliLang(s.Day, lang)))
	line(T("summary.placements", "today", n(s.Today), "year", n(s.YearTotal), "program_year", digitsIn(lang, strconv.Itoa(s.Year))))
	var sectors []string
	for _, sec := range domain.Sectors {
		sectors = append(sectors, T("sector."+string(sec))+" "+n(s.BySector[sec]))
	}
	line(T("summary.sectors", "sectors", strings.Join(sectors, " · ")))
	line("")
	line(T("summary.agencies"))
	agencyLine := func(a domain.AgencyProgress) string {
		if a.Target <= 0 {
			return T("summary.agency_no_target", "rank", n(a.Rank), "name", digitsIn(lang, a.Name(lang)), "count", n(a.Count))
		}
		return T("summary.agency", "rank", n(a.Rank), "name", digitsIn(lang, a.Name(lang)), "count", n(a.Count),
			"target", n(a.Target), "percent", pct(a.Percent()))
	}
	if keep >= len(s.Agencies) {
		for _, a := range s.Agencies {
			line(agencyLine(a))
		}
	} else {
		top, bottom := (keep+1)/2, keep/2
		for _, a := range s.Agencies[:top] {
			line(agencyLine(a))
		}
		line(b.cat.N(lang, "summary.left_out", len(s.Agencies)-keep, "n", n(len(s.Agencies)-keep)))
		for _, a := range s.Agencies[len(s.Agencies)-bottom:] {
			line(agencyLine(a))
		}
	}
	line("")
	if len(s.Idle) > 0 {
		var names []string
		for i, a := range s.Idle {
			if i == 10 {
				names = append(names, T("summary.and_more", "n", n(len(s.Idle)-10)))
				break
			}
			names = append(names, digitsIn(lang, a.Name(lang)))
		}
		line(T("summary.idle", "n", n(len(s.Idle)), "names", strings.Join(names, "، ")))
	} else {
		line(T("summary.no_idle"))
	}
	line(T("summary.duplicates", "n", n(s.DuplicatesToday)))
	line(T("summary.stalls", "new", n(s.StallsNewToday), "waiting", n(s.StallsWaiting), "allocated", n(s.StallsAllocated),
		"share", pct(100*s.FemaleHeadShare())))
	return strings.TrimSpace(sb.String())
}

// sendSummary sends a summary and its chart to one chat in lang. The text
// is what counts as delivered; a chart that fails is logged.
func (b *Bot) sendSummary(ctx context.Context, chat int64, lang string, s domain.Summary) error {
	if err := b.send.Send(ctx, chat, transport.SendMessage{Chat: chat, Text: b.formatSummary(lang, s)}); err != nil {
		return err
	}
	png, err := b.summaryChart(lang, s)
	if err != nil {
		b.log.Error("draw summary chart", "err", err)
		return nil
	}
	photo := transport.SendPhoto{Chat: chat, File: transport.FileBytes{Name: "rasad-" + s.Day.Format(time.DateOnly) + ".png", Bytes: png}}
	photo.Caption = b.cat.T(lang, "summary.chart_caption", "date", b.cal.FormatJalaliLang(s.Day, lang))
	if err := b.send.Send(ctx, chat, photo); err != nil {
		b.log.Error("send summary chart", "chat", chat, "err", err)
	}
	return nil
}

// cmdSummary sends the summary now, for today or a day typed after the
// command (/summary 1405/03/10).
func (b *Bot) cmdSummary(c *Ctx, args string) error {
	day := b.cal.StartOfDay(b.now())
	if strings.TrimSpace(args) != "" {
		d, err := b.cal.ParseJalaliDate(args, b.now())
		if err != nil {
			return b.replyError(c, err)
		}
		if d.After(day) {
			return b.replyError(c, domain.Invalid("startdate.future"))
		}
		day = d
	}
	b.chatAction(c, transport.ChatTyping)
	s, err := b.store.Summary(c, day)
	if err != nil {
		return fmt.Errorf("compute summary: %w", err)
	}
	return b.sendSummary(c, c.Chat, c.Lang, s)
}

func (b *Bot) cmdMute(c *Ctx, _ string) error   { return b.setMuted(c, true) }
func (b *Bot) cmdUnmute(c *Ctx, _ string) error { return b.setMuted(c, false) }

func (b *Bot) setMuted(c *Ctx, muted bool) error {
	if err := b.store.SetSummaryMuted(c, c.User.ID, muted); err != nil {
		return err
	}
	key := "summary.unmuted"
	if muted {
		key = "summary.muted"
	}
	return c.reply(c.T(key, "time", c.digits(b.cfg.SummaryAt)), nil)
}

// clockOn is the instant the clock reads hhmm ("20:00") on day, in cal's
// zone: a wall-clock time, so on a day the clocks change it is still 20:00
// there, not twenty hours after midnight.
func clockOn(cal domain.Calendar, day time.Time, hhmm string) (time.Time, error) {
	at, err := time.Parse("15:04", hhmm)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not HH:MM: %w", hhmm, err)
	}
	y, m, d := cal.In(day).Date()
	return time.Date(y, m, d, at.Hour(), at.Minute(), 0, 0, cal.Location()), nil
}

// summaryMaxAttempts is how often a failing delivery is tried before the
// admins are told.
const summaryMaxAttempts = 5

// DeliverSummaries sends today's summary to every manager who has not had
// it, once the summary hour has passed. Every replica runs it every minute;
// the sent-log in Postgres lets exactly one deliver to each manager, and a
// process that was down at the hour delivers when it is back the same day.
func (b *Bot) DeliverSummaries(ctx context.Context, owner string) error {
	now := b.now()
	day := b.cal.StartOfDay(now)
	due, err := clockOn(b.cal, day, b.cfg.SummaryAt)
	if err != nil {
		return fmt.Errorf("summary hour: %w", err)
	}
	if now.Before(due) {
		return nil
	}
	managers, err := b.store.Managers(ctx)
	if err != nil {
		return fmt.Errorf("list managers: %w", err)
	}
	var s *domain.Summary
	for _, m := range managers {
		ok, err := b.store.ClaimSummary(ctx, day, m.ID, owner, 2*time.Minute, now)
		if err != nil {
			return fmt.Errorf("claim summary: %w", err)
		}
		if !ok {
			continue
		}
		if s == nil {
			computed, err := b.store.Summary(ctx, day)
			if err != nil {
				return fmt.Errorf("compute summary: %w", err)
			}
			s = &computed
		}
		if err := b.sendSummary(ctx, m.ID, b.langOf(m), *s); err != nil {
			b.log.Warn("summary not delivered", "manager", m.ID, "err", err)
			if ferr := b.store.MarkSummaryFailed(ctx, day, m.ID, err.Error(), b.now()); ferr != nil {
				b.log.Error("record summary failure", "err", ferr)
				continue
			}
			var ae *transport.APIError
			if errors.As(err, &ae) && ae.Code == http.StatusForbidden {
				// Blocked the bot: no retry can help, the admins should know now.
				b.tellAdmins(ctx, "summary.blocked_admin", "name", nameOr(m), "id", strconv.FormatInt(m.ID, 10))
				continue
			}
			b.tellIfGivenUp(ctx, day, m, err)
			continue
		}
		if err := b.store.MarkSummarySent(ctx, day, m.ID, b.now()); err != nil {
			b.log.Error("record summary sent", "manager", m.ID, "err", err)
		}
	}
	return nil
}

// tellAdmins writes catalogue text key to every admin in their language.
func (b *Bot) tellAdmins(ctx context.Context, key string, args ...string) {
	admins, err := b.store.UsersWithRole(ctx, domain.RoleAdmin)
	if err != nil {
		b.log.Error("list admins", "err", err)
		return
	}
	for _, a := range admins {
		b.tell(ctx, a.ID, b.cat.T(b.langOf(a), key, args...), nil)
	}
}

// tellIfGivenUp tells the admins when a manager's summary has failed for the
// last time, so none is lost silently.
func (b *Bot) tellIfGivenUp(ctx context.Context, day time.Time, m domain.User, cause error) {
	failed, err := b.store.FailedSummaries(ctx, day)
	if err != nil {
		b.log.Error("list failed summaries", "err", err)
		return
	}
	for _, f := range failed {
		if f.TelegramID == m.ID && f.Attempts >= summaryMaxAttempts {
			b.tellAdmins(ctx, "summary.failed_admin", "name", nameOr(m), "id", strconv.FormatInt(m.ID, 10), "error", cause.Error())
		}
	}
}

// maxChartBars keeps the chart readable on a phone: the top of the ranking
// and its bottom, where a manager's attention goes.
const maxChartBars = 40

// summaryChart draws each agency's progress against its yearly target.
func (b *Bot) summaryChart(lang string, s domain.Summary) ([]byte, error) {
	agencies := s.Agencies
	if len(agencies) > maxChartBars {
		agencies = append(slices.Clone(agencies[:maxChartBars/2]), agencies[len(agencies)-maxChartBars/2:]...)
	}
	bars := make([]chart.Bar, 0, len(agencies))
	for _, a := range agencies {
		note := domain.FormatNumber(int64(a.Count), lang)
		if a.Target > 0 {
			note = digitsIn(lang, strconv.FormatFloat(a.Percent(), 'f', 0, 64)) + "٪ (" + note + ")"
		}
		bars = append(bars, chart.Bar{Label: digitsIn(lang, a.Name(lang)), Value: a.Percent(), Note: note})
	}
	return chart.Render(bars, chart.Options{
		Title:  b.cat.T(lang, "summary.chart_title", "date", b.cal.FormatJalaliLang(s.Day, lang)),
		Target: 100,
	})
}

// nameOr is a user's name, or a dash for one granted a role from the
// command line who never wrote to the bot.
func nameOr(u domain.User) string {
	if u.FullName == "" {
		return "—"
	}
	return u.FullName
}
