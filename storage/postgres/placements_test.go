package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rasad-gov/rasad/domain"
	"github.com/rasad-gov/rasad/storage/postgres"
	"github.com/rasad-gov/rasad/storage/postgres/postgrestest"
)

// year is the program year of t0 (1 Farvardin 1405).
var year = cal.ProgramYear(t0)

// nationalIDs returns n distinct valid national codes, the k-th from the
// k-th nine-digit number the checksum rule accepts, starting after skip.
func nationalIDs(t testing.TB, skip, n int) []domain.NationalID {
	t.Helper()
	ids := make([]domain.NationalID, 0, n)
	for i := skip + 1; len(ids) < n; i++ {
		id, err := domain.CompleteNationalID(fmt.Sprintf("%09d", i))
		if err != nil {
			continue
		}
		ids = append(ids, id)
	}
	return ids
}

// placement is a valid registration of code by agencyID's liaison 100+agencyID.
func placement(code domain.NationalID, agencyID int64) domain.Placement {
	return domain.Placement{
		ProgramYear:   year,
		NationalID:    code,
		FullName:      "زهرا محمدی",
		Gender:        domain.GenderFemale,
		BirthYear:     1370,
		Mobile:        "+989121234567",
		Sector:        domain.SectorServices,
		Activity:      "خیاطی",
		Employer:      "کارگاه خانگی",
		Kind:          domain.KindHomeBusiness,
		Support:       domain.SupportFinancing,
		Funding:       domain.FundingQardHasan,
		FundingAmount: 500_000_000,
		County:        domain.TehranCounty,
		District:      12,
		Area:          domain.AreaUrban,
		StartDate:     cal.StartOfDay(t0),
		Insurance:     domain.InsuranceInsured,
		AgencyID:      agencyID,
		LiaisonID:     100 + agencyID,
	}
}

// utc puts p's times in one location so placements compare with ==.
func utc(p domain.Placement) domain.Placement {
	p.StartDate = p.StartDate.UTC()
	p.CreatedAt = p.CreatedAt.UTC()
	p.UpdatedAt = p.UpdatedAt.UTC()
	p.WithdrawnAt = p.WithdrawnAt.UTC()
	return p
}

func samePlacement(t *testing.T, got, want domain.Placement) {
	t.Helper()
	if utc(got) != utc(want) {
		t.Fatalf("placement =\n%+v\nwant\n%+v", got, want)
	}
}

func mustPlacement(t *testing.T, db *postgres.DB, p domain.Placement, now time.Time) domain.Placement {
	t.Helper()
	got, err := db.CreatePlacement(context.Background(), p, now)
	if err != nil {
		t.Fatalf("CreatePlacement(%s): %v", p.NationalID, err)
	}
	return got
}

// wantDuplicate fails unless err is a duplicate of holder, as seen by an
// agency that is or is not holder's.
func wantDuplicate(t *testing.T, err error, holder domain.Placement, sameAgency bool) {
	t.Helper()
	wantErr(t, err, domain.KindConflict, domain.ErrDuplicate)
	d, ok := domain.AsDuplicate(err)
	if !ok {
		t.Fatalf("error %v carries no duplicate", err)
	}
	if d.SameAgency != sameAgency {
		t.Fatalf("SameAgency = %v, want %v", d.SameAgency, sameAgency)
	}
	samePlacement(t, d.Existing, holder)
}

