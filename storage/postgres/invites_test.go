package postgres_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rasad-gov/rasad/domain"
	"github.com/rasad-gov/rasad/storage/postgres"
	"github.com/rasad-gov/rasad/storage/postgres/postgrestest"
)

func mustInvite(t *testing.T, db *postgres.DB, agencyID, by int64, expires time.Time) domain.Invite {
	t.Helper()
	inv := domain.Invite{Code: domain.NewInviteCode(), AgencyID: agencyID, CreatedBy: by, CreatedAt: t0, ExpiresAt: expires}
	if err := db.CreateInvite(context.Background(), inv); err != nil {
		t.Fatalf("CreateInvite: %v", err)
	}
	return inv
}

func TestCreateInvite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	a := mustAgency(t, db, "labour", "کار")

	inv := mustInvite(t, db, a.ID, 1, t0.Add(48*time.Hour))
	got, err := db.Invite(ctx, inv.Code)
	if err != nil {
		t.Fatal(err)
	}
	if got.Code != inv.Code || got.AgencyID != a.ID || got.CreatedBy != 1 || !got.CreatedAt.Equal(t0) ||
		!got.ExpiresAt.Equal(inv.ExpiresAt) || got.UsedBy != 0 || !got.UsedAt.IsZero() {
		t.Fatalf("Invite = %+v, want %+v", got, inv)
	}
	if err := got.Usable(t0); err != nil {
		t.Fatalf("Usable: %v", err)
	}

	// From the command line: no creator, created now.
	cli := domain.Invite{Code: domain.NewInviteCode(), AgencyID: a.ID, ExpiresAt: time.Now().Add(time.Hour)}
	if err := db.CreateInvite(ctx, cli); err != nil {
		t.Fatal(err)
	}
	if got, err := db.Invite(ctx, cli.Code); err != nil || got.CreatedBy != 0 || time.Since(got.CreatedAt) > time.Minute {
		t.Fatalf("Invite = %+v, %v", got, err)
	}

	wantErr(t, db.CreateInvite(ctx, inv), domain.KindConflict, "invite.exists")
	wantErr(t, db.CreateInvite(ctx, domain.Invite{Code: "x", AgencyID: a.ID + 100, ExpiresAt: t0}), domain.KindNotFound, "agency.notfound")
	wantErr(t, db.CreateInvite(ctx, domain.Invite{AgencyID: a.ID, ExpiresAt: t0}), domain.KindInvalid, "invite.code")
	wantErr(t, db.CreateInvite(ctx, domain.Invite{Code: "y", AgencyID: a.ID}), domain.KindInvalid, "invite.expiry")

	_, err = db.Invite(ctx, "inv_NOSUCHCODE234567")
	wantErr(t, err, domain.KindNotFound, "invite.notfound")
}

func TestRedeemInvite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	a := mustAgency(t, db, "labour", "کار")
	b := mustAgency(t, db, "agri", "جهاد کشاورزی")
	const creator = 1
	inv := mustInvite(t, db, a.ID, creator, t0.Add(time.Hour))
	now := t0.Add(time.Minute)

	// The invite decides the agency, whatever the request says.
	r, err := db.RedeemInvite(ctx, inv.Code, request(10, b.ID), now)
	if err != nil {
		t.Fatal(err)
	}
	if r.ID == 0 || r.UserID != 10 || r.AgencyID != a.ID || r.Status != domain.RequestApproved ||
		r.InviteCode != inv.Code || r.DecidedBy != creator || !r.DecidedAt.Equal(now) || !r.CreatedAt.Equal(now) {
		t.Fatalf("request = %+v", r)
	}
	if got, err := db.LiaisonRequest(ctx, r.ID); err != nil || got != r {
		t.Fatalf("LiaisonRequest = %+v, %v; want %+v", got, err, r)
	}
	u := mustUser(t, db, 10)
	if u.LiaisonAgency() != a.ID || u.Grants[0].GrantedBy != creator || u.FullName != r.FullName || u.Phone != r.Phone {
		t.Fatalf("user = %+v", u)
	}
	used, err := db.Invite(ctx, inv.Code)
	if err != nil {
		t.Fatal(err)
	}
	if used.UsedBy != 10 || !used.UsedAt.Equal(now) {
		t.Fatalf("used invite = %+v", used)
	}

	// Someone else: used.
	other, err := db.RedeemInvite(ctx, inv.Code, request(11, 0), now)
	wantErr(t, err, domain.KindConflict, "invite.used")
	if other != (domain.LiaisonRequest{}) {
		t.Fatalf("another user's redemption returned %+v", other)
	}
	// The same user again (a double tap): used, with their request.
	again, err := db.RedeemInvite(ctx, inv.Code, request(10, 0), now)
	wantErr(t, err, domain.KindConflict, "invite.used")
	if again != r {
		t.Fatalf("double tap returned %+v, want %+v", again, r)
	}

	_, err = db.RedeemInvite(ctx, "inv_NOSUCHCODE234567", request(12, 0), now)
	wantErr(t, err, domain.KindNotFound, "invite.notfound")
}

