package bot

import (
	"context"
	"time"
)

// RunJobs does the timed work beside the update loop, on every whole
// minute until ctx ends: lapsing stall offers, delivering the managers'
// summaries once SummaryAt has passed, drawing the verification sample
// once a period has ended, telling liaisons of rejections nobody told them
// of, asking sampled people by message, and, when allocateAt ("HH:MM" in
// the calendar's zone) is set, allocating every market once a day. Every
// replica runs them; the storage makes a second run find nothing left to
// do (the summaries' sent-log in Postgres decides who sends, under owner).
func (b *Bot) RunJobs(ctx context.Context, owner, allocateAt string) {
	var allocated string // the day allocation last ran
	for {
		// On the minute, not a minute after each replica started: the
		// summary at 20:00 goes out at 20:00, not up to a minute late.
		t := time.NewTimer(untilNextMinute(time.Now()))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		b.runJobs(ctx, owner, allocateAt, &allocated)
	}
}

// untilNextMinute is the wait from now to the next whole minute. Every
// zone in use is offset from UTC by whole minutes, so a UTC minute is the
// calendar's.
func untilNextMinute(now time.Time) time.Duration {
	return now.Truncate(time.Minute).Add(time.Minute).Sub(now)
}

// runJobs is one round of RunJobs, at the bot's clock.
func (b *Bot) runJobs(ctx context.Context, owner, allocateAt string, allocated *string) {
	if err := b.ExpireOffers(ctx); err != nil {
		b.log.Warn("expire offers", "err", err)
	}
	if err := b.DeliverSummaries(ctx, owner); err != nil {
		b.log.Warn("deliver summaries", "err", err)
	}
	if err := b.DrawDue(ctx); err != nil {
		b.log.Warn("draw the verification sample", "err", err)
	}
	if err := b.TellRejections(ctx); err != nil {
		b.log.Warn("tell rejections", "err", err)
	}
	if err := b.AskPeople(ctx); err != nil {
		b.log.Warn("ask people to confirm their jobs", "err", err)
	}
	if allocateAt == "" {
		return
	}
	now := b.now()
	due, err := clockOn(b.cal, now, allocateAt)
	if err != nil {
		b.log.Warn("daily allocation", "err", err)
		return
	}
	if day := b.cal.In(now).Format(time.DateOnly); !now.Before(due) && *allocated != day {
		*allocated = day
		if err := b.AllocateAll(ctx); err != nil {
			b.log.Warn("daily allocation", "err", err)
		}
	}
}