func attempts(t *testing.T, db *postgres.DB) []domain.DuplicateAttempt {
	t.Helper()
	as, err := db.DuplicateAttempts(context.Background(), t0.Add(-24*time.Hour), t0.Add(365*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return as
}

func changes(t *testing.T, db *postgres.DB, id int64) []domain.Change {
	t.Helper()
	cs, err := db.PlacementChanges(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func TestCreatePlacement(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	a := mustAgency(t, db, "labour", "کار")
	ids := nationalIDs(t, 0, 3)
	now := t0.Add(time.Hour)

	// Every field set.
	in := placement(ids[0], a.ID)
	in.Verification = domain.VerifyConfirmed
	p := mustPlacement(t, db, in, now)
	want := in
	want.ID, want.CreatedAt, want.UpdatedAt = p.ID, now, now
	if p.ID == 0 {
		t.Fatal("no id")
	}
	samePlacement(t, p, want)
	got, err := db.Placement(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	samePlacement(t, got, want)
	if got.StartDate.Location() != domain.Tehran() {
		t.Fatalf("StartDate = %v, want midnight Tehran", got.StartDate)
	}
	got, err = db.PlacementByNationalID(ctx, year, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	samePlacement(t, got, want)

	// Optional fields empty; the start date given as a UTC instant is its
	// Tehran day; verification defaults to pending.
	in = placement(ids[1], a.ID)
	in.Mobile, in.District, in.County, in.Area = "", 0, "varamin", domain.AreaRural
	in.Funding, in.FundingAmount = domain.FundingNone, 0
	in.LiaisonID = 0
	startUTC := cal.StartOfDay(t0).AddDate(0, 0, -3).UTC() // 20:30 UTC the day before
	in.StartDate = startUTC
	p = mustPlacement(t, db, in, now)
	want = in
	want.ID, want.CreatedAt, want.UpdatedAt, want.Verification = p.ID, now, now, domain.VerifyNotSampled
	got, err = db.Placement(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	samePlacement(t, got, want)
	if y, m, d := got.StartDate.Date(); got.StartDate.Location() != domain.Tehran() || y != 2026 || m != 3 || d != 18 {
		t.Fatalf("StartDate = %v, want 2026-03-18 Tehran", got.StartDate)
	}

	// The audit trail starts with "created".
	cs := changes(t, db, p.ID)
	if len(cs) != 1 || cs[0].Field != "created" || cs[0].PlacementID != p.ID || cs[0].By != 0 || !cs[0].At.Equal(now) {
		t.Fatalf("changes = %+v", cs)
	}

	// Not found.
	_, err = db.Placement(ctx, p.ID+100)
	wantErr(t, err, domain.KindNotFound, "placement.notfound")
	_, err = db.PlacementByNationalID(ctx, year, ids[2])
	wantErr(t, err, domain.KindNotFound, "placement.notfound")
	_, err = db.PlacementByNationalID(ctx, year+1, ids[0])
	wantErr(t, err, domain.KindNotFound, "placement.notfound")

	// Caller mistakes.
	noYear := placement(ids[2], a.ID)
	noYear.ProgramYear = 0
	if _, err := db.CreatePlacement(ctx, noYear, now); err == nil || domain.KindOf(err) != domain.KindInternal {
		t.Fatalf("CreatePlacement without a program year: %v", err)
	}
	_, err = db.CreatePlacement(ctx, placement(ids[2], a.ID+100), now)
	wantErr(t, err, domain.KindNotFound, "agency.notfound")
	// The table refuses what Check would have.
	bad := placement(ids[2], a.ID)
	bad.Funding = domain.FundingNone
	if _, err := db.CreatePlacement(ctx, bad, now); err == nil {
		t.Fatal("unfunded placement with an amount stored")
	}
	if _, err := db.PlacementByNationalID(ctx, year, ids[2]); !domain.IsKind(err, domain.KindNotFound) {
		t.Fatalf("a refused placement was stored: %v", err)
	}
}

func TestCreatePlacementDuplicate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	a := mustAgency(t, db, "labour", "کار")
	b := mustAgency(t, db, "agri", "جهاد کشاورزی")
	code := nationalIDs(t, 0, 1)[0]
	holder := mustPlacement(t, db, placement(code, a.ID), t0)

	// The same agency again: offered its own record, nothing kept.
	_, err := db.CreatePlacement(ctx, placement(code, a.ID), t0.Add(time.Minute))
	wantDuplicate(t, err, holder, true)
	if as := attempts(t, db); len(as) != 0 {
		t.Fatalf("attempts after a same-agency duplicate = %+v", as)
	}

	// Another agency: told who holds it; the attempt is kept.
	tried := t0.Add(2 * time.Minute)
	other := placement(code, b.ID)
	other.FullName = "نام دیگر"
	_, err = db.CreatePlacement(ctx, other, tried)
	wantDuplicate(t, err, holder, false)
	want := domain.DuplicateAttempt{NationalID: code, ProgramYear: year, AgencyID: b.ID, LiaisonID: other.LiaisonID,
		HolderID: holder.ID, At: tried}
	as := attempts(t, db)
	if len(as) != 1 || !sameAttempt(as[0], want) {
		t.Fatalf("attempts = %+v, want %+v", as, want)
	}
	// DuplicateAttempts is a half-open range.
	if as, err := db.DuplicateAttempts(ctx, tried, tried.Add(time.Second)); err != nil || len(as) != 1 {
		t.Fatalf("DuplicateAttempts(from tried) = %+v, %v", as, err)
	}
	if as, err := db.DuplicateAttempts(ctx, t0, tried); err != nil || len(as) != 0 {
		t.Fatalf("DuplicateAttempts(to tried) = %+v, %v", as, err)
	}

	// Only the holder was stored.
	for _, ag := range []domain.Agency{a, b} {
		if _, n, err := db.AgencyPlacements(ctx, ag.ID, 10, 0); err != nil || n != map[int64]int{a.ID: 1, b.ID: 0}[ag.ID] {
			t.Fatalf("AgencyPlacements(%s) total = %d, %v", ag.Code, n, err)
		}
	}
}

func sameAttempt(got, want domain.DuplicateAttempt) bool {
	at := got.At.Equal(want.At)
	got.At, want.At = time.Time{}, time.Time{}
	return at && got == want
}

func TestPlacementCodeFreedByWithdrawalAndNewYear(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	a := mustAgency(t, db, "labour", "کار")
	b := mustAgency(t, db, "agri", "جهاد کشاورزی")
	code := nationalIDs(t, 0, 1)[0]

	first := mustPlacement(t, db, placement(code, a.ID), t0)
	if _, err := db.WithdrawPlacement(ctx, first.ID, a.ID, 7, "ثبت اشتباه", t0.Add(time.Hour), ""); err != nil {
		t.Fatal(err)
	}
	// Withdrawn: another agency may place the person this year.
	second := mustPlacement(t, db, placement(code, b.ID), t0.Add(2*time.Hour))
	if got, err := db.PlacementByNationalID(ctx, year, code); err != nil || got.ID != second.ID {
		t.Fatalf("PlacementByNationalID = %+v, %v; want the second", got, err)
	}
	// The withdrawn record is still there.
	if got, err := db.Placement(ctx, first.ID); err != nil || !got.Withdrawn() {
		t.Fatalf("first = %+v, %v", got, err)
	}

	// Next year counts again.
	next := placement(code, a.ID)
	next.ProgramYear = year + 1
	third := mustPlacement(t, db, next, t0.AddDate(1, 0, 0))
	if got, err := db.PlacementByNationalID(ctx, year+1, code); err != nil || got.ID != third.ID {
		t.Fatalf("PlacementByNationalID(next year) = %+v, %v", got, err)
	}
	if as := attempts(t, db); len(as) != 0 {
		t.Fatalf("attempts = %+v", as)
	}
}

// Fifty liaisons of fifty agencies confirm the same person at the same
// instant: one placement, forty-nine refusals naming it, forty-nine attempts.
func TestCreatePlacementRace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	const n = 50
	agencies := make([]domain.Agency, n)
	for i := range agencies {
		agencies[i] = mustAgency(t, db, fmt.Sprintf("a%02d", i), fmt.Sprintf("دستگاه %d", i))
	}
	code := nationalIDs(t, 0, 1)[0]

	saved := make([]domain.Placement, n)
	errs := make([]error, n)
	race(n, func(i int) {
		saved[i], errs[i] = db.CreatePlacement(ctx, placement(code, agencies[i].ID), t0)
	})

	var winner domain.Placement
	for i, err := range errs {
		if err == nil {
			if winner.ID != 0 {
				t.Fatalf("two placements: %d and %d", winner.ID, saved[i].ID)
			}
			winner = saved[i]
		}
	}
	if winner.ID == 0 {
		t.Fatalf("no placement; errors: %v", errs)
	}
	for _, err := range errs {
		if err != nil {
			wantDuplicate(t, err, winner, false)
		}
	}
	as := attempts(t, db)
	if len(as) != n-1 {
		t.Fatalf("%d attempts, want %d", len(as), n-1)
	}
	tried := map[int64]bool{}
	for _, a := range as {
		if a.HolderID != winner.ID || a.NationalID != code || a.AgencyID == winner.AgencyID || tried[a.AgencyID] {
			t.Fatalf("attempt %+v (holder %d of agency %d)", a, winner.ID, winner.AgencyID)
		}
		tried[a.AgencyID] = true
	}
	if got, err := db.PlacementByNationalID(ctx, year, code); err != nil || got.ID != winner.ID {
		t.Fatalf("PlacementByNationalID = %+v, %v", got, err)
	}
}

// insertUncommitted inserts a placement of code for agencyID, under
// submission key ("" for none), in tx: another replica's registration, not
// yet committed. It returns its id.
func insertUncommitted(t *testing.T, tx pgx.Tx, code domain.NationalID, agencyID int64, key string) int64 {
	t.Helper()
	var id int64
	err := tx.QueryRow(context.Background(), `
		INSERT INTO placements (program_year, national_id, full_name, gender, birth_year, sector, activity,
			employer, kind, support, funding, county, area, start_date, agency_id, submission)
		VALUES ($1, $2, 'x', 'male', 1370, 'industry', 'x', 'x', 'other', 'training', 'none', 'rey', 'rural',
			'2026-03-21', $3, NULLIF($4, ''))
		RETURNING id`, year, string(code), agencyID, key).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// awaitLockWait returns once a session of conn's database waits for a
// lock, and fails t if done is closed first (the call under test did not
// wait) or nothing waits within ten seconds.
func awaitLockWait(t *testing.T, conn *pgx.Conn, done <-chan struct{}) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; {
		var waiting int
		err := conn.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting)
		if err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			return
		}
		select {
		case <-done:
			t.Fatal("returned without waiting")
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("never waited")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A registration that meets another one of the same code not yet committed
// waits for it: refused if it commits, saved if it rolls back.
func TestCreatePlacementWaitsForUncommitted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, url := postgrestest.NewWithURL(t)
	a := mustAgency(t, db, "labour", "کار")
	b := mustAgency(t, db, "agri", "جهاد کشاورزی")
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)

	for i, commit := range []bool{false, true} {
		code := nationalIDs(t, 100*i, 1)[0]
		// Another replica's transaction has inserted the code, not committed.
		tx, err := conn.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		otherID := insertUncommitted(t, tx, code, a.ID, "")
		var r struct {
			p   domain.Placement
			err error
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			r.p, r.err = db.CreatePlacement(ctx, placement(code, b.ID), t0)
		}()
		// Wait until the registration waits on the other transaction.
		awaitLockWait(t, conn, done)
		if commit {
			err = tx.Commit(ctx)
		} else {
			err = tx.Rollback(ctx)
		}
		if err != nil {
			t.Fatal(err)
		}
		<-done
		if !commit {
			if r.err != nil || r.p.AgencyID != b.ID {
				t.Fatalf("after rollback: %+v, %v", r.p, r.err)
			}
			continue
		}
		d, ok := domain.AsDuplicate(r.err)
		if !ok || d.Existing.ID != otherID || d.SameAgency {
			t.Fatalf("after commit: %+v, %v", r.p, r.err)
		}
		if as := attempts(t, db); len(as) != 1 || as[0].HolderID != otherID {
			t.Fatalf("attempts = %+v", as)
		}
	}
}

func TestUpdatePlacement(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	a := mustAgency(t, db, "labour", "کار")
	b := mustAgency(t, db, "agri", "جهاد کشاورزی")
	ids := nationalIDs(t, 0, 4)
	p := mustPlacement(t, db, placement(ids[0], a.ID), t0)
	ownOther := mustPlacement(t, db, placement(ids[1], a.ID), t0)
	theirs := mustPlacement(t, db, placement(ids[2], b.ID), t0)
	const editor = 55

	// Nothing changed: the stored record, no changes, no audit rows.
	got, cs, err := db.UpdatePlacement(ctx, p, editor, t0.Add(time.Minute), "")
	if err != nil || cs != nil {
		t.Fatalf("UpdatePlacement(unchanged) = %v, %v", cs, err)
	}
	samePlacement(t, got, p)

	// Several fields corrected, the national code among them.
	now := t0.Add(time.Hour)
	edit := p
	edit.NationalID = ids[3]
	edit.FullName = "زهرا محمدی‌نیا"
	edit.BirthYear = 1371
	edit.Mobile = ""
	edit.Funding, edit.FundingAmount = domain.FundingNone, 0
	edit.County, edit.District, edit.Area = "rey", 0, domain.AreaRural
	edit.StartDate = cal.StartOfDay(t0).AddDate(0, 0, -10)
	// Not editable: ignored.
	edit.ProgramYear, edit.LiaisonID, edit.Verification, edit.CreatedAt = year+5, 999, domain.VerifyRejected, now
	got, cs, err = db.UpdatePlacement(ctx, edit, editor, now, "")
	if err != nil {
		t.Fatal(err)
	}
	want := edit
	want.ProgramYear, want.LiaisonID, want.Verification, want.CreatedAt, want.UpdatedAt = p.ProgramYear, p.LiaisonID, p.Verification, p.CreatedAt, now
	samePlacement(t, got, want)
	if stored, err := db.Placement(ctx, p.ID); err != nil {
		t.Fatal(err)
	} else {
		samePlacement(t, stored, want)
	}
	wantChanges := [][3]string{
		{"national_id", string(ids[0]), string(ids[3])},
		{"full_name", "زهرا محمدی", "زهرا محمدی‌نیا"},
		{"birth_year", "1370", "1371"},
		{"mobile", "+989121234567", ""},
		{"funding", "qard_hasan", "none"},
		{"funding_amount", "500000000", "0"},
		{"county", "tehran", "rey"},
		{"area", "urban", "rural"},
		{"district", "12", ""},
		{"start_date", "2026-03-21", "2026-03-11"},
	}
	checkChanges := func(cs []domain.Change) {
		t.Helper()
		if len(cs) != len(wantChanges) {
			t.Fatalf("changes = %+v, want %v", cs, wantChanges)
		}
		for i, c := range cs {
			if [3]string{c.Field, c.Old, c.New} != wantChanges[i] || c.PlacementID != p.ID || c.By != editor || !c.At.Equal(now) {
				t.Fatalf("change %d = %+v, want %v", i, c, wantChanges[i])
			}
		}
	}
	checkChanges(cs)
	trail := changes(t, db, p.ID)
	if len(trail) == 0 || trail[0].Field != "created" {
		t.Fatalf("trail = %+v", trail)
	}
	checkChanges(trail[1:])
	// The old code is free, the new one held.
	if _, err := db.PlacementByNationalID(ctx, year, ids[0]); !domain.IsKind(err, domain.KindNotFound) {
		t.Fatalf("old code still held: %v", err)
	}

	// Into a code the agency's own other record holds: refused, no attempt.
	before, _ := db.Placement(ctx, p.ID)
	clash := before
	clash.NationalID, clash.FullName = ownOther.NationalID, "نام تازه"
	_, _, err = db.UpdatePlacement(ctx, clash, editor, now.Add(time.Minute), "")
	wantDuplicate(t, err, ownOther, true)
	if as := attempts(t, db); len(as) != 0 {
		t.Fatalf("attempts = %+v", as)
	}
	// Into another agency's code: refused, the attempt kept, nothing changed.
	clash.NationalID = theirs.NationalID
	_, _, err = db.UpdatePlacement(ctx, clash, editor, now.Add(2*time.Minute), "")
	wantDuplicate(t, err, theirs, false)
	as := attempts(t, db)
	wantAttempt := domain.DuplicateAttempt{NationalID: theirs.NationalID, ProgramYear: year, AgencyID: a.ID,
		LiaisonID: editor, HolderID: theirs.ID, At: now.Add(2 * time.Minute)}
	if len(as) != 1 || !sameAttempt(as[0], wantAttempt) {
		t.Fatalf("attempts = %+v, want %+v", as, wantAttempt)
	}
	after, _ := db.Placement(ctx, p.ID)
	samePlacement(t, after, before)
	if got := changes(t, db, p.ID); len(got) != len(trail) {
		t.Fatalf("a refused correction left audit rows: %+v", got[len(trail):])
	}

	// Another agency may not correct it.
	forged := before
	forged.AgencyID, forged.FullName = b.ID, "دستکاری"
	_, _, err = db.UpdatePlacement(ctx, forged, 66, now, "")
	wantErr(t, err, domain.KindForbidden, "placement.agency")
	// Nor anyone a record that does not exist, or is withdrawn.
	missing := before
	missing.ID += 100
	_, _, err = db.UpdatePlacement(ctx, missing, editor, now, "")
	wantErr(t, err, domain.KindNotFound, "placement.notfound")
	if _, err := db.WithdrawPlacement(ctx, p.ID, a.ID, editor, "تکراری", now, ""); err != nil {
		t.Fatal(err)
	}
	_, _, err = db.UpdatePlacement(ctx, clash, editor, now, "")
	wantErr(t, err, domain.KindConflict, "placement.withdrawn")
}

// Corrections of one record at once are applied one after the other, each
// recorded against what the one before left.
func TestUpdatePlacementConcurrent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	a := mustAgency(t, db, "labour", "کار")
	p := mustPlacement(t, db, placement(nationalIDs(t, 0, 1)[0], a.ID), t0)
	const n = 10
	errs := make([]error, n)
	race(n, func(i int) {
		edit := p
		edit.BirthYear = 1350 + i
		_, _, errs[i] = db.UpdatePlacement(ctx, edit, int64(i), t0.Add(time.Minute), "")
	})
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	trail := changes(t, db, p.ID)[1:]
	prev := "1370"
	for _, c := range trail {
		if c.Field != "birth_year" || c.Old != prev {
			t.Fatalf("trail = %+v", trail)
		}
		prev = c.New
	}
	if got, _ := db.Placement(ctx, p.ID); fmt.Sprint(got.BirthYear) != prev {
		t.Fatalf("birth year %d, trail ends at %s", got.BirthYear, prev)
	}
}

func TestWithdrawPlacement(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	a := mustAgency(t, db, "labour", "کار")
	b := mustAgency(t, db, "agri", "جهاد کشاورزی")
	p := mustPlacement(t, db, placement(nationalIDs(t, 0, 1)[0], a.ID), t0)
	now := t0.Add(time.Hour)

	_, err := db.WithdrawPlacement(ctx, p.ID, b.ID, 66, "x", now, "")
	wantErr(t, err, domain.KindForbidden, "placement.agency")
	_, err = db.WithdrawPlacement(ctx, p.ID+100, a.ID, 7, "x", now, "")
	wantErr(t, err, domain.KindNotFound, "placement.notfound")

	got, err := db.WithdrawPlacement(ctx, p.ID, a.ID, 7, "ثبت تکراری", now, "")
	if err != nil {
		t.Fatal(err)
	}
	want := p
	want.WithdrawnAt, want.WithdrawnBy, want.WithdrawReason, want.UpdatedAt = now, 7, "ثبت تکراری", now
	samePlacement(t, got, want)
	if stored, _ := db.Placement(ctx, p.ID); utc(stored) != utc(want) {
		t.Fatalf("stored = %+v", stored)
	}
	trail := changes(t, db, p.ID)
	if len(trail) != 2 || trail[1].Field != "withdrawn" || trail[1].Reason != "ثبت تکراری" || trail[1].By != 7 || !trail[1].At.Equal(now) {
		t.Fatalf("trail = %+v", trail)
	}

	// Twice: refused, nothing changed.
	_, err = db.WithdrawPlacement(ctx, p.ID, a.ID, 8, "دوباره", now.Add(time.Hour), "")
	wantErr(t, err, domain.KindConflict, "placement.withdrawn")
	if stored, _ := db.Placement(ctx, p.ID); utc(stored) != utc(want) {
		t.Fatalf("stored after second withdrawal = %+v", stored)
	}
	if ps, n, err := db.AgencyPlacements(ctx, a.ID, 10, 0); err != nil || n != 0 || len(ps) != 0 {
		t.Fatalf("AgencyPlacements = %v, %d, %v", ps, n, err)
	}

	// Two taps at once: one withdrawal.
	q := mustPlacement(t, db, placement(nationalIDs(t, 10, 1)[0], a.ID), t0)
	errs := make([]error, 5)
	race(len(errs), func(i int) { _, errs[i] = db.WithdrawPlacement(ctx, q.ID, a.ID, 7, "x", now, "") })
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else {
			wantErr(t, err, domain.KindConflict, "placement.withdrawn")
		}
	}
	if ok != 1 || len(changes(t, db, q.ID)) != 2 {
		t.Fatalf("%d withdrawals succeeded; trail %+v", ok, changes(t, db, q.ID))
	}
}

func TestAgencyPlacements(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	a := mustAgency(t, db, "labour", "کار")
	b := mustAgency(t, db, "agri", "جهاد کشاورزی")
	ids := nationalIDs(t, 0, 28)
	var mine []domain.Placement
	for i, id := range ids[:25] {
		mine = append(mine, mustPlacement(t, db, placement(id, a.ID), t0.Add(time.Duration(i)*time.Minute)))
	}
	mustPlacement(t, db, placement(ids[25], b.ID), t0)
	// Withdrawn records are left out.
	w := mustPlacement(t, db, placement(ids[26], a.ID), t0.Add(time.Hour))
	if _, err := db.WithdrawPlacement(ctx, w.ID, a.ID, 1, "x", t0.Add(time.Hour), ""); err != nil {
		t.Fatal(err)
	}
	slices.Reverse(mine) // newest first

	var all []domain.Placement
	for _, page := range []struct{ offset, size int }{{0, 10}, {10, 10}, {20, 5}} {
		ps, total, err := db.AgencyPlacements(ctx, a.ID, 10, page.offset)
		if err != nil {
			t.Fatal(err)
		}
		if total != 25 || len(ps) != page.size {
			t.Fatalf("page at %d: %d rows, total %d", page.offset, len(ps), total)
		}
		all = append(all, ps...)
	}
	for i := range mine {
		samePlacement(t, all[i], mine[i])
	}
	// Past the end: no rows, the total still right.
	if ps, total, err := db.AgencyPlacements(ctx, a.ID, 10, 30); err != nil || len(ps) != 0 || total != 25 {
		t.Fatalf("past the end: %d rows, total %d, %v", len(ps), total, err)
	}
	// No limit.
	if ps, total, err := db.AgencyPlacements(ctx, a.ID, 0, 0); err != nil || len(ps) != 25 || total != 25 {
		t.Fatalf("no limit: %d rows, total %d, %v", len(ps), total, err)
	}
	// An agency with none.
	c := mustAgency(t, db, "none", "هیچ")
	if ps, total, err := db.AgencyPlacements(ctx, c.ID, 10, 0); err != nil || len(ps) != 0 || total != 0 {
		t.Fatalf("empty agency: %v, %d, %v", ps, total, err)
	}
}

func TestBulkCreatePlacements(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	a := mustAgency(t, db, "labour", "کار")
	b := mustAgency(t, db, "agri", "جهاد کشاورزی")
	const n = 1000
	ids := nationalIDs(t, 0, n)

	// Every 25th code already placed by the importing agency, every 20th
	// (not 25th) by another.
	held := map[int]domain.Placement{}
	for i, id := range ids {
		switch {
		case i%25 == 0:
			held[i] = mustPlacement(t, db, placement(id, a.ID), t0)
		case i%20 == 0:
			held[i] = mustPlacement(t, db, placement(id, b.ID), t0)
		}
	}
	ps := make([]domain.Placement, n)
	for i, id := range ids {
		ps[i] = placement(id, a.ID)
		ps[i].FullName = fmt.Sprintf("شخص %d", i)
		if i%2 == 0 {
			ps[i].Mobile, ps[i].District, ps[i].County, ps[i].Area = "", 0, "pardis", domain.AreaRural
		}
	}
	now := t0.Add(time.Hour)
	out, err := db.BulkCreatePlacements(ctx, ps, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != n {
		t.Fatalf("%d outcomes, want %d", len(out), n)
	}
	savedIDs := map[int64]bool{}
	var others int
	for i, o := range out {
		if h, ok := held[i]; ok {
			if o.Duplicate == nil || o.Saved.ID != 0 {
				t.Fatalf("row %d: %+v, want a duplicate", i, o)
			}
			if o.Duplicate.SameAgency != (h.AgencyID == a.ID) {
				t.Fatalf("row %d: SameAgency = %v", i, o.Duplicate.SameAgency)
			}
			samePlacement(t, o.Duplicate.Existing, h)
			if !o.Duplicate.SameAgency {
				others++
			}
			continue
		}
		if o.Duplicate != nil || o.Saved.ID == 0 || savedIDs[o.Saved.ID] {
			t.Fatalf("row %d: %+v, want saved", i, o)
		}
		savedIDs[o.Saved.ID] = true
		want := ps[i]
		want.ID, want.CreatedAt, want.UpdatedAt, want.Verification = o.Saved.ID, now, now, domain.VerifyNotSampled
		samePlacement(t, o.Saved, want)
	}
	if others != 40 || len(savedIDs) != n-len(held) {
		t.Fatalf("%d refused for another agency, %d saved", others, len(savedIDs))
	}

	// Stored as reported.
	for _, i := range []int{1, 2, 999} {
		got, err := db.Placement(ctx, out[i].Saved.ID)
		if err != nil {
			t.Fatal(err)
		}
		samePlacement(t, got, out[i].Saved)
		if cs := changes(t, db, got.ID); len(cs) != 1 || cs[0].Field != "created" || cs[0].By != ps[i].LiaisonID || !cs[0].At.Equal(now) {
			t.Fatalf("trail of row %d = %+v", i, cs)
		}
	}
	if _, total, err := db.AgencyPlacements(ctx, a.ID, 1, 0); err != nil || total != n-others {
		t.Fatalf("agency total = %d, %v; want %d", total, err, n-others)
	}

	// One attempt per row refused for another agency's record.
	as := attempts(t, db)
	if len(as) != others {
		t.Fatalf("%d attempts, want %d", len(as), others)
	}
	for _, at := range as {
		i := slices.Index(ids, at.NationalID)
		want := domain.DuplicateAttempt{NationalID: ids[i], ProgramYear: year, AgencyID: a.ID,
			LiaisonID: ps[i].LiaisonID, HolderID: held[i].ID, At: now}
		if !sameAttempt(at, want) {
			t.Fatalf("attempt %+v, want %+v", at, want)
		}
	}

	// A code repeated in the input is saved once, from its first row; the
	// repeat is the agency's own duplicate. An empty input does nothing.
	more := nationalIDs(t, 5000, 2)
	first, repeat := placement(more[0], a.ID), placement(more[0], a.ID)
	first.FullName, repeat.FullName = "اول", "دوم"
	out, err = db.BulkCreatePlacements(ctx, []domain.Placement{placement(more[1], b.ID), first, repeat}, now)
	if err != nil {
		t.Fatal(err)
	}
	if out[0].Saved.ID == 0 || out[1].Saved.ID == 0 || out[1].Saved.FullName != "اول" || out[2].Duplicate == nil ||
		!out[2].Duplicate.SameAgency || out[2].Duplicate.Existing.ID != out[1].Saved.ID {
		t.Fatalf("outcomes = %+v", out)
	}
	if out, err := db.BulkCreatePlacements(ctx, nil, now); err != nil || len(out) != 0 {
		t.Fatalf("empty = %v, %v", out, err)
	}

	// A bad row fails the whole import.
	bad := []domain.Placement{placement(nationalIDs(t, 6000, 1)[0], a.ID), placement(nationalIDs(t, 6100, 1)[0], a.ID+100)}
	_, err = db.BulkCreatePlacements(ctx, bad, now)
	wantErr(t, err, domain.KindNotFound, "agency.notfound")
	if _, err := db.PlacementByNationalID(ctx, year, bad[0].NationalID); !domain.IsKind(err, domain.KindNotFound) {
		t.Fatalf("a failed import stored a row: %v", err)
	}
	bad[1].AgencyID, bad[1].ProgramYear = a.ID, 0
	if _, err := db.BulkCreatePlacements(ctx, bad, now); err == nil {
		t.Fatal("import without a program year succeeded")
	}
}

// Imports and single registrations racing over the same codes still leave
// one placement per code, and every refusal names it.
func TestBulkCreatePlacementsRace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	a := mustAgency(t, db, "labour", "کار")
	b := mustAgency(t, db, "agri", "جهاد کشاورزی")
	c := mustAgency(t, db, "tourism", "میراث فرهنگی")
	ids := nationalIDs(t, 0, 300)

	// Agency a imports all 300 in order, b imports them in reverse, and
	// c's liaisons register every 10th one by one.
	fwd := make([]domain.Placement, len(ids))
	rev := make([]domain.Placement, len(ids))
	for i, id := range ids {
		fwd[i] = placement(id, a.ID)
		rev[len(ids)-1-i] = placement(id, b.ID)
	}
	var (
		outA, outB []domain.RowOutcome
		errA, errB error
		singles    = make([]error, len(ids)/10)
	)
	race(2+len(singles), func(i int) {
		switch i {
		case 0:
			outA, errA = db.BulkCreatePlacements(ctx, fwd, t0)
		case 1:
			outB, errB = db.BulkCreatePlacements(ctx, rev, t0)
		default:
			k := (i - 2) * 10
			_, singles[i-2] = db.CreatePlacement(ctx, placement(ids[k], c.ID), t0)
		}
	})
	if errA != nil || errB != nil {
		t.Fatalf("imports: %v; %v", errA, errB)
	}
	for _, err := range singles {
		if err != nil {
			if _, ok := domain.AsDuplicate(err); !ok {
				t.Fatal(err)
			}
		}
	}
	for i, id := range ids {
		holder, err := db.PlacementByNationalID(ctx, year, id)
		if err != nil {
			t.Fatalf("code %d: %v", i, err)
		}
		for _, o := range []domain.RowOutcome{outA[i], outB[len(ids)-1-i]} {
			switch {
			case o.Saved.ID != 0 && o.Saved.ID != holder.ID:
				t.Fatalf("code %d saved as %d, held by %d", i, o.Saved.ID, holder.ID)
			case o.Saved.ID == 0 && (o.Duplicate == nil || o.Duplicate.Existing.ID != holder.ID):
				t.Fatalf("code %d: %+v, held by %d", i, o, holder.ID)
			}
		}
	}
	total := 0
	for _, ag := range []domain.Agency{a, b, c} {
		_, n, err := db.AgencyPlacements(ctx, ag.ID, 1, 0)
		if err != nil {
			t.Fatal(err)
		}
		total += n
	}
	if total != len(ids) {
		t.Fatalf("%d placements of %d codes", total, len(ids))
	}
}

func TestRecordDuplicateAttempt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	a := mustAgency(t, db, "labour", "کار")
	b := mustAgency(t, db, "agri", "جهاد کشاورزی")
	p := mustPlacement(t, db, placement(nationalIDs(t, 0, 1)[0], a.ID), t0)

	want := domain.DuplicateAttempt{NationalID: p.NationalID, ProgramYear: year, AgencyID: b.ID, LiaisonID: 9,
		HolderID: p.ID, At: t0.Add(time.Minute)}
	if err := db.RecordDuplicateAttempt(ctx, want); err != nil {
		t.Fatal(err)
	}
	if as := attempts(t, db); len(as) != 1 || !sameAttempt(as[0], want) {
		t.Fatalf("attempts = %+v", as)
	}
	bad := want
	bad.HolderID += 100
	wantErr(t, db.RecordDuplicateAttempt(ctx, bad), domain.KindNotFound, "placement.notfound")
	bad = want
	bad.AgencyID += 100
	wantErr(t, db.RecordDuplicateAttempt(ctx, bad), domain.KindNotFound, "agency.notfound")
}

// BenchmarkBulkCreatePlacements imports 10,000 rows: all new, and half of
// them already placed by another agency (the refusal path: holders looked
// up, attempts kept).
func BenchmarkBulkCreatePlacements(b *testing.B) {
	ctx := context.Background()
	db := postgrestest.New(b)
	mine, err := db.CreateAgency(ctx, agency("labour", "کار"))
	if err != nil {
		b.Fatal(err)
	}
	theirs, err := db.CreateAgency(ctx, agency("agri", "جهاد کشاورزی"))
	if err != nil {
		b.Fatal(err)
	}
	const rows = 10_000
	ids := nationalIDs(b, 0, rows)
	ps := make([]domain.Placement, rows)
	for i, id := range ids {
		ps[i] = placement(id, mine.ID)
	}
	// Each run is a new program year, so earlier runs hold nothing.
	nextYear := year
	for _, held := range []int{0, rows / 2} {
		b.Run(fmt.Sprintf("held=%d", held), func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				for i := range ps {
					ps[i].ProgramYear = nextYear
				}
				if held > 0 {
					pre := make([]domain.Placement, 0, held)
					for i := 0; i < rows; i += rows / held {
						p := ps[i]
						p.AgencyID = theirs.ID
						pre = append(pre, p)
					}
					if _, err := db.BulkCreatePlacements(ctx, pre, t0); err != nil {
						b.Fatal(err)
					}
				}
				nextYear++
				b.StartTimer()
				out, err := db.BulkCreatePlacements(ctx, ps, t0)
				if err != nil {
					b.Fatal(err)
				}
				if out[1].Saved.ID == 0 || (held > 0) != (out[0].Duplicate != nil) {
					b.Fatalf("outcomes: %+v, %+v", out[0], out[1])
				}
			}
			b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
