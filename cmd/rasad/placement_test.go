package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rasad-gov/rasad/bot/fakeapi"
	"github.com/rasad-gov/rasad/domain"
)

// liaison makes a person a liaison of the agency with code, as an approved
// sign-up would.
func (h *harness) liaison(id int64, name, agencyCode string) person {
	h.t.Helper()
	a := must[domain.Agency](h.t)(agencyByCode(context.Background(), h.db, agencyCode))
	if err := h.db.GrantRole(context.Background(), id, domain.Grant{Role: domain.RoleLiaison, AgencyID: a.ID}); err != nil {
		h.t.Fatal(err)
	}
	return h.person(id, name)
}

func (h *harness) agencyID(code string) int64 {
	return must[domain.Agency](h.t)(agencyByCode(context.Background(), h.db, code)).ID
}

// validCode makes the n-th valid national code.
func validCode(t testing.TB, n int) domain.NationalID {
	return must[domain.NationalID](t)(domain.CompleteNationalID(fmt.Sprintf("%09d", 100000000+n)))
}

// fillPlacement answers every step after the national code, the way a
// liaison with a Persian keyboard would.
func fillPlacement(h *harness, p person) {
	h.t.Helper()
	p.expect(h.T("placement.name.prompt"))
	p.send("علي رضايي") // Arabic yeh
	p.expect(h.T("placement.gender.prompt"))
	p.tap(h.T("gender.male"))
	p.expect(h.T("placement.birthyear.prompt"))
	p.send("۱۳۷۰")
	p.expect(h.T("placement.mobile.prompt"))
	p.send("۰۹۱۲-۱۲۳-۴۵۶۷")
	p.expect(h.T("placement.sector.prompt"))
	p.tap(h.T("sector.industry"))
	p.expect(h.T("placement.activity.prompt"))
	p.send("جوشكاري") // Arabic kaf and yeh
	p.expect(h.T("placement.employer.prompt"))
	p.send("کارگاه نمونه")
	p.expect(h.T("placement.kind.prompt"))
	p.tap(h.T("kind.new_job"))
	p.expect(h.T("placement.support.prompt"))
	p.tap(h.T("support.financing"))
	p.expect(h.T("placement.funding.prompt"))
	p.tap(h.T("funding.qard_hasan"))
	p.expect(h.T("placement.amount.prompt"))
	p.send("۵۰۰٬۰۰۰٬۰۰۰")
	p.expect(h.T("placement.county.prompt"))
	p.tap("تهران")
	p.expect(h.T("placement.area.prompt"))
	p.tap(h.T("area.urban"))
	p.expect(h.T("placement.district.prompt"))
	p.tap("۱۵")
	p.expect(h.T("placement.startdate.prompt"))
	p.tap(h.T("btn.today"))
	p.expect(h.T("placement.insurance.prompt"))
	p.tap(h.T("insurance.insured"))
}

func TestPlacementWholeFlowWithPersianDigits(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	p := h.liaison(4001, "Liaison", "labour")
	code := validCode(t, 1)
	p.send("/register")
	p.expect(h.T("placement.nationalid.prompt"))
	// A wrong check digit first: one sentence, the same step again.
	bad := []byte(code)
	bad[9] = '0' + (bad[9]-'0'+1)%10
	p.send(domain.PersianDigits(string(bad)))
	p.expect(h.T("err.nationalid.checksum"))
	p.send(domain.PersianDigits(string(code[:3]) + "-" + string(code[3:])))
	fillPlacement(h, p)
	review := p.expect(h.T("placement.review"))
	for _, want := range []string{"علی رضایی", "جوشکاری", "۵۰۰٬۰۰۰٬۰۰۰", "۱۵", "۱۷ خرداد ۱۴۰۵", domain.PersianDigits(string(code))} {
		if !strings.Contains(review.Text, want) {
			t.Errorf("review lacks %q:\n%s", want, review.Text)
		}
	}
	p.tap(h.T("btn.confirm"))
	p.expect(h.T("placement.saved", "id", "۱", "name", "علی رضایی"))

	got := must[domain.Placement](t)(h.db.PlacementByNationalID(context.Background(), 1405, code))
	want := domain.Placement{NationalID: code, FullName: "علی رضایی", Gender: domain.GenderMale, BirthYear: 1370,
		Mobile: "+989121234567", Sector: domain.SectorIndustry, Activity: "جوشکاری", Employer: "کارگاه نمونه",
		Kind: domain.KindNewJob, Support: domain.SupportFinancing, Funding: domain.FundingQardHasan, FundingAmount: 500_000_000,
		County: "tehran", District: 15, Area: domain.AreaUrban, Insurance: domain.InsuranceInsured,
		AgencyID: h.agencyID("labour"), LiaisonID: 4001, ProgramYear: 1405}
	if got.Insurance != want.Insurance || got.FullName != want.FullName || got.Gender != want.Gender || got.BirthYear != want.BirthYear || got.Mobile != want.Mobile ||
		got.Sector != want.Sector || got.Activity != want.Activity || got.Employer != want.Employer || got.Kind != want.Kind ||
		got.Support != want.Support || got.Funding != want.Funding || got.FundingAmount != want.FundingAmount ||
		got.County != want.County || got.District != want.District || got.Area != want.Area || got.AgencyID != want.AgencyID ||
		got.LiaisonID != want.LiaisonID || got.ProgramYear != want.ProgramYear || cal.FormatJalaliNumeric(got.StartDate) != "1405/03/17" {
		t.Errorf("stored %+v\nwant    %+v", got, want)
	}
}

