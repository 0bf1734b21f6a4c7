package postgres_test

import (
	"context"
	"testing"

	"github.com/rasad-gov/rasad/domain"
	"github.com/rasad-gov/rasad/storage/postgres/postgrestest"
)

func TestUpsertAgencies(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)

	upsert := func(as []domain.Agency, wantIns, wantUpd int) {
		t.Helper()
		ins, upd, err := db.UpsertAgencies(ctx, as)
		if err != nil {
			t.Fatal(err)
		}
		if ins != wantIns || upd != wantUpd {
			t.Fatalf("UpsertAgencies = %d inserted, %d updated; want %d, %d", ins, upd, wantIns, wantUpd)
		}
	}
	labour, agri := agency("labour", "کار"), agency("agri", "جهاد کشاورزی")
	upsert([]domain.Agency{labour, agri}, 2, 0)
	// The same file again changes nothing.
	upsert([]domain.Agency{labour, agri}, 0, 0)
	// One renamed, one new, one unchanged.
	labour.NameFa = "تعاون، کار و رفاه اجتماعی"
	upsert([]domain.Agency{labour, agri, agency("tourism", "میراث فرهنگی")}, 1, 1)

	as, err := db.Agencies(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != 3 {
		t.Fatalf("agencies = %+v", as)
	}
	for _, a := range as {
		if a.Code == "labour" && a.NameFa != labour.NameFa {
			t.Fatalf("labour = %+v", a)
		}
	}

	// A bad row fails the whole import.
	_, _, err = db.UpsertAgencies(ctx, []domain.Agency{agency("new", "تازه"), agency("", "بی‌کد")})
	wantErr(t, err, domain.KindInvalid, "agency.code")
	if as, _ := db.Agencies(ctx); len(as) != 3 {
		t.Fatalf("a failed import stored something: %+v", as)
	}
}

func TestCreateAgency(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)

	a, err := db.CreateAgency(ctx, agency("labour", "کار"))
	if err != nil {
		t.Fatal(err)
	}
	if a.ID == 0 {
		t.Fatal("no id")
	}
	got, err := db.Agency(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got != a {
		t.Fatalf("Agency = %+v, want %+v", got, a)
	}
	// The same agency again (an admin's submit delivered twice): it stands.
	again, err := db.CreateAgency(ctx, agency("labour", "کار"))
	if err != nil || again != a {
		t.Fatalf("repeated submit = %+v, %v; want %+v", again, err, a)
	}
	// Another agency under that code.
	renamed := agency("labour", "کار")
	renamed.NameEn = "Labour"
	for _, other := range []domain.Agency{agency("labour", "دیگر"), renamed} {
		_, err = db.CreateAgency(ctx, other)
		wantErr(t, err, domain.KindConflict, "agency.exists")
	}
	_, err = db.CreateAgency(ctx, agency("x", ""))
	wantErr(t, err, domain.KindInvalid, "agency.name")

	_, err = db.Agency(ctx, a.ID+100)
	wantErr(t, err, domain.KindNotFound, "agency.notfound")
}

// An admin's submit delivered several times at once makes one agency.
func TestCreateAgencyConcurrently(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	all := deliveredAtOnce(t, 5, func() (domain.Agency, error) { return db.CreateAgency(ctx, agency("agri", "جهاد کشاورزی")) })
	for _, a := range all {
		if a != all[0] {
			t.Fatalf("%+v, want %+v", a, all[0])
		}
	}
	if as, err := db.Agencies(ctx); err != nil || len(as) != 1 {
		t.Fatalf("Agencies = %+v, %v", as, err)
	}
}

func TestRenameAgency(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)
	a := mustAgency(t, db, "labour", "کار")

	if err := db.RenameAgency(ctx, a.ID, "اداره کار", "Labour Office"); err != nil {
		t.Fatal(err)
	}
	got, err := db.Agency(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.NameFa != "اداره کار" || got.NameEn != "Labour Office" || got.Code != "labour" {
		t.Fatalf("renamed = %+v", got)
	}
	wantErr(t, db.RenameAgency(ctx, a.ID+100, "x", ""), domain.KindNotFound, "agency.notfound")
	wantErr(t, db.RenameAgency(ctx, a.ID, "", "x"), domain.KindInvalid, "agency.name")
}

func TestAgenciesOrderAndActive(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.New(t)

	// In code point order گ, پ and چ sort after ی; a Persian reader puts
	// them after گ, ب and ج.
	for _, a := range []domain.Agency{
		agency("c", "گردشگری"),
		agency("e", "یزد"),
		agency("b", "پست"),
		agency("a", "بهزیستی"),
		agency("d", "چاپ"),
		{Code: "z", NameFa: "آب", Active: false},
	} {
		if _, err := db.CreateAgency(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	as, err := db.Agencies(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range as {
		got = append(got, a.NameFa)
	}
	want := []string{"بهزیستی", "پست", "چاپ", "گردشگری", "یزد"}
	if len(got) != len(want) {
		t.Fatalf("Agencies = %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Agencies = %q, want %q", got, want)
		}
	}
}
