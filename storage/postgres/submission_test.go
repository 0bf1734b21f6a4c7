package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rasad-gov/rasad/domain"
	"github.com/rasad-gov/rasad/storage/postgres/postgrestest"
)

// A submit made again under the key it was first made with (the update
// redelivered after the process was killed, or delivered twice at once)
// returns what the first stored; another key, or none, is refused as
// before.

// rowCount runs a count(*) query on a connection of its own to url.
func rowCount(t *testing.T, url, sql string, args ...any) int {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// deliveredAtOnce runs submit n times at once, as deliveries of one update
// handled together by several processes, fails t unless every one
// succeeded, and returns what each returned.
func deliveredAtOnce[T any](t *testing.T, n int, submit func() (T, error)) []T {
	t.Helper()
	got := make([]T, n)
	errs := make([]error, n)
	race(n, func(i int) { got[i], errs[i] = submit() })
	for i, err := range errs {
		if err != nil {
			t.Fatalf("delivery %d of %d: %v", i, n, err)
		}
	}
	return got
}

// sameChanges fails unless got and want are the same audit rows.
func sameChanges(t *testing.T, got, want []domain.Change) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("changes = %+v\nwant %+v", got, want)
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.PlacementID != w.PlacementID || g.Field != w.Field || g.Old != w.Old || g.New != w.New ||
			g.By != w.By || !g.At.Equal(w.At) || g.Reason != w.Reason {
			t.Fatalf("change %d = %+v, want %+v", i, g, w)
		}
	}
}

func TestCreatePlacementSubmission(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, url := postgrestest.NewWithURL(t)
	a := mustAgency(t, db, "labour", "کار")
	b := mustAgency(t, db, "agri", "جهاد کشاورزی")
	ids := nationalIDs(t, 0, 5)
	rows := func(code domain.NationalID) int {
		return rowCount(t, url, `SELECT count(*) FROM placements WHERE national_id = $1`, string(code))
	}

	// The same submit twice: one record, and the repeat is told it is saved.
	in := placement(ids[0], a.ID)
	in.Submission = "101:s1"
	first := mustPlacement(t, db, in, t0)
	if first.Submission != in.Submission {
		t.Fatalf("Submission = %q, want %q", first.Submission, in.Submission)
	}
	again, err := db.CreatePlacement(ctx, in, t0.Add(time.Minute))
	if err != nil {
		t.Fatalf("repeated submit: %v", err)
	}
	samePlacement(t, again, first)
	if n := rows(ids[0]); n != 1 {
		t.Fatalf("%d rows for the code", n)
	}
	if cs := changes(t, db, first.ID); len(cs) != 1 || cs[0].Field != "created" {
		t.Fatalf("trail = %+v", cs)
	}
	got, err := db.PlacementBySubmission(ctx, in.Submission)
	if err != nil {
		t.Fatal(err)
	}
	samePlacement(t, got, first)

	// Another submit of the code, or one without a key: refused as before,
	// the agency's own record; another agency's attempt is kept, and only
	// that one.
	other := in
	other.Submission = "101:s2"
	_, err = db.CreatePlacement(ctx, other, t0)
	wantDuplicate(t, err, first, true)
	bare := in
	bare.Submission = ""
	_, err = db.CreatePlacement(ctx, bare, t0)
	wantDuplicate(t, err, first, true)
	theirs := placement(ids[0], b.ID)
	theirs.Submission = "102:s1"
	_, err = db.CreatePlacement(ctx, theirs, t0)
	wantDuplicate(t, err, first, false)
	if as := attempts(t, db); len(as) != 1 || as[0].AgencyID != b.ID {
		t.Fatalf("attempts = %+v", as)
	}

	// Without keys, as before.
	plain := mustPlacement(t, db, placement(ids[1], a.ID), t0)
	if plain.Submission != "" {
		t.Fatalf("Submission = %q", plain.Submission)
	}
	_, err = db.CreatePlacement(ctx, placement(ids[1], a.ID), t0)
	wantDuplicate(t, err, plain, true)
	for _, key := range []string{"", "101:none"} {
		_, err = db.PlacementBySubmission(ctx, key)
		wantErr(t, err, domain.KindNotFound, "placement.notfound")
	}

	// Withdrawn before the repeat came: the repeat finds the withdrawn
	// record and does not register the freed code again.
	w := placement(ids[2], a.ID)
	w.Submission = "101:s3"
	wp := mustPlacement(t, db, w, t0)
	withdrawn, err := db.WithdrawPlacement(ctx, wp.ID, a.ID, 7, "اشتباه", t0.Add(time.Hour), "")
	if err != nil {
		t.Fatal(err)
	}
	got, err = db.CreatePlacement(ctx, w, t0.Add(2*time.Hour))
	if err != nil {
		t.Fatalf("repeat after withdrawal: %v", err)
	}
	samePlacement(t, got, withdrawn)
	if n := rows(ids[2]); n != 1 {
		t.Fatalf("%d rows for the withdrawn code", n)
	}

	// Corrected into another code before the repeat came: the corrected
	// record, and the old code stays free.
	c := placement(ids[3], a.ID)
	c.Submission = "101:s4"
	cp := mustPlacement(t, db, c, t0)
	edit := cp
	edit.NationalID = ids[4]
	corrected, _, err := db.UpdatePlacement(ctx, edit, 7, t0.Add(time.Hour), "101:s5")
	if err != nil {
		t.Fatal(err)
	}
	got, err = db.CreatePlacement(ctx, c, t0.Add(2*time.Hour))
	if err != nil {
		t.Fatalf("repeat after correction: %v", err)
	}
	samePlacement(t, got, corrected)
	if n := rows(ids[3]); n != 0 {
		t.Fatalf("%d rows for the corrected-away code", n)
	}
	if as := attempts(t, db); len(as) != 1 {
		t.Fatalf("attempts = %+v", as)
	}
}

