package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/rasad-gov/rasad/storage/postgres/postgrestest"
)

func TestRefusals(t *testing.T) {
	t.Parallel()
	db := postgrestest.New(t)
	ctx := context.Background()
	at := time.Date(2026, 6, 7, 10, 0, 0, 0, time.UTC)
	for i, action := range []string{"command:invite", "button:lr"} {
		if err := db.RecordRefusal(ctx, 42, action, at.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	rs, err := db.Refusals(ctx, at.Add(time.Minute))
	if err != nil || len(rs) != 1 || rs[0].Action != "button:lr" || rs[0].TelegramID != 42 {
		t.Fatalf("refusals %+v, %v", rs, err)
	}
	if err := db.RecordRefusal(ctx, 42, "", at); err == nil {
		t.Error("an empty action was recorded")
	}
}