// The same agency typing a code again is offered its record; correcting a
// field is kept in the audit trail.
func TestPlacementSameAgencyCorrectsItsRecord(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	p := h.liaison(4002, "Liaison", "labour")
	code := validCode(t, 2)
	p.send("/register")
	p.expect(h.T("placement.nationalid.prompt"))
	p.send(string(code))
	fillPlacement(h, p)
	p.expect(h.T("placement.review"))
	p.tap(h.T("btn.confirm"))
	p.expect(h.T("placement.saved", "id", "۱", "name", "علی رضایی"))

	p.send("/register")
	p.expect(h.T("placement.nationalid.prompt"))
	p.send(string(code))
	p.expect(h.T("placement.duplicate_own", "name", "علی رضایی", "date", "۱۷ خرداد ۱۴۰۵"))
	p.tap(h.T("btn.open_record"))
	p.expect(h.T("record.title", "id", "۱", "date", "۱۷ خرداد ۱۴۰۵"))
	p.tap(h.T("btn.correct"))
	p.expect(h.T("record.choose_field"))
	p.tap(h.T("placement.birthyear.label"))
	p.expect(h.T("placement.birthyear.prompt"))
	p.send("1375")
	review := p.expect(h.T("placement.review"))
	if !strings.Contains(review.Text, "۱۳۷۵") {
		t.Errorf("review after correction:\n%s", review.Text)
	}
	p.tap(h.T("btn.confirm"))
	p.expect(h.T("record.corrected", "id", "۱", "count", "۱"))

	changes := must[[]domain.Change](t)(h.db.PlacementChanges(context.Background(), 1))
	last := changes[len(changes)-1]
	if last.Field != "birth_year" && last.Field != "birthyear" || last.Old != "1370" || last.New != "1375" || last.By != 4002 {
		t.Errorf("audit = %+v", changes)
	}
}

// Another agency is told who registered the person and when; the attempt
// is kept; the other agency's record cannot be reached with its buttons.
func TestPlacementOtherAgencyRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	a := h.liaison(4003, "A", "labour")
	b := h.liaison(4004, "B", "industry")
	code := validCode(t, 3)
	a.send("/register")
	a.expect(h.T("placement.nationalid.prompt"))
	a.send(string(code))
	fillPlacement(h, a)
	a.expect(h.T("placement.review"))
	a.tap(h.T("btn.confirm"))
	saved := a.expect(h.T("placement.saved", "id", "۱", "name", "علی رضایی"))

	h.clock.Advance(24 * time.Hour)
	b.send("/register")
	prompt := b.expect(h.T("placement.nationalid.prompt"))
	b.send(domain.PersianDigits(string(code)))
	b.expect(h.T("placement.duplicate_other", "agency", labourFa, "date", "۱۷ خرداد ۱۴۰۵"))
	attempts := must[[]domain.DuplicateAttempt](t)(h.db.DuplicateAttempts(context.Background(), time.Time{}, time.Now().Add(48*time.Hour)))
	if len(attempts) != 1 || attempts[0].AgencyID != h.agencyID("industry") || attempts[0].HolderID != 1 {
		t.Errorf("attempts = %+v", attempts)
	}

	// B presses A's (validly signed) record button: refused, nothing shown.
	open, _ := saved.Button(h.T("btn.open_record"))
	id := must[string](t)(b.PressData(prompt.ID, open.Data))
	if ans := must[fakeapi.CallbackAnswer](t)(h.srv.WaitAnswer(id, wait)); ans.Text != h.T("err.forbidden") {
		t.Errorf("foreign record answered %q", ans.Text)
	}
	b.expectNothing(300 * time.Millisecond)
}

func TestPlacementDoubleConfirmSavesOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *config) { c.EditMessages = false })
	p := h.liaison(4005, "Liaison", "labour")
	p.send("/register")
	p.expect(h.T("placement.nationalid.prompt"))
	p.send(string(validCode(t, 5)))
	fillPlacement(h, p)
	review := p.expect(h.T("placement.review"))
	pressTogether(t, h, p, review.ID, h.T("btn.confirm"), 3)
	p.expect(h.T("placement.saved", "id", "۱", "name", "علی رضایی"))
	p.expectNothing(300 * time.Millisecond)
	_, total, err := h.db.AgencyPlacements(context.Background(), h.agencyID("labour"), 10, 0)
	if err != nil || total != 1 {
		t.Errorf("%d records, want 1", total)
	}
}