// Deliveries of one submit handled at once store one placement, and each is
// told it is saved.
func TestCreatePlacementSubmissionConcurrently(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, url := postgrestest.NewWithURL(t)
	a := mustAgency(t, db, "labour", "کار")
	const n = 8
	for round, code := range nationalIDs(t, 0, 3) {
		p := placement(code, a.ID)
		p.Submission = fmt.Sprintf("101:r%d", round)
		got := deliveredAtOnce(t, n, func() (domain.Placement, error) { return db.CreatePlacement(ctx, p, t0) })
		for _, g := range got {
			samePlacement(t, g, got[0])
		}
		if c := rowCount(t, url, `SELECT count(*) FROM placements WHERE national_id = $1`, string(code)); c != 1 {
			t.Fatalf("round %d: %d rows", round, c)
		}
	}
	if as := attempts(t, db); len(as) != 0 {
		t.Fatalf("attempts = %+v", as)
	}
}

// A repeat that meets its first delivery's insert not yet committed waits
// for it: it returns that record if it commits, and saves its own if it
// rolls back. The key decides, whether the code collides too or not.
func TestCreatePlacementSubmissionWaitsForUncommitted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, url := postgrestest.NewWithURL(t)
	a := mustAgency(t, db, "labour", "کار")
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)

	ids := nationalIDs(t, 0, 8)
	for i, tc := range []struct {
		commit   bool
		sameCode bool
	}{{true, true}, {true, false}, {false, true}, {false, false}} {
		key := fmt.Sprintf("101:u%d", i)
		code, theirCode := ids[2*i], ids[2*i]
		if !tc.sameCode {
			theirCode = ids[2*i+1]
		}
		tx, err := conn.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		firstID := insertUncommitted(t, tx, theirCode, a.ID, key)
		var r struct {
			p   domain.Placement
			err error
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			p := placement(code, a.ID)
			p.Submission = key
			r.p, r.err = db.CreatePlacement(ctx, p, t0)
		}()
		awaitLockWait(t, conn, done)
		if tc.commit {
			err = tx.Commit(ctx)
		} else {
			err = tx.Rollback(ctx)
		}
		if err != nil {
			t.Fatal(err)
		}
		<-done
		switch {
		case r.err != nil:
			t.Fatalf("case %+v: %v", tc, r.err)
		case tc.commit && r.p.ID != firstID:
			t.Fatalf("case %+v: returned %d, want the first delivery's %d", tc, r.p.ID, firstID)
		case !tc.commit && (r.p.ID == firstID || r.p.NationalID != code || r.p.Submission != key):
			t.Fatalf("case %+v: after rollback %+v", tc, r.p)
		}
	}
	if as := attempts(t, db); len(as) != 0 {
		t.Fatalf("attempts = %+v", as)
	}
}

