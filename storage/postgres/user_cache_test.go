package postgres_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rasad-gov/rasad/domain"
	"github.com/rasad-gov/rasad/storage/postgres/postgrestest"
)

// While the store listens, User answers from memory; a change by this
// store shows at once, a change by any other writer as soon as Postgres
// announces it. Without listening, every lookup reads the database.
func TestUserCache(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, url := postgrestest.NewWithURL(t)
	sql, err := pgx.Connect(ctx, url) // another writer: an operator, another replica
	if err != nil {
		t.Fatal(err)
	}
	defer sql.Close(ctx)
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := sql.Exec(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.UpsertUser(ctx, domain.User{ID: 7, FullName: "Ali"}); err != nil {
		t.Fatal(err)
	}

	// Not listening: another writer's change shows at once.
	exec(`UPDATE users SET full_name = 'Reza' WHERE telegram_id = 7`)
	if u := mustUser(t, db, 7); u.FullName != "Reza" {
		t.Fatalf("uncached name = %q", u.FullName)
	}

	lctx, stop := context.WithCancel(ctx)
	wait := db.CacheUsers(lctx, slog.New(slog.DiscardHandler))
	defer func() { stop(); wait() }()

	// Cached: a change nobody announces (trigger off) is not seen...
	mustUser(t, db, 7)
	exec(`ALTER TABLE users DISABLE TRIGGER users_changed`)
	exec(`UPDATE users SET full_name = 'Unheard' WHERE telegram_id = 7`)
	exec(`ALTER TABLE users ENABLE TRIGGER users_changed`)
	if u := mustUser(t, db, 7); u.FullName != "Reza" {
		t.Fatalf("cached name = %q, want the cached Reza", u.FullName)
	}
	// ...an announced one is, by a role as much as by a name.
	exec(`INSERT INTO user_roles (telegram_id, role) VALUES (7, 'manager')`)
	eventuallyUser(t, func() bool { u := mustUser(t, db, 7); return u.Has(domain.RoleManager) && u.FullName == "Unheard" })
	exec(`UPDATE users SET full_name = 'Sara' WHERE telegram_id = 7`)
	eventuallyUser(t, func() bool { return mustUser(t, db, 7).FullName == "Sara" })

	// This store's own changes show at once, without waiting for the
	// announcement.
	for _, lang := range []string{"en", "fa", "en"} {
		if err := db.SetLanguage(ctx, 7, lang); err != nil {
			t.Fatal(err)
		}
		if u := mustUser(t, db, 7); u.Language != lang {
			t.Fatalf("language after SetLanguage(%s) = %s", lang, u.Language)
		}
	}
	if err := db.RevokeRole(ctx, 7, domain.RoleManager); err != nil {
		t.Fatal(err)
	}
	if mustUser(t, db, 7).Has(domain.RoleManager) {
		t.Fatal("revoked role still cached")
	}
	// A caller changing its copy does not change the cache's.
	u := mustUser(t, db, 7)
	u.Grants = append(u.Grants, domain.Grant{Role: domain.RoleAdmin})
	if mustUser(t, db, 7).Has(domain.RoleAdmin) {
		t.Fatal("a caller's change reached the cache")
	}

	// Listening lost (the connection killed): nothing is cached until it
	// listens again, and then a change is heard again.
	exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = 'LISTEN user_changed'`)
	exec(`ALTER TABLE users DISABLE TRIGGER users_changed`)
	exec(`UPDATE users SET full_name = 'Meanwhile' WHERE telegram_id = 7`)
	exec(`ALTER TABLE users ENABLE TRIGGER users_changed`)
	eventuallyUser(t, func() bool { return mustUser(t, db, 7).FullName == "Meanwhile" })
	eventuallyUser(t, func() bool {
		exec(`UPDATE users SET full_name = 'Back' WHERE telegram_id = 7`)
		return mustUser(t, db, 7).FullName == "Back"
	})
}

func eventuallyUser(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("the change was not seen within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
