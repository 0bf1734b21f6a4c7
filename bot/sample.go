package bot

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rasad-gov/rasad/domain"
)

// The sample: each period (VerifyConfig.Days) a share of every agency's
// new placements is drawn for checking, with a fresh random seed kept with
// the draw, so an auditor can draw it again and find the same list
// (rasad verify redo). Admins add a record or a whole agency (/sample).

// DrawDue draws the last whole period unless it is drawn already: the
// weekly draw, run every minute by every replica (RunJobs). Storage draws a
// period once, so the other replicas find the first one's draw. Only the
// most recent period is drawn: one missed while the bot was down is drawn
// at the next tick; older ones are an operator's to draw (rasad verify
// draw --from --to). A share of 0 turns the draw off.
func (b *Bot) DrawDue(ctx context.Context) error {
	if b.cfg.Verify.Share <= 0 {
		return nil
	}
	from, to := b.cal.DrawPeriod(b.now(), b.cfg.Verify.Days)
	if b.drawn.Load() == from.Unix() {
		return nil // this process saw it drawn: no need to ask Postgres each minute
	}
	if _, _, err := b.DrawPeriod(ctx, from, to, 0); err != nil {
		return err
	}
	b.drawn.Store(from.Unix())
	return nil
}

// DrawPeriod draws the placements registered from from to to (exclusive)
// that are not sampled yet, at the configured share with a fresh random
// seed, on behalf of by (0: the weekly job or the command line). The drawn
// wait for the call centre from now+CallAfter, which leaves their people
// time to answer in the bot first. A period drawn before is not drawn
// again: fresh is false and d is the earlier draw.
func (b *Bot) DrawPeriod(ctx context.Context, from, to time.Time, by int64) (d domain.Draw, fresh bool, err error) {
	now := b.now()
	d, fresh, err = b.store.DrawSample(ctx, from, to, newSeed(), b.cfg.Verify.Share, by, now, now.Add(b.cfg.Verify.CallAfter))
	if err != nil {
		return d, false, fmt.Errorf("draw %s: %w", b.period(from, to), err)
	}
	if fresh {
		b.log.Info("verification sample drawn", "draw", d.ID, "period", b.period(from, to), "seed", d.Seed,
			"share", d.Share, "candidates", len(d.Candidates), "drawn", len(d.Sample))
	}
	return d, fresh, nil
}

// newSeed is a draw's seed: random, so nobody can know the sample before
// the draw, and kept, so anybody can redo it after.
func newSeed() int64 {
	var buf [8]byte
	_, _ = rand.Read(buf[:]) // never fails (crypto/rand)
	return int64(binary.BigEndian.Uint64(buf[:]) >> 1)
}

// period shows [from, to) as its first and last days, Solar Hijri.
func (b *Bot) period(from, to time.Time) string {
	return b.cal.FormatJalaliNumeric(from) + "–" + b.cal.FormatJalaliNumeric(to.Add(-time.Nanosecond))
}

// WriteDraws writes the last limit draws, newest first, one a line: what
// an auditor picks a draw to redo from.
func (b *Bot) WriteDraws(ctx context.Context, w io.Writer, limit int) (int, error) {
	draws, err := b.store.Draws(ctx, limit)
	if err != nil {
		return 0, err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "draw\tperiod\tseed\tshare\tcandidates\tdrawn\tdrawn at\tby")
	for _, d := range draws {
		by := "system" // the weekly job, or the command line
		if d.DrawnBy != 0 {
			by = strconv.FormatInt(d.DrawnBy, 10)
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%g\t%d\t%d\t%s %s\t%s\n", d.ID, b.period(d.From, d.To), d.Seed, d.Share,
			len(d.Candidates), len(d.Sample), b.cal.FormatJalaliNumeric(d.DrawnAt), b.cal.In(d.DrawnAt).Format("15:04"), by)
	}
	return len(draws), tw.Flush()
}

// RedoDraw draws draw id again from its stored seed, share and candidates
// and compares the list with the one stored.
func (b *Bot) RedoDraw(ctx context.Context, id int64) (domain.Draw, domain.DrawAudit, error) {
	d, err := b.store.Draw(ctx, id)
	if err != nil {
		return d, domain.DrawAudit{}, err
	}
	return d, d.Redo(), nil
}