func TestUpdatePlacementSubmission(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	a := mustAgency(t, db, "labour", "کار")
	b := mustAgency(t, db, "agri", "جهاد کشاورزی")
	p := mustPlacement(t, db, placement(nationalIDs(t, 0, 1)[0], a.ID), t0)
	const editor = 55
	t1 := t0.Add(time.Hour)

	edit := p
	edit.Activity, edit.BirthYear = "نانوایی", 1371
	first, cs, err := db.UpdatePlacement(ctx, edit, editor, t1, "101:e1")
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 {
		t.Fatalf("changes = %+v", cs)
	}
	trail := len(changes(t, db, p.ID))

	// The same submit again, later: nothing more changes, and it is
	// answered as the first time.
	again, cs2, err := db.UpdatePlacement(ctx, edit, editor, t1.Add(time.Minute), "101:e1")
	if err != nil {
		t.Fatalf("repeated correction: %v", err)
	}
	samePlacement(t, again, first)
	sameChanges(t, cs2, cs)
	if n := len(changes(t, db, p.ID)); n != trail {
		t.Fatalf("the repeat wrote %d audit rows", n-trail)
	}
	bySub, err := db.ChangesBySubmission(ctx, "101:e1")
	if err != nil {
		t.Fatal(err)
	}
	sameChanges(t, bySub, cs)

	// A later correction, then the first one's repeat: the later one stands.
	later := first
	later.Activity = "قنادی"
	latest, cs3, err := db.UpdatePlacement(ctx, later, editor, t1.Add(2*time.Minute), "101:e2")
	if err != nil || len(cs3) != 1 {
		t.Fatalf("later correction: %+v, %v", cs3, err)
	}
	again, cs2, err = db.UpdatePlacement(ctx, edit, editor, t1.Add(3*time.Minute), "101:e1")
	if err != nil {
		t.Fatal(err)
	}
	samePlacement(t, again, latest)
	sameChanges(t, cs2, cs)
	// Another submit with the first one's values is applied, as before.
	_, cs4, err := db.UpdatePlacement(ctx, edit, editor, t1.Add(4*time.Minute), "101:e3")
	if err != nil || len(cs4) != 1 || cs4[0].Field != "activity" || cs4[0].New != edit.Activity {
		t.Fatalf("another correction: %+v, %v", cs4, err)
	}

	// Without a key, as before: the repeat finds nothing left to change.
	plain := edit
	plain.BirthYear = 1372
	if _, cs, err := db.UpdatePlacement(ctx, plain, editor, t1.Add(5*time.Minute), ""); err != nil || len(cs) != 1 {
		t.Fatalf("unkeyed correction: %+v, %v", cs, err)
	}
	if _, cs, err := db.UpdatePlacement(ctx, plain, editor, t1.Add(6*time.Minute), ""); err != nil || len(cs) != 0 {
		t.Fatalf("unkeyed repeat: %+v, %v", cs, err)
	}
	for _, key := range []string{"", "101:none"} {
		if cs, err := db.ChangesBySubmission(ctx, key); err != nil || len(cs) != 0 {
			t.Fatalf("ChangesBySubmission(%q) = %+v, %v", key, cs, err)
		}
	}

	// Another agency, even under the key: forbidden.
	forged := edit
	forged.AgencyID = b.ID
	_, _, err = db.UpdatePlacement(ctx, forged, 66, t1, "101:e1")
	wantErr(t, err, domain.KindForbidden, "placement.agency")

	// Withdrawn since: the repeat is still answered; any other correction
	// is refused.
	withdrawn, err := db.WithdrawPlacement(ctx, p.ID, a.ID, editor, "x", t1.Add(7*time.Minute), "101:w")
	if err != nil {
		t.Fatal(err)
	}
	again, cs2, err = db.UpdatePlacement(ctx, edit, editor, t1.Add(8*time.Minute), "101:e1")
	if err != nil {
		t.Fatalf("repeat after withdrawal: %v", err)
	}
	samePlacement(t, again, withdrawn)
	sameChanges(t, cs2, cs)
	for _, key := range []string{"101:e4", ""} {
		_, _, err = db.UpdatePlacement(ctx, edit, editor, t1.Add(8*time.Minute), key)
		wantErr(t, err, domain.KindConflict, "placement.withdrawn")
	}
}

