package bot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
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

// idleShown is how many idle agencies the summary names; /idle lists all.
const idleShown = 3

func (b *Bot) summaryText(lang string, s domain.Summary, keep int) string {
	T := func(key string, args ...string) string { return b.cat.T(lang, key, args...) }
	n := func(v int) string { return domain.FormatNumber(int64(v), lang) }
	year := digitsIn(lang, strconv.Itoa(s.Year))
	var sb strings.Builder
	line := func(s string) { sb.WriteString(s + "\n") }

	line(T("summary.title", "date", b.cal.FormatJalaliLang(s.Day, lang)))
	// Today can exceed the year when jobs started last year are registered
	// now; the line then says so.
	placements := "summary.placements"
	if s.TodayEarlier > 0 {
		placements = "summary.placements_earlier"
	}
	line(T(placements, "today", n(s.Today), "earlier", n(s.TodayEarlier), "year", n(s.YearTotal), "program_year", year))
	var sectors []string
	for _, sec := range domain.Sectors {
		sectors = append(sectors, T("sector."+string(sec))+" "+n(s.BySector[sec]))
	}
	line(T("summary.sectors", "sectors", strings.Join(sectors, " · ")))
	if s.Registered() > 0 {
		line(b.checkingLine(lang, "summary.checking", s.Checking, s.Registered()))
	}
	if s.Rejected > 0 {
		line(b.cat.N(lang, "summary.rejected", s.Rejected, "n", n(s.Rejected)))
	}
	line("")
	line(T("summary.agencies"))
	// An agency's checking, once any of its placements was sampled, goes
	// on a line of its own under it: one line would wrap on a phone.
	agencyLine := func(a domain.AgencyProgress) string {
		var text string
		if a.Target <= 0 {
			text = T("summary.agency_no_target", "rank", n(a.Rank), "name", digitsIn(lang, a.Name(lang)), "count", n(a.Count))
		} else {
			text = T("summary.agency", "rank", n(a.Rank), "name", digitsIn(lang, a.Name(lang)), "count", n(a.Count),
				"target", n(a.Target), "percent", formatPercent(lang, a.Percent()))
		}
		if a.Sampled > 0 {
			text += "\n" + b.checkingLine(lang, "summary.agency_checks", a.Checking, a.Registered())
		}
		return text
	}
	ranked := s.Agencies[:rankedCount(s.Agencies)]
	if keep >= len(ranked) {
		for _, a := range ranked {
			line(agencyLine(a))
		}
	} else {
		top, bottom := (keep+1)/2, keep/2
		for _, a := range ranked[:top] {
			line(agencyLine(a))
		}
		line(b.cat.N(lang, "summary.left_out", len(ranked)-keep, "n", n(len(ranked)-keep)))
		for _, a := range ranked[len(ranked)-bottom:] {
			line(agencyLine(a))
		}
	}
	if unranked := len(s.Agencies) - len(ranked); unranked > 0 {
		line(b.cat.N(lang, "summary.unranked", unranked, "n", n(unranked), "program_year", year))
	}
	line("")
	if s.Warnings.Any() {
		sb.WriteString(b.warningsText(lang, s.Warnings))
		line("")
	}
	if len(s.Idle) > 0 {
		var names []string
		for _, a := range s.Idle[:min(idleShown, len(s.Idle))] {
			names = append(names, digitsIn(lang, a.Name(lang)))
		}
		if more := len(s.Idle) - idleShown; more > 0 {
			names = append(names, T("summary.and_more", "n", n(more)))
		}
		line(T("summary.idle", "n", n(len(s.Idle)), "names", strings.Join(names, T("summary.list_sep"))))
	} else {
		line(T("summary.no_idle"))
	}
	line(T("summary.duplicates", "n", n(s.DuplicatesToday)))
	line(T("summary.stalls", "new", n(s.StallsNewToday), "waiting", n(s.StallsWaiting), "allocated", n(s.StallsAllocated),
		"share", formatPercent(lang, 100*s.FemaleHeadShare())))
	return strings.TrimSpace(sb.String())
}

// checkingLine is text key (the province's line or an agency's) for
// checking c of registered placements: how many were checked, of
// registered and in the sample, and of them confirmed and rejected. Until
// one is checked, key+"_none" says so instead of showing shares of none.
func (b *Bot) checkingLine(lang, key string, c domain.Checking, registered int) string {
	n := func(v int) string { return domain.FormatNumber(int64(v), lang) }
	if c.Checked() == 0 {
		key += "_none"
	}
	return b.cat.T(lang, key, "registered", n(registered), "sampled", n(c.Sampled), "checked", n(c.Checked()),
		"checked_share", formatPercent(lang, 100*domain.Share(c.Checked(), registered)),
		"confirmed", n(c.Confirmed), "confirmed_share", formatPercent(lang, 100*c.ConfirmedShare()),
		"rejected", n(c.Rejected))
}

// warnAgencies is how many agencies a warning names; the rest are counted.
const warnAgencies = 3

