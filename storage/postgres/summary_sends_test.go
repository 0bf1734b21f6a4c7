package postgres_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rasad-gov/rasad/domain"
	"github.com/rasad-gov/rasad/storage/postgres"
	"github.com/rasad-gov/rasad/storage/postgres/postgrestest"
)

const lease = 10 * time.Minute

// sendAt is 20:00 Tehran on summaryDay, when summaries go out.
var sendAt = at(summaryDay, 0, 20, 0)

func claim(t *testing.T, db *postgres.DB, day time.Time, manager int64, owner string, now time.Time) bool {
	t.Helper()
	ok, err := db.ClaimSummary(context.Background(), day, manager, owner, lease, now)
	if err != nil {
		t.Fatalf("ClaimSummary(%s): %v", owner, err)
	}
	return ok
}

func failures(t *testing.T, db *postgres.DB, day time.Time) []domain.SummaryFailure {
	t.Helper()
	fs, err := db.FailedSummaries(context.Background(), day)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func TestClaimSummaryOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	const manager = 42

	// Many senders at the same instant, as many copies of the bot: one wins.
	for round := range 5 {
		day := summaryDay.AddDate(0, 0, round)
		var won atomic.Int32
		race(8, func(i int) {
			ok, err := db.ClaimSummary(ctx, day, manager, fmt.Sprintf("bot-%d", i), lease, sendAt)
			if err != nil {
				t.Error(err)
			}
			if ok {
				won.Add(1)
			}
		})
		if n := won.Load(); n != 1 {
			t.Fatalf("round %d: %d claims won, want 1", round, n)
		}
	}

	// Sent: nobody claims it again, not even long after the lease.
	if err := db.MarkSummarySent(ctx, summaryDay, manager, sendAt.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	for _, later := range []time.Duration{0, 2 * lease, 48 * time.Hour} {
		if claim(t, db, summaryDay, manager, "bot-9", sendAt.Add(later)) {
			t.Fatalf("sent summary claimed again %v later", later)
		}
	}
	// Marking again changes nothing; a failure reported late neither.
	if err := db.MarkSummarySent(ctx, summaryDay, manager, sendAt.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkSummaryFailed(ctx, summaryDay, manager, "late", sendAt.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if fs := failures(t, db, summaryDay); len(fs) != 0 {
		t.Fatalf("failures after sent: %+v", fs)
	}
	if claim(t, db, summaryDay, manager, "bot-9", sendAt.Add(time.Hour)) {
		t.Fatal("sent summary claimed after a late failure")
	}

	// The day is the Tehran day of whatever instant is given: 23:59 Tehran
	// is the same row; 00:10 Tehran the next day, 20:40 UTC on the same
	// date as the day, another.
	if claim(t, db, at(summaryDay, 0, 23, 59), manager, "bot-9", sendAt) {
		t.Fatal("the same Tehran day claimed twice")
	}
	other := int64(manager + 1)
	if !claim(t, db, summaryDay, other, "bot-1", sendAt) {
		t.Fatal("another manager's summary not claimed")
	}
	next := at(summaryDay, 1, 0, 10)
	if next.UTC().Day() != summaryDay.Day() {
		t.Fatalf("test assumption: %v is on the UTC date of Tehran's %v", next, summaryDay)
	}
	if !claim(t, db, next, other, "bot-1", sendAt) {
		t.Fatal("the next day's summary not claimed")
	}

	// Never claimed.
	wantErr(t, db.MarkSummarySent(ctx, summaryDay, 7, sendAt), domain.KindNotFound, "summary.notclaimed")
	wantErr(t, db.MarkSummaryFailed(ctx, summaryDay, 7, "x", sendAt), domain.KindNotFound, "summary.notclaimed")

	// Caller mistakes.
	if _, err := db.ClaimSummary(ctx, summaryDay, 7, "", lease, sendAt); err == nil {
		t.Fatal("claim without an owner")
	}
	if _, err := db.ClaimSummary(ctx, summaryDay, 7, "bot-1", 0, sendAt); err == nil {
		t.Fatal("claim without a lease")
	}
}

func TestClaimSummaryLease(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	const manager = 42

	if !claim(t, db, summaryDay, manager, "bot-a", sendAt) {
		t.Fatal("first claim lost")
	}
	// bot-a is sending: a claim within the lease loses, also bot-a's own.
	for _, owner := range []string{"bot-b", "bot-a"} {
		if claim(t, db, summaryDay, manager, owner, sendAt.Add(lease-time.Second)) {
			t.Fatalf("%s took a live claim", owner)
		}
	}
	// bot-a died: past the lease bot-b takes over, and bot-c cannot take
	// bot-b's fresh claim.
	now := sendAt.Add(lease + time.Second)
	var won atomic.Int32
	race(4, func(i int) {
		if ok, err := db.ClaimSummary(ctx, summaryDay, manager, fmt.Sprintf("bot-%d", i), lease, now); err != nil {
			t.Error(err)
		} else if ok {
			won.Add(1)
		}
	})
	if n := won.Load(); n != 1 {
		t.Fatalf("%d takeovers won, want 1", n)
	}
	if claim(t, db, summaryDay, manager, "bot-c", now.Add(time.Second)) {
		t.Fatal("a fresh takeover was taken over")
	}
	// Still sending: not a failure to show.
	if fs := failures(t, db, summaryDay); len(fs) != 0 {
		t.Fatalf("failures while sending: %+v", fs)
	}
	if err := db.MarkSummarySent(ctx, summaryDay, manager, now.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if claim(t, db, summaryDay, manager, "bot-c", now.Add(3*lease)) {
		t.Fatal("sent summary taken over")
	}

	// Senders that keep dying: each lapsed claim is an attempt; the
	// fifth leaves the summary failed for good.
	const other = 43
	now = sendAt
	for i := range postgres.MaxSummaryAttempts {
		if !claim(t, db, summaryDay, other, fmt.Sprintf("bot-%d", i), now) {
			t.Fatalf("claim %d lost", i)
		}
		now = now.Add(lease + time.Second)
	}
	if claim(t, db, summaryDay, other, "bot-last", now) {
		t.Fatal("claimed after 5 lapsed attempts")
	}
	fs := failures(t, db, summaryDay)
	if len(fs) != 1 || fs[0].TelegramID != other || fs[0].Attempts != postgres.MaxSummaryAttempts ||
		fs[0].LastError != "claim by bot-4 lapsed" {
		t.Fatalf("failures = %+v", fs)
	}
	// Its last sender got through after all: that is recorded.
	if err := db.MarkSummarySent(ctx, summaryDay, other, now); err != nil {
		t.Fatal(err)
	}
	if fs := failures(t, db, summaryDay); len(fs) != 0 {
		t.Fatalf("failures after sent: %+v", fs)
	}
}

func TestClaimSummaryRetries(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	const manager, other = 42, 43
	now := sendAt

	for i := 1; i <= postgres.MaxSummaryAttempts; i++ {
		if !claim(t, db, summaryDay, manager, "bot-a", now) {
			t.Fatalf("attempt %d not claimed", i)
		}
		// While it is being sent, nobody else.
		if claim(t, db, summaryDay, manager, "bot-b", now) {
			t.Fatalf("attempt %d claimed twice", i)
		}
		now = now.Add(time.Minute)
		if err := db.MarkSummaryFailed(ctx, summaryDay, manager, fmt.Sprintf("error %d", i), now); err != nil {
			t.Fatal(err)
		}
		// Reported twice, counted once.
		if err := db.MarkSummaryFailed(ctx, summaryDay, manager, "again", now); err != nil {
			t.Fatal(err)
		}
		want := []domain.SummaryFailure{{TelegramID: manager, Attempts: i, LastError: fmt.Sprintf("error %d", i)}}
		if fs := failures(t, db, summaryDay); !reflect.DeepEqual(fs, want) {
			t.Fatalf("after attempt %d: failures = %+v, want %+v", i, fs, want)
		}
	}
	// Failed for good.
	for _, later := range []time.Duration{0, 2 * lease, 48 * time.Hour} {
		if claim(t, db, summaryDay, manager, "bot-b", now.Add(later)) {
			t.Fatalf("claimed after %d failures", postgres.MaxSummaryAttempts)
		}
	}

	// One failure, then sent: no longer a failure. Long or odd error texts
	// are stored whole runes only and without NULs.
	if !claim(t, db, summaryDay, other, "bot-a", now) {
		t.Fatal("not claimed")
	}
	long := strings.Repeat("خطا", 1000) + "\x00\xff"
	if err := db.MarkSummaryFailed(ctx, summaryDay, other, long, now); err != nil {
		t.Fatal(err)
	}
	fs := failures(t, db, summaryDay)
	if len(fs) != 2 || fs[1].TelegramID != other || fs[1].Attempts != 1 ||
		len(fs[1].LastError) > 2000 || !strings.HasPrefix(long, fs[1].LastError) || len(fs[1].LastError) < 1990 {
		t.Fatalf("failures = %+v", fs)
	}
	if !claim(t, db, summaryDay, other, "bot-b", now) {
		t.Fatal("failed summary not retried")
	}
	if err := db.MarkSummarySent(ctx, summaryDay, other, now); err != nil {
		t.Fatal(err)
	}
	if fs := failures(t, db, summaryDay); len(fs) != 1 || fs[0].TelegramID != manager {
		t.Fatalf("failures = %+v", fs)
	}
	if fs := failures(t, db, summaryDay.AddDate(0, 0, 1)); len(fs) != 0 {
		t.Fatalf("failures of another day = %+v", fs)
	}
}

func TestManagers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	grant := func(id int64, r domain.Role) {
		t.Helper()
		if err := db.GrantRole(ctx, id, domain.Grant{Role: r}); err != nil {
			t.Fatal(err)
		}
	}
	grant(1, domain.RoleManager)
	grant(2, domain.RoleManager) // muted
	grant(3, domain.RoleManager) // blocked the bot
	grant(4, domain.RoleAdmin)
	grant(5, domain.RoleAdmin)
	grant(5, domain.RoleManager)
	if err := db.SetSummaryMuted(ctx, 2, true); err != nil {
		t.Fatal(err)
	}
	if err := db.SetActive(ctx, 3, false); err != nil {
		t.Fatal(err)
	}
	managers := func() []int64 {
		t.Helper()
		us, err := db.Managers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, u := range us {
			if !u.Has(domain.RoleManager) {
				t.Fatalf("user %d is no manager: %+v", u.ID, u)
			}
			ids = append(ids, u.ID)
		}
		return ids
	}
	if got := managers(); !reflect.DeepEqual(got, []int64{1, 5}) {
		t.Fatalf("managers = %v, want [1 5]", got)
	}
	us, _ := db.Managers(ctx)
	if len(us[1].Grants) != 2 || !us[1].Has(domain.RoleAdmin) {
		t.Fatalf("manager 5's grants = %+v", us[1].Grants)
	}
	for id, want := range map[int64]bool{1: false, 2: true} {
		if muted, err := db.SummaryMuted(ctx, id); err != nil || muted != want {
			t.Fatalf("SummaryMuted(%d) = %v, %v; want %v", id, muted, err, want)
		}
	}

	// Unmuted and back: listed again.
	if err := db.SetSummaryMuted(ctx, 2, false); err != nil {
		t.Fatal(err)
	}
	if err := db.SetActive(ctx, 3, true); err != nil {
		t.Fatal(err)
	}
	if got := managers(); !reflect.DeepEqual(got, []int64{1, 2, 3, 5}) {
		t.Fatalf("managers = %v, want [1 2 3 5]", got)
	}
	// Muting is kept when the role goes and comes back.
	if err := db.SetSummaryMuted(ctx, 1, true); err != nil {
		t.Fatal(err)
	}
	if err := db.RevokeRole(ctx, 1, domain.RoleManager); err != nil {
		t.Fatal(err)
	}
	grant(1, domain.RoleManager)
	if got := managers(); !reflect.DeepEqual(got, []int64{2, 3, 5}) {
		t.Fatalf("managers = %v, want [2 3 5]", got)
	}

	wantErr(t, db.SetSummaryMuted(ctx, 99, true), domain.KindNotFound, "user.notfound")
	_, err := db.SummaryMuted(ctx, 99)
	wantErr(t, err, domain.KindNotFound, "user.notfound")
}