func TestUpdatePlacementSubmissionConcurrently(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	a := mustAgency(t, db, "labour", "کار")
	p := mustPlacement(t, db, placement(nationalIDs(t, 0, 1)[0], a.ID), t0)
	edit := p
	edit.Activity, edit.Employer = "نانوایی", "نان سنگک"
	got := deliveredAtOnce(t, 6, func() ([]domain.Change, error) {
		_, cs, err := db.UpdatePlacement(ctx, edit, 55, t0.Add(time.Minute), "101:e1")
		return cs, err
	})
	for _, cs := range got {
		if len(cs) != 2 {
			t.Fatalf("changes %+v", cs)
		}
		sameChanges(t, cs, got[0])
	}
	if trail := changes(t, db, p.ID); len(trail) != 3 {
		t.Fatalf("trail = %+v", trail)
	}
}

func TestWithdrawPlacementSubmission(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	a := mustAgency(t, db, "labour", "کار")
	b := mustAgency(t, db, "agri", "جهاد کشاورزی")
	ids := nationalIDs(t, 0, 2)
	p := mustPlacement(t, db, placement(ids[0], a.ID), t0)
	now := t0.Add(time.Hour)

	first, err := db.WithdrawPlacement(ctx, p.ID, a.ID, 7, "ثبت تکراری", now, "101:w1")
	if err != nil {
		t.Fatal(err)
	}
	again, err := db.WithdrawPlacement(ctx, p.ID, a.ID, 7, "ثبت تکراری", now.Add(time.Minute), "101:w1")
	if err != nil {
		t.Fatalf("repeated withdrawal: %v", err)
	}
	samePlacement(t, again, first)
	trail := changes(t, db, p.ID)
	if len(trail) != 2 {
		t.Fatalf("trail = %+v", trail)
	}
	bySub, err := db.ChangesBySubmission(ctx, "101:w1")
	if err != nil {
		t.Fatal(err)
	}
	sameChanges(t, bySub, trail[1:])
	if bySub[0].Field != "withdrawn" || bySub[0].Reason != "ثبت تکراری" {
		t.Fatalf("ChangesBySubmission = %+v", bySub)
	}

	// Another withdrawal, keyed or not, is refused as before; another
	// agency is forbidden whatever the key.
	for _, key := range []string{"101:w2", ""} {
		_, err = db.WithdrawPlacement(ctx, p.ID, a.ID, 8, "دوباره", now, key)
		wantErr(t, err, domain.KindConflict, "placement.withdrawn")
	}
	_, err = db.WithdrawPlacement(ctx, p.ID, b.ID, 66, "x", now, "101:w1")
	wantErr(t, err, domain.KindForbidden, "placement.agency")
	if n := len(changes(t, db, p.ID)); n != 2 {
		t.Fatalf("%d audit rows", n)
	}

	// One withdrawal delivered several times at once.
	q := mustPlacement(t, db, placement(ids[1], a.ID), t0)
	deliveredAtOnce(t, 5, func() (domain.Placement, error) {
		return db.WithdrawPlacement(ctx, q.ID, a.ID, 7, "x", now, "101:w3")
	})
	if trail := changes(t, db, q.ID); len(trail) != 2 {
		t.Fatalf("trail = %+v", trail)
	}
}

