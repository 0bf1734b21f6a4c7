package postgres_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/rasad-gov/rasad/domain"
	"github.com/rasad-gov/rasad/storage/postgres/postgrestest"
)

func TestCreateLiaisonRequest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	a := mustAgency(t, db, "labour", "کار")

	// The user had talked to the bot under another name, in English.
	if err := db.UpsertUser(ctx, domain.User{ID: 10, FullName: "Maryam", Language: "en"}); err != nil {
		t.Fatal(err)
	}
	in := request(10, a.ID)
	in.CreatedAt = t0
	r, err := db.CreateLiaisonRequest(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if r.ID == 0 || r.Status != domain.RequestPending || r.UserID != 10 || r.AgencyID != a.ID ||
		r.FullName != in.FullName || r.Position != in.Position || r.Phone != in.Phone ||
		!r.CreatedAt.Equal(t0) || r.DecidedBy != 0 || !r.DecidedAt.IsZero() || r.InviteCode != "" {
		t.Fatalf("request = %+v", r)
	}
	// The user row takes the name and phone; the language stays.
	u := mustUser(t, db, 10)
	if u.FullName != in.FullName || u.Phone != in.Phone || u.Language != "en" || u.Has(domain.RoleLiaison) {
		t.Fatalf("user = %+v", u)
	}

	got, err := db.LiaisonRequest(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got != r {
		t.Fatalf("LiaisonRequest = %+v, want %+v", got, r)
	}
	got, err = db.PendingLiaisonRequest(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if got != r {
		t.Fatalf("PendingLiaisonRequest = %+v, want %+v", got, r)
	}
	queue, err := db.PendingLiaisonRequests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(queue) != 1 || queue[0] != r {
		t.Fatalf("PendingLiaisonRequests = %+v", queue)
	}

	// A second request while one is pending.
	_, err = db.CreateLiaisonRequest(ctx, request(10, a.ID))
	wantErr(t, err, domain.KindConflict, "liaison.pending")

	_, err = db.LiaisonRequest(ctx, r.ID+100)
	wantErr(t, err, domain.KindNotFound, "liaison.notfound")
	_, err = db.PendingLiaisonRequest(ctx, 11)
	wantErr(t, err, domain.KindNotFound, "liaison.notfound")
}

func TestCreateLiaisonRequestInvalid(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	a := mustAgency(t, db, "labour", "کار")
	off, err := db.CreateAgency(ctx, domain.Agency{Code: "closed", NameFa: "منحل", Active: false})
	if err != nil {
		t.Fatal(err)
	}

	bad := request(10, a.ID)
	bad.Phone = ""
	_, err = db.CreateLiaisonRequest(ctx, bad)
	wantErr(t, err, domain.KindInvalid, "mobile.missing")

	_, err = db.CreateLiaisonRequest(ctx, request(10, a.ID+100))
	wantErr(t, err, domain.KindNotFound, "agency.notfound")
	_, err = db.CreateLiaisonRequest(ctx, request(10, off.ID))
	wantErr(t, err, domain.KindNotFound, "agency.notfound")

	// Nothing of the failed attempts was kept, not even the user row.
	_, err = db.User(ctx, 10)
	wantErr(t, err, domain.KindNotFound, "user.notfound")
}

func TestCreateLiaisonRequestConcurrently(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	a := mustAgency(t, db, "labour", "کار")

	var ok, pending atomic.Int32
	race(8, func(int) {
		_, err := db.CreateLiaisonRequest(ctx, request(10, a.ID))
		switch {
		case err == nil:
			ok.Add(1)
		case domain.CodeOf(err) == "liaison.pending":
			pending.Add(1)
		default:
			t.Error(err)
		}
	})
	if ok.Load() != 1 || pending.Load() != 7 {
		t.Fatalf("%d created, %d pending conflicts; want 1, 7", ok.Load(), pending.Load())
	}
}

func TestDecideLiaisonRequest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	a := mustAgency(t, db, "labour", "کار")
	const admin = 1

	// Approve: the applicant becomes a liaison of the agency.
	r, err := db.CreateLiaisonRequest(ctx, request(10, a.ID))
	if err != nil {
		t.Fatal(err)
	}
	d, err := db.DecideLiaisonRequest(ctx, r.ID, true, admin, t0)
	if err != nil {
		t.Fatal(err)
	}
	if d.ID != r.ID || d.Status != domain.RequestApproved || d.DecidedBy != admin || !d.DecidedAt.Equal(t0) {
		t.Fatalf("decided = %+v", d)
	}
	u := mustUser(t, db, 10)
	if u.LiaisonAgency() != a.ID || u.Grants[0].GrantedBy != admin || !u.Grants[0].GrantedAt.Equal(t0) {
		t.Fatalf("user grants = %+v", u.Grants)
	}
	_, err = db.PendingLiaisonRequest(ctx, 10)
	wantErr(t, err, domain.KindNotFound, "liaison.notfound")

	// Deciding again, even the other way, reports the first decision.
	again, err := db.DecideLiaisonRequest(ctx, r.ID, false, 2, t0.Add(1))
	wantErr(t, err, domain.KindConflict, "liaison.decided")
	if again != d {
		t.Fatalf("second decision returned %+v, want %+v", again, d)
	}

	// Reject: no role. And once decided, the user may ask again.
	r2, err := db.CreateLiaisonRequest(ctx, request(20, a.ID))
	if err != nil {
		t.Fatal(err)
	}
	d2, err := db.DecideLiaisonRequest(ctx, r2.ID, false, admin, t0)
	if err != nil {
		t.Fatal(err)
	}
	if d2.Status != domain.RequestRejected || d2.DecidedBy != admin {
		t.Fatalf("rejected = %+v", d2)
	}
	if u := mustUser(t, db, 20); len(u.Grants) != 0 {
		t.Fatalf("rejected applicant has grants %+v", u.Grants)
	}
	if _, err := db.CreateLiaisonRequest(ctx, request(20, a.ID)); err != nil {
		t.Fatalf("request after rejection: %v", err)
	}

	_, err = db.DecideLiaisonRequest(ctx, r2.ID+100, true, admin, t0)
	wantErr(t, err, domain.KindNotFound, "liaison.notfound")
}

func TestDecideLiaisonRequestConcurrently(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	a := mustAgency(t, db, "labour", "کار")

	for round := range 5 {
		user := int64(100 + round)
		r, err := db.CreateLiaisonRequest(ctx, request(user, a.ID))
		if err != nil {
			t.Fatal(err)
		}
		// Two admins at once: admin 1 approves, admin 2 rejects.
		const n = 2
		results := make([]domain.LiaisonRequest, n)
		errs := make([]error, n)
		race(n, func(i int) {
			results[i], errs[i] = db.DecideLiaisonRequest(ctx, r.ID, i == 0, int64(i+1), t0)
		})
		winner := -1
		for i, err := range errs {
			if err == nil {
				if winner >= 0 {
					t.Fatalf("round %d: both admins won", round)
				}
				winner = i
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: nobody won: %v", round, errs)
		}
		loser := 1 - winner
		wantErr(t, errs[loser], domain.KindConflict, "liaison.decided")
		// The loser learns the winner's decision.
		if results[loser] != results[winner] || results[winner].DecidedBy != int64(winner+1) {
			t.Fatalf("round %d: loser saw %+v, winner %+v", round, results[loser], results[winner])
		}
		// The role follows the winning decision.
		approved := results[winner].Status == domain.RequestApproved
		if got := mustUser(t, db, user).Has(domain.RoleLiaison); got != approved {
			t.Fatalf("round %d: liaison = %v after %s", round, got, results[winner].Status)
		}
	}
}