func TestRedeemInviteExpired(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	a := mustAgency(t, db, "labour", "کار")
	inv := mustInvite(t, db, a.ID, 1, t0.Add(time.Hour))

	// Expiry is exclusive: at the instant itself the invite is dead.
	_, err := db.RedeemInvite(ctx, inv.Code, request(10, 0), inv.ExpiresAt)
	wantErr(t, err, domain.KindConflict, "invite.expired")
	_, err = db.User(ctx, 10)
	wantErr(t, err, domain.KindNotFound, "user.notfound")
	if got, _ := db.Invite(ctx, inv.Code); !got.UsedAt.IsZero() {
		t.Fatalf("expired invite marked used: %+v", got)
	}
}

func TestRedeemInviteInvalidRequest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	a := mustAgency(t, db, "labour", "کار")
	inv := mustInvite(t, db, a.ID, 1, t0.Add(time.Hour))

	bad := request(10, 0)
	bad.FullName = "x"
	_, err := db.RedeemInvite(ctx, inv.Code, bad, t0)
	wantErr(t, err, domain.KindInvalid, "name.short")
	// The invite is still there for a corrected attempt.
	if got, _ := db.Invite(ctx, inv.Code); !got.UsedAt.IsZero() {
		t.Fatalf("failed redemption used the invite: %+v", got)
	}
	if _, err := db.RedeemInvite(ctx, inv.Code, request(10, 0), t0); err != nil {
		t.Fatal(err)
	}
}

func TestRedeemInviteConcurrently(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	a := mustAgency(t, db, "labour", "کار")
	inv := mustInvite(t, db, a.ID, 1, t0.Add(time.Hour))

	const n = 8
	var won, used atomic.Int32
	var winner atomic.Int64
	race(n, func(i int) {
		user := int64(100 + i)
		_, err := db.RedeemInvite(ctx, inv.Code, request(user, 0), t0)
		switch {
		case err == nil:
			won.Add(1)
			winner.Store(user)
		case domain.CodeOf(err) == "invite.used":
			used.Add(1)
		default:
			t.Error(err)
		}
	})
	if won.Load() != 1 || used.Load() != n-1 {
		t.Fatalf("%d won, %d told used; want 1, %d", won.Load(), used.Load(), n-1)
	}
	for i := range n {
		user := int64(100 + i)
		u, err := db.User(ctx, user)
		if user == winner.Load() {
			if err != nil || u.LiaisonAgency() != a.ID {
				t.Fatalf("winner %d = %+v, %v", user, u, err)
			}
			continue
		}
		// Losers left nothing behind.
		wantErr(t, err, domain.KindNotFound, "user.notfound")
	}
	if got, _ := db.Invite(ctx, inv.Code); got.UsedBy != winner.Load() {
		t.Fatalf("invite used by %d, winner %d", got.UsedBy, winner.Load())
	}
}

// A request left pending is withdrawn when its applicant signs up by an
// invite, so a later approval cannot move them to the other agency.
func TestRedeemInviteWithdrawsPendingRequest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	a := mustAgency(t, db, "labour", "کار")
	b := mustAgency(t, db, "agri", "جهاد کشاورزی")
	pending, err := db.CreateLiaisonRequest(ctx, request(20, b.ID))
	if err != nil {
		t.Fatal(err)
	}
	inv := mustInvite(t, db, a.ID, 1, t0.Add(time.Hour))
	now := t0.Add(time.Minute)
	if _, err := db.RedeemInvite(ctx, inv.Code, request(20, 0), now); err != nil {
		t.Fatal(err)
	}
	got, err := db.LiaisonRequest(ctx, pending.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != domain.RequestWithdrawn || got.DecidedBy != 20 || !got.DecidedAt.Equal(now) {
		t.Fatalf("pending request after redeem = %+v", got)
	}
	_, err = db.DecideLiaisonRequest(ctx, pending.ID, true, 1, now)
	wantErr(t, err, domain.KindConflict, "liaison.decided")
	if u := mustUser(t, db, 20); u.LiaisonAgency() != a.ID {
		t.Fatalf("liaison of %d, want %d", u.LiaisonAgency(), a.ID)
	}
}