func TestPlacementWithdrawFreesTheCode(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	p := h.liaison(4006, "Liaison", "labour")
	code := validCode(t, 6)
	p.send("/register")
	p.expect(h.T("placement.nationalid.prompt"))
	p.send(string(code))
	fillPlacement(h, p)
	p.expect(h.T("placement.review"))
	p.tap(h.T("btn.confirm"))
	p.expect(h.T("placement.saved", "id", "۱", "name", "علی رضایی"))

	p.send("/records")
	p.expect(h.T("records.title", "from", "۱", "to", "۱", "total", "۱"))
	p.tap(h.T("records.item", "id", "۱", "name", "علی رضایی", "date", "۱۷ خرداد ۱۴۰۵"))
	p.expect(h.T("record.title", "id", "۱", "date", "۱۷ خرداد ۱۴۰۵"))
	p.tap(h.T("btn.withdraw"))
	p.expect(h.T("withdraw.reason.prompt"))
	p.send("ثبت اشتباه")
	p.expect(h.T("withdraw.review", "record", h.T("records.item", "id", "۱", "name", "علی رضایی", "date", "۱۷ خرداد ۱۴۰۵")))
	p.tap(h.T("btn.confirm"))
	p.expect(h.T("record.withdrawn_done", "id", "۱", "name", "علی رضایی"))
	p.send("/records")
	p.expect(h.T("records.none"))

	changes := must[[]domain.Change](t)(h.db.PlacementChanges(context.Background(), 1))
	if last := changes[len(changes)-1]; last.Field != "withdrawn" || last.Reason != "ثبت اشتباه" || last.By != 4006 {
		t.Errorf("audit = %+v", changes)
	}
	// The code is free again.
	p.send("/register")
	p.expect(h.T("placement.nationalid.prompt"))
	p.send(string(code))
	p.expect(h.T("placement.name.prompt"))
}

func TestRecordsPaging(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	p := h.liaison(4007, "Liaison", "labour")
	agency := h.agencyID("labour")
	for i := range 10 {
		pl := samplePlacement(validCode(t, 100+i), agency, h.clock.Now())
		must[domain.Placement](t)(h.db.CreatePlacement(context.Background(), pl, h.clock.Now()))
	}
	p.send("/records")
	first := p.expect(h.T("records.title", "from", "۱", "to", "۸", "total", "۱۰"))
	if n := len(first.Buttons()); n != 9 { // 8 records and "older"
		t.Errorf("first page buttons: %v", first.Buttons())
	}
	p.tap(h.T("btn.older"))
	second := p.expect(h.T("records.title", "from", "۹", "to", "۱۰", "total", "۱۰"))
	if !strings.Contains(strings.Join(second.Buttons(), " "), h.T("btn.newer")) {
		t.Errorf("second page buttons: %v", second.Buttons())
	}
}

// Only liaisons register; a user without the role is told so.
func TestPlacementNeedsLiaison(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	p := h.person(4008, "Nobody")
	p.send("/register")
	p.expect(h.T("refused.liaison"))
}

func samplePlacement(code domain.NationalID, agency int64, now time.Time) domain.Placement {
	return domain.Placement{NationalID: code, FullName: "زهرا کریمی", Gender: domain.GenderFemale, BirthYear: 1375,
		Sector: domain.SectorServices, Activity: "آرایشگری", Employer: "سالن نمونه", Kind: domain.KindHomeBusiness,
		Support: domain.SupportTraining, Funding: domain.FundingNone, County: "rey", Area: domain.AreaUrban,
		StartDate: cal.StartOfDay(now), AgencyID: agency, LiaisonID: 1, ProgramYear: cal.ProgramYear(now)}
}

// registerOne takes p through a whole registration of code, today.
func registerOne(h *harness, p person, code domain.NationalID) {
	h.t.Helper()
	p.send("/register")
	p.expect(h.T("placement.nationalid.prompt"))
	p.send(string(code))
	fillPlacement(h, p)
	p.expect(h.T("placement.review"))
	p.tap(h.T("btn.confirm"))
	p.expect(strings.Split(h.T("placement.saved"), "{")[0])
}

// openField opens record id and starts correcting field.
func openField(h *harness, p person, id, label string) {
	h.t.Helper()
	p.send("/records")
	p.expect(strings.Split(h.T("records.title"), "(")[0])
	p.tap(h.T("records.item", "id", id, "name", "علی رضایی", "date", "۱۷ خرداد ۱۴۰۵"))
	p.expect(strings.Split(h.T("record.title"), "{")[0])
	p.tap(h.T("btn.correct"))
	p.expect(h.T("record.choose_field"))
	p.tap(label)
}

