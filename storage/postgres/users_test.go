package postgres_test

import (
	"context"
	"testing"

	"github.com/rasad-gov/rasad/domain"
	"github.com/rasad-gov/rasad/storage/postgres/postgrestest"
)

func TestUpsertUser(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)

	_, err := db.User(ctx, 42)
	wantErr(t, err, domain.KindNotFound, "user.notfound")

	// A new user starts active, with no language of their own unless told.
	if err := db.UpsertUser(ctx, domain.User{ID: 42, FullName: "Ali"}); err != nil {
		t.Fatal(err)
	}
	u := mustUser(t, db, 42)
	if u.ID != 42 || u.FullName != "Ali" || u.Phone != "" || u.Language != "" || !u.Active || u.Grants != nil || u.CreatedAt.IsZero() {
		t.Fatalf("new user = %+v", u)
	}
	created := u.CreatedAt

	// Update every field.
	if err := db.UpsertUser(ctx, domain.User{ID: 42, FullName: "علی", Phone: "+989121234567", Language: "en"}); err != nil {
		t.Fatal(err)
	}
	u = mustUser(t, db, 42)
	if u.FullName != "علی" || u.Phone != "+989121234567" || u.Language != "en" || !u.CreatedAt.Equal(created) {
		t.Fatalf("updated user = %+v", u)
	}

	// Empty fields keep what is stored; Active is not UpsertUser's business.
	if err := db.SetActive(ctx, 42, false); err != nil {
		t.Fatal(err)
	}
	if err := db.UpsertUser(ctx, domain.User{ID: 42}); err != nil {
		t.Fatal(err)
	}
	u = mustUser(t, db, 42)
	if u.FullName != "علی" || u.Phone != "+989121234567" || u.Language != "en" || u.Active {
		t.Fatalf("after empty upsert = %+v", u)
	}
}

func TestSetLanguageAndActive(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)

	wantErr(t, db.SetLanguage(ctx, 7, "en"), domain.KindNotFound, "user.notfound")
	wantErr(t, db.SetActive(ctx, 7, false), domain.KindNotFound, "user.notfound")

	if err := db.UpsertUser(ctx, domain.User{ID: 7}); err != nil {
		t.Fatal(err)
	}
	if err := db.SetLanguage(ctx, 7, "en"); err != nil {
		t.Fatal(err)
	}
	if err := db.SetActive(ctx, 7, false); err != nil {
		t.Fatal(err)
	}
	if u := mustUser(t, db, 7); u.Language != "en" || u.Active {
		t.Fatalf("user = %+v", u)
	}
	if err := db.SetActive(ctx, 7, true); err != nil {
		t.Fatal(err)
	}
	if u := mustUser(t, db, 7); !u.Active {
		t.Fatalf("user = %+v, want active", u)
	}
}