// AddToSample puts placement id, or when id is 0 every placement of agency
// in program year (0: this year), in the sample on behalf of by (0: the
// command line), and says how many were added: placements sampled already
// or withdrawn are left as they are. NotFound "placement.notfound" for a
// record that does not exist.
func (b *Bot) AddToSample(ctx context.Context, id, agency int64, year int, by int64) (int, error) {
	now := b.now()
	if id != 0 {
		if _, err := b.store.Placement(ctx, id); err != nil {
			return 0, err
		}
	}
	if year == 0 {
		year = b.cal.ProgramYear(now)
	}
	n, err := b.store.AddToSample(ctx, id, agency, year, by, now, now.Add(b.cfg.Verify.CallAfter))
	if err != nil {
		return 0, err
	}
	b.log.Info("added to the verification sample", "placement", id, "agency", agency, "year", year, "by", by, "added", n)
	return n, nil
}

// cmdSample is the admin's view of the sample: the last draw, agency by
// agency, or, given a record number or an agency code, that record or the
// agency's whole year added to it.
func (b *Bot) cmdSample(c *Ctx, args string) error {
	arg := strings.TrimPrefix(domain.Normalize(args), "#")
	if arg == "" {
		return b.showLastDraw(c)
	}
	if id, err := strconv.ParseInt(arg, 10, 64); err == nil {
		if id <= 0 {
			return c.reply(c.T("sample.usage"), nil)
		}
		return b.sampleRecord(c, id)
	}
	code, err := domain.ParseAgencyCode(arg)
	if err != nil {
		return c.reply(c.T("sample.usage"), nil)
	}
	agencies, err := b.store.Agencies(c)
	if err != nil {
		return fmt.Errorf("list agencies: %w", err)
	}
	i := slices.IndexFunc(agencies, func(a domain.Agency) bool { return a.Code == code })
	if i < 0 {
		return b.replyError(c, domain.NotFound("agency.notfound"))
	}
	a := agencies[i]
	year := b.cal.ProgramYear(b.now())
	n, err := b.AddToSample(c, 0, a.ID, year, c.User.ID)
	if err != nil {
		return err
	}
	yearText := c.digits(strconv.Itoa(year))
	if n == 0 {
		return c.reply(c.T("sample.added_none", "agency", a.Name(c.Lang), "year", yearText), nil)
	}
	return c.reply(c.N("sample.added_agency", n, "count", c.digits(strconv.Itoa(n)), "agency", a.Name(c.Lang), "year", yearText), nil)
}

func (b *Bot) sampleRecord(c *Ctx, id int64) error {
	n, err := b.AddToSample(c, id, 0, 0, c.User.ID)
	if domain.IsKind(err, domain.KindNotFound) {
		return b.replyError(c, err)
	}
	if err != nil {
		return err
	}
	shown := c.digits(strconv.FormatInt(id, 10))
	if n == 1 {
		return c.reply(c.T("sample.added_record", "id", shown, "date", c.date(b.now().Add(b.cfg.Verify.CallAfter))), nil)
	}
	p, err := b.store.Placement(c, id)
	if err != nil {
		return fmt.Errorf("load record: %w", err)
	}
	if p.Withdrawn() {
		return b.replyError(c, domain.Conflict("placement.withdrawn"))
	}
	return c.reply(c.T("sample.already", "id", shown, "state", c.T("verification."+string(p.Verification))), nil)
}

// showLastDraw shows the last draw agency by agency: each at the same share.
func (b *Bot) showLastDraw(c *Ctx) error {
	draws, err := b.store.Draws(c, 1)
	if err != nil {
		return fmt.Errorf("last draw: %w", err)
	}
	if len(draws) == 0 {
		return c.reply(c.T("sample.none")+"\n\n"+c.T("sample.usage"), nil)
	}
	d := draws[0]
	agencies, err := b.store.Agencies(c)
	if err != nil {
		return fmt.Errorf("list agencies: %w", err)
	}
	names := map[int64]string{}
	for _, a := range agencies {
		names[a.ID] = a.Name(c.Lang)
	}
	num := func(n int) string { return c.digits(strconv.Itoa(n)) }
	var sb strings.Builder
	sb.WriteString(c.T("sample.last", "id", c.digits(strconv.FormatInt(d.ID, 10)), "from", c.date(d.From),
		"to", c.date(d.To.Add(-time.Nanosecond)), "share", num(int(math.Round(d.Share*100))), "date", c.date(d.DrawnAt),
		"drawn", num(len(d.Sample)), "candidates", num(len(d.Candidates))))
	for _, ag := range d.ByAgency() {
		name := names[ag.AgencyID]
		if name == "" {
			name = c.T("value.unknown_agency")
		}
		sb.WriteString("\n" + c.T("sample.agency", "agency", name, "drawn", num(ag.Drawn), "candidates", num(ag.Candidates)))
	}
	sb.WriteString("\n\n" + c.T("sample.usage"))
	return c.reply(sb.String(), nil)
}