// Two liaisons of one agency correcting one record at once: each change
// stays, neither undoes the other.
func TestConcurrentCorrectionsKeepBothChanges(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	a := h.liaison(4101, "A", "labour")
	b := h.liaison(4102, "B", "labour")
	code := validCode(t, 41)
	registerOne(h, a, code)

	openField(h, a, "۱", h.T("placement.mobile.label"))
	a.expect(h.T("placement.mobile.prompt"))
	openField(h, b, "۱", h.T("placement.employer.label"))
	b.expect(h.T("placement.employer.prompt"))
	a.send("09351112233")
	a.expect(h.T("placement.review"))
	b.send("کارگاه تازه")
	b.expect(h.T("placement.review"))
	a.tap(h.T("btn.confirm"))
	a.expect(h.T("record.corrected", "id", "۱", "count", "۱"))
	b.tap(h.T("btn.confirm"))
	b.expect(h.T("record.corrected", "id", "۱", "count", "۱"))

	got := must[domain.Placement](t)(h.db.Placement(context.Background(), 1))
	if got.Mobile != "+989351112233" || got.Employer != "کارگاه تازه" {
		t.Errorf("record after two corrections: mobile %q, employer %q", got.Mobile, got.Employer)
	}
}

// A job begun before Nowruz and registered after it counts in last year,
// where another agency already placed the person: refused at confirm.
func TestLateRegistrationCountsInItsStartYear(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.clock.Advance(-100 * 24 * time.Hour) // 1404/12/08
	a := h.liaison(4103, "A", "labour")
	b := h.liaison(4104, "B", "industry")
	code := validCode(t, 42)
	registerOne(h, a, code)
	h.clock.Advance(100 * 24 * time.Hour) // 1405/03/17

	b.send("/register")
	b.expect(h.T("placement.nationalid.prompt"))
	b.send(string(code)) // not placed this year: accepted
	b.expect(h.T("placement.name.prompt"))
	b.send("علی رضایی")
	for _, step := range []struct{ prompt, answer string }{
		{"gender", h.T("gender.male")}, {"birthyear", "1370"}, {"mobile", ""}, {"sector", h.T("sector.services")},
		{"activity", "خیاطی"}, {"employer", "کارگاه"}, {"kind", h.T("kind.new_job")}, {"support", h.T("support.training")},
		{"funding", h.T("funding.none")}, {"county", "ری"}, {"area", h.T("area.urban")}, {"startdate", "1404/12/05"},
		{"insurance", h.T("insurance.uninsured")},
	} {
		b.expect(h.T("placement." + step.prompt + ".prompt"))
		switch {
		case step.answer == "":
			b.tap(h.T("btn.skip"))
		case step.prompt == "birthyear" || step.prompt == "activity" || step.prompt == "employer" || step.prompt == "startdate":
			b.send(step.answer)
		default:
			b.tap(step.answer)
		}
	}
	b.expect(h.T("placement.review"))
	b.tap(h.T("btn.confirm"))
	b.expect(h.T("placement.duplicate_other", "agency", labourFa, "date", "۸ اسفند ۱۴۰۴"))
}

// Last year's record is corrected in the new year without its old start
// date being called too old.
func TestCorrectLastYearsRecord(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	a := h.liaison(4105, "A", "labour")
	registerOne(h, a, validCode(t, 43))
	h.clock.Advance(300 * 24 * time.Hour) // 1406
	a.send("/records")
	a.expect(strings.Split(h.T("records.title"), "(")[0])
	a.tap(h.T("records.item", "id", "۱", "name", "علی رضایی", "date", "۱۷ خرداد ۱۴۰۵"))
	a.expect(strings.Split(h.T("record.title"), "{")[0])
	a.tap(h.T("btn.correct"))
	a.expect(h.T("record.choose_field"))
	a.tap(h.T("placement.name.label"))
	a.expect(h.T("placement.name.prompt"))
	a.send("علی رضایی‌پور")
	a.expect(h.T("placement.review"))
	a.tap(h.T("btn.confirm"))
	a.expect(h.T("record.corrected", "id", "۱", "count", "۱"))
}

// A sheet sent in the middle of a form keeps the form and says how to send it.
func TestSheetSentMidFormKeepsTheForm(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	p := h.liaison(4106, "A", "labour")
	p.send("/register")
	p.expect(h.T("placement.nationalid.prompt"))
	must[int](t)(p.SendDocument("filled.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", []byte("PK")))
	p.expect(h.T("bulk.flow_open"))
	p.send(string(validCode(t, 44)))
	p.expect(h.T("placement.name.prompt"))
}