func TestGrantRole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	a := mustAgency(t, db, "labour", "کار")
	b := mustAgency(t, db, "agri", "جهاد کشاورزی")

	// Granting to someone who never talked to the bot creates them.
	if err := db.GrantRole(ctx, 100, domain.Grant{Role: domain.RoleVendor}); err != nil {
		t.Fatal(err)
	}
	if err := db.GrantRole(ctx, 100, domain.Grant{Role: domain.RoleLiaison, AgencyID: a.ID, GrantedBy: 1, GrantedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if err := db.GrantRole(ctx, 100, domain.Grant{Role: domain.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	u := mustUser(t, db, 100)
	if !u.Active || u.Language != "" {
		t.Fatalf("bare user = %+v (a grant chooses no language for them)", u)
	}
	// Grants come in menu order.
	if len(u.Grants) != 3 || u.Grants[0].Role != domain.RoleAdmin || u.Grants[1].Role != domain.RoleLiaison || u.Grants[2].Role != domain.RoleVendor {
		t.Fatalf("grants = %+v", u.Grants)
	}
	if g := u.Grants[1]; g.AgencyID != a.ID || g.GrantedBy != 1 || !g.GrantedAt.Equal(t0) {
		t.Fatalf("liaison grant = %+v", g)
	}
	if g := u.Grants[0]; g.AgencyID != 0 || g.GrantedBy != 0 || g.GrantedAt.IsZero() {
		t.Fatalf("admin grant = %+v", g)
	}

	// Granting liaison again moves the user to the other agency.
	if err := db.GrantRole(ctx, 100, domain.Grant{Role: domain.RoleLiaison, AgencyID: b.ID, GrantedBy: 2}); err != nil {
		t.Fatal(err)
	}
	u = mustUser(t, db, 100)
	if len(u.Grants) != 3 || u.LiaisonAgency() != b.ID || u.Grants[1].GrantedBy != 2 {
		t.Fatalf("after move: grants = %+v", u.Grants)
	}

	// Bad grants change nothing.
	wantErr(t, db.GrantRole(ctx, 100, domain.Grant{Role: domain.RoleLiaison}), domain.KindInvalid, "liaison.agency")
	wantErr(t, db.GrantRole(ctx, 100, domain.Grant{Role: domain.RoleManager, AgencyID: a.ID}), domain.KindInvalid, "grant.agency")
	wantErr(t, db.GrantRole(ctx, 100, domain.Grant{Role: "root"}), domain.KindInvalid, "role.unknown")
	wantErr(t, db.GrantRole(ctx, 101, domain.Grant{Role: domain.RoleLiaison, AgencyID: 9999}), domain.KindNotFound, "agency.notfound")
	if _, err := db.User(ctx, 101); err == nil {
		t.Fatal("a failed grant left a user row behind")
	}
	if u := mustUser(t, db, 100); u.LiaisonAgency() != b.ID {
		t.Fatalf("failed grant changed the liaison agency to %d", u.LiaisonAgency())
	}
}

func TestRevokeRole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)

	wantErr(t, db.RevokeRole(ctx, 5, domain.RoleAdmin), domain.KindNotFound, "role.notheld")
	for _, r := range []domain.Role{domain.RoleAdmin, domain.RoleManager} {
		if err := db.GrantRole(ctx, 5, domain.Grant{Role: r}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.RevokeRole(ctx, 5, domain.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	wantErr(t, db.RevokeRole(ctx, 5, domain.RoleAdmin), domain.KindNotFound, "role.notheld")
	u := mustUser(t, db, 5)
	if u.Has(domain.RoleAdmin) || !u.Has(domain.RoleManager) || len(u.Grants) != 1 {
		t.Fatalf("grants = %+v", u.Grants)
	}
}

func TestUsersWithRole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	a := mustAgency(t, db, "labour", "کار")

	grants := map[int64][]domain.Grant{
		3: {{Role: domain.RoleManager}, {Role: domain.RoleLiaison, AgencyID: a.ID}},
		1: {{Role: domain.RoleManager}},
		2: {{Role: domain.RoleAdmin}},
		4: {{Role: domain.RoleManager}}, // will block the bot
	}
	for id, gs := range grants {
		for _, g := range gs {
			if err := db.GrantRole(ctx, id, g); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := db.SetActive(ctx, 4, false); err != nil {
		t.Fatal(err)
	}

	managers, err := db.UsersWithRole(ctx, domain.RoleManager)
	if err != nil {
		t.Fatal(err)
	}
	if len(managers) != 2 || managers[0].ID != 1 || managers[1].ID != 3 {
		t.Fatalf("managers = %+v", managers)
	}
	// Every role of each user is loaded, not just the one asked for.
	if m := managers[1]; len(m.Grants) != 2 || m.LiaisonAgency() != a.ID {
		t.Fatalf("manager 3 grants = %+v", m.Grants)
	}
	vendors, err := db.UsersWithRole(ctx, domain.RoleVendor)
	if err != nil {
		t.Fatal(err)
	}
	if len(vendors) != 0 {
		t.Fatalf("vendors = %+v", vendors)
	}
}