// warningsText writes w's section of the summary in lang: a heading, a
// line per warning, and after each kind how many more there are.
func (b *Bot) warningsText(lang string, w domain.Warnings) string {
	T := func(key string, args ...string) string { return b.cat.T(lang, key, args...) }
	n := func(v int) string { return domain.FormatNumber(int64(v), lang) }
	agencies := func(as []domain.Agency) string {
		var names []string
		for _, a := range as[:min(warnAgencies, len(as))] {
			names = append(names, digitsIn(lang, a.Name(lang)))
		}
		if more := len(as) - warnAgencies; more > 0 {
			names = append(names, b.cat.N(lang, "summary.warn_more_agencies", more, "n", n(more)))
		}
		return strings.Join(names, T("summary.list_sep"))
	}
	var sb strings.Builder
	line := func(s string) { sb.WriteString(s + "\n") }
	more := func(k int) {
		if k > 0 {
			line(T("summary.warn_more", "n", n(k)))
		}
	}
	line(T("summary.warnings"))
	for _, m := range w.Mobiles {
		line(T("summary.warn_mobile", "mobile", digitsIn(lang, m.Mobile.Masked()), "n", n(m.Placements), "agencies", agencies(m.Agencies)))
	}
	more(w.MoreMobiles)
	for _, e := range w.Employers {
		line(T("summary.warn_employer", "employer", digitsIn(lang, e.Employer), "n", n(e.Placements), "agencies", agencies(e.Agencies)))
	}
	more(w.MoreEmployers)
	for _, sp := range w.Spikes {
		// The average, not the factor: with an average under one a
		// week the rule counts one, and "18 times 0.4" would not add up.
		line(T("summary.warn_spike", "agency", digitsIn(lang, sp.Agency.Name(lang)), "week", n(sp.Week),
			"weeks", n(domain.WarnSpikeWeeks), "average", formatDecimal(lang, sp.WeeklyAverage(), 1)))
	}
	more(w.MoreSpikes)
	return sb.String()
}

// rankedCount is how many agencies lead the ranked list: those with a
// placement (RankAgencies puts the unranked last).
func rankedCount(as []domain.AgencyProgress) int {
	for i, a := range as {
		if a.Rank == 0 {
			return i
		}
	}
	return len(as)
}

// formatPercent writes a percent for lang: one decimal below 10%, where a
// whole number would show 1 of 3,858 as 0%; a share above nothing shows
// at least 0.1%, since a reader takes 0.0% for none.
func formatPercent(lang string, v float64) string {
	prec := 0
	if v > 0 && v < 10 {
		prec = 1
		v = max(v, 0.1)
	}
	return formatDecimal(lang, v, prec) + "٪"
}

// formatDecimal writes v for lang with prec decimals.
func formatDecimal(lang string, v float64, prec int) string {
	s := strconv.FormatFloat(v, 'f', prec, 64)
	if lang == "fa" {
		s = strings.ReplaceAll(s, ".", "٫")
	}
	return digitsIn(lang, s)
}

// cmdIdle lists every agency with no placement in the seven days up to
// today; the summary names only a few.
func (b *Bot) cmdIdle(c *Ctx, _ string) error {
	s, err := b.store.Summary(c, b.cal.StartOfDay(b.now()))
	if err != nil {
		return fmt.Errorf("compute summary: %w", err)
	}
	if len(s.Idle) == 0 {
		return c.reply(c.T("summary.no_idle"), nil)
	}
	var sb strings.Builder
	sb.WriteString(c.T("summary.idle_title", "n", domain.FormatNumber(int64(len(s.Idle)), c.Lang)))
	for i, a := range s.Idle {
		fmt.Fprintf(&sb, "\n%s. %s", c.digits(strconv.Itoa(i+1)), c.digits(a.Name(c.Lang)))
	}
	return c.reply(sb.String(), nil)
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
	photo := transport.SendPhoto{Chat: chat, File: transport.FileBytes{Name: b.datedName(s.Day, ".png"), Bytes: png}}
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

// chartEnds is how many agencies the chart shows at each end of the
// ranking, where a manager's attention goes; the middle is one bar.
// Nine bars keep a chart shown 300 px wide on a phone readable.
const chartEnds = 4

// chartWidth is the chart's width in pixels: about twice what a phone
// shows of it, so it stays sharp.
const chartWidth = 600

// summaryChart draws each agency's progress against its yearly target:
// the leading and trailing agencies, the rest as one group.
func (b *Bot) summaryChart(lang string, s domain.Summary) ([]byte, error) {
	n := func(v int) string { return domain.FormatNumber(int64(v), lang) }
	bar := func(label string, count, target int) chart.Bar {
		a := domain.AgencyProgress{Count: count, Target: target}
		note := n(count)
		if target > 0 {
			note = formatPercent(lang, a.Percent()) + " (" + note + ")"
		}
		return chart.Bar{Label: digitsIn(lang, label), Value: a.Percent(), Note: note}
	}
	var bars []chart.Bar
	add := func(as []domain.AgencyProgress) {
		for _, a := range as {
			bars = append(bars, bar(a.Name(lang), a.Count, a.Target))
		}
	}
	if len(s.Agencies) <= 2*chartEnds+1 {
		add(s.Agencies)
	} else {
		middle := s.Agencies[chartEnds : len(s.Agencies)-chartEnds]
		var count, target int
		for _, a := range middle {
			count += a.Count
			target += a.Target
		}
		add(s.Agencies[:chartEnds])
		bars = append(bars, bar(b.cat.T(lang, "summary.chart_group", "n", n(len(middle))), count, target))
		add(s.Agencies[len(s.Agencies)-chartEnds:])
	}
	return chart.Render(bars, chart.Options{
		Title:  b.cat.T(lang, "summary.chart_title", "date", b.cal.FormatJalaliLang(s.Day, lang)),
		Target: 100,
		Width:  chartWidth,
		Phone:  true,
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