// wantRequest fails unless a submit returned want and no error.
func wantRequest(t *testing.T, what string, got domain.LiaisonRequest, err error, want domain.LiaisonRequest) {
	t.Helper()
	if err != nil || got != want {
		t.Fatalf("%s = %+v, %v; want %+v", what, got, err, want)
	}
}

func TestCreateLiaisonRequestSubmission(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, url := postgrestest.NewWithURL(t)
	a := mustAgency(t, db, "labour", "کار")
	rows := func(user int64) int {
		return rowCount(t, url, `SELECT count(*) FROM liaison_requests WHERE telegram_id = $1`, user)
	}

	in := request(10, a.ID)
	in.Submission = "10:l1"
	r, err := db.CreateLiaisonRequest(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if r.Submission != in.Submission {
		t.Fatalf("request = %+v", r)
	}
	again, err := db.CreateLiaisonRequest(ctx, in)
	wantRequest(t, "repeated submit", again, err, r)
	bySub, err := db.LiaisonRequestBySubmission(ctx, in.Submission)
	wantRequest(t, "LiaisonRequestBySubmission", bySub, err, r)
	// Another submit, keyed or not: pending, as before.
	for _, key := range []string{"10:l2", ""} {
		other := in
		other.Submission = key
		_, err = db.CreateLiaisonRequest(ctx, other)
		wantErr(t, err, domain.KindConflict, "liaison.pending")
	}
	if n := rows(10); n != 1 {
		t.Fatalf("%d requests", n)
	}

	// Decided before the repeat came: the repeat finds the decision.
	decided, err := db.DecideLiaisonRequest(ctx, r.ID, true, 1, t0)
	if err != nil {
		t.Fatal(err)
	}
	again, err = db.CreateLiaisonRequest(ctx, in)
	wantRequest(t, "repeat after decision", again, err, decided)
	if n := rows(10); n != 1 {
		t.Fatalf("%d requests", n)
	}

	for _, key := range []string{"", "10:none"} {
		_, err = db.LiaisonRequestBySubmission(ctx, key)
		wantErr(t, err, domain.KindNotFound, "liaison.notfound")
	}

	// Several deliveries at once: one request.
	in = request(20, a.ID)
	in.Submission = "20:l1"
	got := deliveredAtOnce(t, 6, func() (domain.LiaisonRequest, error) { return db.CreateLiaisonRequest(ctx, in) })
	for _, r := range got {
		if r != got[0] {
			t.Fatalf("%+v, want %+v", r, got[0])
		}
	}
	if n := rows(20); n != 1 {
		t.Fatalf("%d requests", n)
	}
}

func TestRedeemInviteSubmission(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, url := postgrestest.NewWithURL(t)
	a := mustAgency(t, db, "labour", "کار")
	inv := mustInvite(t, db, a.ID, 1, t0.Add(time.Hour))
	now := t0.Add(time.Minute)

	in := request(10, 0)
	in.Submission = "10:i1"
	r, err := db.RedeemInvite(ctx, inv.Code, in, now)
	if err != nil {
		t.Fatal(err)
	}
	if r.Submission != in.Submission || r.Status != domain.RequestApproved {
		t.Fatalf("request = %+v", r)
	}
	again, err := db.RedeemInvite(ctx, inv.Code, in, now.Add(time.Minute))
	wantRequest(t, "repeated submit", again, err, r)
	// Even once the invite has expired.
	again, err = db.RedeemInvite(ctx, inv.Code, in, inv.ExpiresAt.Add(time.Hour))
	wantRequest(t, "repeat after expiry", again, err, r)
	bySub, err := db.LiaisonRequestBySubmission(ctx, in.Submission)
	wantRequest(t, "LiaisonRequestBySubmission", bySub, err, r)
	// Another submit by them, keyed or not: used, with their request, as
	// before; someone else's: used.
	for _, key := range []string{"10:i2", ""} {
		other := in
		other.Submission = key
		got, err := db.RedeemInvite(ctx, inv.Code, other, now)
		wantErr(t, err, domain.KindConflict, "invite.used")
		if got != r {
			t.Fatalf("another submit returned %+v", got)
		}
	}
	stranger := request(11, 0)
	stranger.Submission = "11:i1"
	_, err = db.RedeemInvite(ctx, inv.Code, stranger, now)
	wantErr(t, err, domain.KindConflict, "invite.used")

	// Several deliveries at once: one redemption, each told it worked.
	inv2 := mustInvite(t, db, a.ID, 1, t0.Add(time.Hour))
	in = request(20, 0)
	in.Submission = "20:i1"
	got := deliveredAtOnce(t, 6, func() (domain.LiaisonRequest, error) { return db.RedeemInvite(ctx, inv2.Code, in, now) })
	for _, r := range got {
		if r != got[0] {
			t.Fatalf("%+v, want %+v", r, got[0])
		}
	}
	if c := rowCount(t, url, `SELECT count(*) FROM liaison_requests WHERE telegram_id = 20`); c != 1 {
		t.Fatalf("%d requests", c)
	}
}

func TestCreateStallRequestSubmission(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, url := postgrestest.NewWithURL(t)
	m := mustMarkets(t, db, market("a", 10))[0]
	nids := nationalIDs(t, 0, 2)
	rows := func(nid domain.NationalID) int {
		return rowCount(t, url, `SELECT count(*) FROM stall_requests WHERE national_id = $1`, string(nid))
	}
	now := t0.Add(time.Hour)

	in := stallRequest(nids[0], 501, m.ID)
	in.Submission = "501:s1"
	r, err := db.CreateStallRequest(ctx, in, now)
	if err != nil {
		t.Fatal(err)
	}
	if r.Submission != in.Submission {
		t.Fatalf("request = %+v", r)
	}
	again, err := db.CreateStallRequest(ctx, in, now.Add(time.Minute))
	if err != nil {
		t.Fatalf("repeated submit: %v", err)
	}
	sameStall(t, again, r)
	got, err := db.StallRequestBySubmission(ctx, in.Submission)
	if err != nil {
		t.Fatal(err)
	}
	sameStall(t, got, r)
	// Another submit, keyed or not: the open request, as before.
	for _, key := range []string{"501:s2", ""} {
		other := in
		other.Submission = key
		got, err := db.CreateStallRequest(ctx, other, now)
		wantErr(t, err, domain.KindConflict, "stall.open")
		sameStall(t, got, r)
	}
	if n := rows(nids[0]); n != 1 {
		t.Fatalf("%d requests", n)
	}

	// Cancelled before the repeat came: the repeat finds it cancelled and
	// opens none.
	cancelled, err := db.CancelStallRequest(ctx, r.ID, 501, now)
	if err != nil {
		t.Fatal(err)
	}
	again, err = db.CreateStallRequest(ctx, in, now.Add(2*time.Minute))
	if err != nil {
		t.Fatalf("repeat after cancelling: %v", err)
	}
	sameStall(t, again, cancelled)
	_, err = db.OpenStallRequest(ctx, year, nids[0])
	wantErr(t, err, domain.KindNotFound, "stall.notfound")
	// A new submit is a new request, as before.
	other := in
	other.Submission = "501:s3"
	if r2, err := db.CreateStallRequest(ctx, other, now); err != nil || r2.ID == r.ID {
		t.Fatalf("new submit = %+v, %v", r2, err)
	}
	if n := rows(nids[0]); n != 2 {
		t.Fatalf("%d requests", n)
	}
	for _, key := range []string{"", "501:none"} {
		_, err = db.StallRequestBySubmission(ctx, key)
		wantErr(t, err, domain.KindNotFound, "stall.notfound")
	}

	// Several deliveries at once: one request.
	in = stallRequest(nids[1], 600, m.ID)
	in.Submission = "600:s1"
	all := deliveredAtOnce(t, 8, func() (domain.StallRequest, error) { return db.CreateStallRequest(ctx, in, t0) })
	for _, r := range all {
		sameStall(t, r, all[0])
	}
	if n := rows(nids[1]); n != 1 {
		t.Fatalf("%d requests", n)
	}
}

func TestRespondToOfferSubmission(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	m := mustMarkets(t, db, market("a", 3))[0]
	rs := mustStalls(t, db, 4, m.ID)
	offer(t, db, m.ID, firstCome) // rs[0..2] stalls 1..3
	now := offeredAt.Add(time.Hour)

	// Accepted; the same press again is answered the same.
	accepted, err := db.RespondToOffer(ctx, rs[0].ID, rs[0].UserID, true, now, "cb1")
	if err != nil {
		t.Fatal(err)
	}
	again, err := db.RespondToOffer(ctx, rs[0].ID, rs[0].UserID, true, now.Add(time.Minute), "cb1")
	if err != nil {
		t.Fatalf("repeated accept: %v", err)
	}
	sameStall(t, again, accepted)
	// Another press, no key, or the other button under the key: a second
	// tap, as before.
	for _, press := range []struct {
		accept bool
		key    string
	}{{true, "cb2"}, {true, ""}, {false, "cb1"}} {
		got, err := db.RespondToOffer(ctx, rs[0].ID, rs[0].UserID, press.accept, now, press.key)
		wantErr(t, err, domain.KindConflict, "stall.notoffered")
		sameStall(t, got, accepted)
	}

	// Declined; the same press again still names the offer, so its stall
	// can be passed on, even once it has been.
	declined, err := db.RespondToOffer(ctx, rs[1].ID, rs[1].UserID, false, now, "cb3")
	if err != nil {
		t.Fatal(err)
	}
	if declined.State != domain.StallDeclined || declined.MarketID != m.ID || declined.Stall != 2 {
		t.Fatalf("declined = %+v", declined)
	}
	if out := offer(t, db, m.ID, firstCome); len(out) != 1 || out[0].ID != rs[3].ID || out[0].Stall != 2 {
		t.Fatalf("re-offered %+v", out)
	}
	again, err = db.RespondToOffer(ctx, rs[1].ID, rs[1].UserID, false, now.Add(time.Minute), "cb3")
	if err != nil {
		t.Fatalf("repeated decline: %v", err)
	}
	sameStall(t, again, declined)
	got, err := db.RespondToOffer(ctx, rs[1].ID, rs[1].UserID, false, now, "cb4")
	wantErr(t, err, domain.KindConflict, "stall.notoffered")
	if got.MarketID != 0 {
		t.Fatalf("a second tap names the offer: %+v", got)
	}

	// Found lapsed: the same press again is told so again.
	lapsed, err := db.RespondToOffer(ctx, rs[2].ID, rs[2].UserID, true, deadline, "cb5")
	wantErr(t, err, domain.KindConflict, "stall.expired")
	if lapsed.MarketID != m.ID || lapsed.Stall != 3 {
		t.Fatalf("lapsed = %+v", lapsed)
	}
	again, err = db.RespondToOffer(ctx, rs[2].ID, rs[2].UserID, true, deadline.Add(time.Minute), "cb5")
	wantErr(t, err, domain.KindConflict, "stall.expired")
	sameStall(t, again, lapsed)
	_, err = db.RespondToOffer(ctx, rs[2].ID, rs[2].UserID, true, deadline, "cb6")
	wantErr(t, err, domain.KindConflict, "stall.notoffered")

	// One press delivered several times at once.
	m2 := mustMarkets(t, db, market("b", 1))[0]
	r := mustStalls(t, db, 1, m2.ID)[0]
	offer(t, db, m2.ID, firstCome)
	all := deliveredAtOnce(t, 4, func() (domain.StallRequest, error) {
		return db.RespondToOffer(ctx, r.ID, r.UserID, false, now, "cb7")
	})
	for _, r := range all {
		sameStall(t, r, all[0])
	}
	if all[0].State != domain.StallDeclined || all[0].MarketID != m2.ID || all[0].Stall != 1 {
		t.Fatalf("declined = %+v", all[0])
	}
}
