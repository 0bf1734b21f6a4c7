package main

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rasad-gov/rasad/bot/fakeapi"
	"github.com/rasad-gov/rasad/domain"
	"github.com/rasad-gov/rasad/storage/postgres"
)

const labourFa = "اداره کل تعاون، کار و رفاه اجتماعی استان تهران"

// signUpToReview takes a new liaison from /start to the review screen.
func signUpToReview(h *harness, p person) {
	h.t.Helper()
	p.send("/start")
	p.expect(h.T("start.welcome"))
	p.tap(h.T("role.liaison"))
	m := p.expect(h.T("liaison.phone.prompt"))
	if got := m.ReplyButtons(); !slices.Contains(got, h.T("btn.share_phone")) {
		h.t.Fatalf("phone step keyboard = %v, want the share-contact button", got)
	}
	// Some clients send the contact's digits in Persian.
	must[int](h.t)(p.ShareContact("۰۹۱۲ ۱۲۳ ۴۵۶۷", p.ID()))
	if m := p.expect(h.T("contact.received")); !m.RemoveKeyboard {
		h.t.Fatal("the share-contact keyboard was not removed")
	}
	p.expect(h.T("liaison.agency.prompt"))
	p.tap(labourFa)
	p.expect(h.T("liaison.name.prompt"))
	p.send("  مريم   كريمي ") // Arabic yeh and kaf, stray spaces
	p.expect(h.T("liaison.position.prompt"))
	p.send("كارشناس اشتغال")
}

func TestLiaisonSignUpApproved(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	admin := h.person(adminID, "Admin")
	p := h.person(2001, "Maryam")
	signUpToReview(h, p)

	review := p.expect(h.T("liaison.review"))
	for _, want := range []string{"مریم کریمی", "کارشناس اشتغال", "۰۹۱۲۱۲۳۴۵۶۷", labourFa} {
		if !strings.Contains(review.Text, want) {
			t.Errorf("review lacks %q:\n%s", want, review.Text)
		}
	}
	p.tap(h.T("btn.confirm"))
	p.expect(h.T("liaison.submitted"))

	req := admin.expect("مریم کریمی")
	for _, want := range []string{labourFa, "۰۹۱۲۱۲۳۴۵۶۷", "۱۷ خرداد ۱۴۰۵"} {
		if !strings.Contains(req.Text, want) {
			t.Errorf("admin's request lacks %q:\n%s", want, req.Text)
		}
	}
	if a := admin.tap(h.T("btn.approve")); a.Text != h.T("liaison.status.approved") {
		t.Errorf("approve answered %q", a.Text)
	}
	p.expect(h.T("liaison.welcome", "agency", labourFa))

	u := must[domain.User](t)(h.db.User(context.Background(), p.ID()))
	if !u.Has(domain.RoleLiaison) || u.LiaisonAgency() == 0 {
		t.Errorf("user grants = %+v, want liaison of an agency", u.Grants)
	}
	if u.FullName != "مریم کریمی" || u.Phone != "+989121234567" {
		t.Errorf("user stored as %q %q", u.FullName, u.Phone)
	}
	// The liaison's menu is set for their chat; it has no admin commands.
	cmds := h.srv.Commands(fakeapi.CommandScope{Type: "chat", ChatID: p.ID()})
	if len(cmds) == 0 || slices.ContainsFunc(cmds, func(c fakeapi.Command) bool { return c.Command == "invite" }) {
		t.Errorf("liaison menu = %v", cmds)
	}
	// The decided request's buttons are gone from the admin's message (the
	// edit goes out beside the handling).
	eventually(t, "the decided request's buttons to go", func() bool {
		m, _ := admin.Message(req.ID)
		return len(m.InlineKeyboard) == 0
	})
}

// Two admins deciding one request at the same instant: one decision holds,
// the other admin is told it was already decided, the applicant hears once.
// Bale mode (no edits), so both buttons stay on screen.
func TestTwoAdminsDecideOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *config) {
		c.AdminIDs = append(c.AdminIDs, adminID+1)
		c.EditMessages = false
	})
	a1, a2 := h.person(adminID, "Admin 1"), h.person(adminID+1, "Admin 2")
	p := h.person(2010, "Mina")
	signUpToReview(h, p)
	p.expect(h.T("liaison.review"))
	p.tap(h.T("btn.confirm"))
	p.expect(h.T("liaison.submitted"))
	r1, r2 := a1.expect("مریم کریمی"), a2.expect("مریم کریمی")

	id1 := must[string](t)(a1.Press(r1.ID, h.T("btn.approve")))
	id2 := must[string](t)(a2.Press(r2.ID, h.T("btn.reject")))
	ans1 := must[fakeapi.CallbackAnswer](t)(h.srv.WaitAnswer(id1, wait))
	ans2 := must[fakeapi.CallbackAnswer](t)(h.srv.WaitAnswer(id2, wait))

	u := must[domain.User](t)(h.db.User(context.Background(), p.ID()))
	approved, rejected := h.T("liaison.status.approved"), h.T("liaison.status.rejected")
	winner, loser := ans1, ans2
	if !u.Has(domain.RoleLiaison) {
		winner, loser = ans2, ans1
	}
	if winner.Text != approved && winner.Text != rejected {
		t.Errorf("winning decision answered %q", winner.Text)
	}
	if !strings.HasPrefix(loser.Text, strings.Split(h.T("admin.already_decided"), "{")[0]) {
		t.Errorf("losing decision answered %q", loser.Text)
	}
	if u.Has(domain.RoleLiaison) {
		p.expect(h.T("liaison.welcome", "agency", labourFa))
	} else {
		p.expect(h.T("liaison.rejected"))
	}
	p.expectNothing(300 * time.Millisecond)
}

func TestLiaisonSignUpRejected(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	admin := h.person(adminID, "Admin")
	p := h.person(2002, "Reza")
	signUpToReview(h, p)
	p.expect(h.T("liaison.review"))
	p.tap(h.T("btn.confirm"))
	p.expect(h.T("liaison.submitted"))
	admin.expect("مریم کریمی")
	admin.tap(h.T("btn.reject"))
	p.expect(h.T("liaison.rejected"))
	u := must[domain.User](t)(h.db.User(context.Background(), p.ID()))
	if u.Has(domain.RoleLiaison) {
		t.Error("a rejected applicant became a liaison")
	}
	// They may ask again after a rejection.
	p.send("/start")
	p.expect(h.T("start.welcome"))
	p.tap(h.T("role.liaison"))
	p.expect(h.T("liaison.phone.prompt"))
}

func TestPendingRequestIsNotRepeated(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	p := h.person(2003, "Ali")
	signUpToReview(h, p)
	p.expect(h.T("liaison.review"))
	p.tap(h.T("btn.confirm"))
	p.expect(h.T("liaison.submitted"))
	p.send("/start")
	p.expect(h.T("start.welcome"))
	p.tap(h.T("role.liaison"))
	p.expect(h.T("err.liaison.pending"))
}

func TestReviewEditAndBack(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	p := h.person(2004, "Sara")
	signUpToReview(h, p)
	p.expect(h.T("liaison.review"))

	// Edit one field from the review: only that step is asked, then the review again.
	p.tap(h.T("btn.edit", "field", h.T("liaison.position.label")))
	p.expect(h.T("liaison.position.prompt"))
	p.send("مدیر اشتغال")
	review := p.expect(h.T("liaison.review"))
	if !strings.Contains(review.Text, "مدیر اشتغال") || strings.Contains(review.Text, "کارشناس اشتغال") {
		t.Errorf("review after edit:\n%s", review.Text)
	}
	// Back from the review goes to the last step; back again to the one before.
	p.tap(h.T("btn.back"))
	p.expect(h.T("liaison.position.prompt"))
	p.tap(h.T("btn.back"))
	p.expect(h.T("liaison.name.prompt"))
	p.send("سارا رضایی")
	p.expect(h.T("liaison.position.prompt"))
	p.send("مدیر اشتغال")
	review = p.expect(h.T("liaison.review"))
	if !strings.Contains(review.Text, "سارا رضایی") {
		t.Errorf("review after back:\n%s", review.Text)
	}
	// Back while editing one field returns to the review, not to the steps after it.
	p.tap(h.T("btn.edit", "field", h.T("liaison.name.label")))
	p.expect(h.T("liaison.name.prompt"))
	p.tap(h.T("btn.back"))
	p.expect(h.T("liaison.review"))
	// Change the agency from the review: its buttons come back.
	p.tap(h.T("btn.edit", "field", h.T("liaison.agency.label")))
	p.expect(h.T("liaison.agency.prompt"))
	p.tap("سازمان جهاد کشاورزی استان تهران")
	review = p.expect(h.T("liaison.review"))
	if !strings.Contains(review.Text, "سازمان جهاد کشاورزی استان تهران") {
		t.Errorf("review after agency edit:\n%s", review.Text)
	}
}

func TestBadInputGetsSentenceAndSameStep(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	p := h.person(2005, "Nima")
	p.send("/start")
	p.expect(h.T("start.welcome"))
	p.tap(h.T("role.liaison"))
	p.expect(h.T("liaison.phone.prompt"))

	// Someone else's contact, a typed number, a photo: each refused, same step.
	must[int](t)(p.ShareContact("09127654321", 999))
	p.expect(h.T("err.contact.notown"))
	p.send("09121234567")
	p.expect(h.T("input.want_contact_button"))
	must[int](t)(p.SendPhoto())
	m := p.expect(h.T("input.want_contact"))
	if !strings.Contains(m.Text, h.T("liaison.phone.prompt")) {
		t.Errorf("the step was not asked again: %q", m.Text)
	}
	must[int](t)(p.ShareContact("+98 912 123 4567", p.ID()))
	p.expect(h.T("contact.received"))
	p.expect(h.T("liaison.agency.prompt"))

	// Typing at a choice step: a label works, anything else is refused.
	p.send("هیچ‌کدام")
	p.expect(h.T("err.choice.unknown"))
	p.send("سازمان صنعت، معدن و تجارت استان تهران")
	p.expect(h.T("liaison.name.prompt"))

	for _, bad := range []struct {
		send func() error
		want string
	}{
		{func() error { _, err := p.SendPhoto(); return err }, h.T("input.want_text")},
		{func() error { _, err := p.SendSticker(); return err }, h.T("input.want_text")},
		{func() error { _, err := p.SendVoice(); return err }, h.T("input.want_text")},
		{func() error { _, err := p.SendDocument("a.pdf", "application/pdf", []byte("%PDF")); return err }, h.T("input.want_text")},
		{func() error { _, err := p.SendText("۱۲۳۴"); return err }, h.T("err.name.chars")},
		{func() error { _, err := p.SendText("م"); return err }, h.T("err.name.short")},
		{func() error { _, err := p.SendText(strings.Repeat("ب", 600)); return err }, h.T("input.too_long", "max", "۵۰۰")},
	} {
		if err := bad.send(); err != nil {
			t.Fatal(err)
		}
		m := p.expect(bad.want)
		if !strings.Contains(m.Text, h.T("liaison.name.prompt")) {
			t.Errorf("after %q the step was not asked again: %q", bad.want, m.Text)
		}
	}
	p.send("نیما احمدی")
	p.expect(h.T("liaison.position.prompt"))
}

func TestCancelLeavesNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	p := h.person(2006, "Hadi")
	p.send("/start")
	p.expect(h.T("start.welcome"))
	p.tap(h.T("role.liaison"))
	p.expect(h.T("liaison.phone.prompt"))
	must[int](t)(p.ShareContact("09121112233", p.ID()))
	p.expect(h.T("contact.received"))
	agencyPrompt := p.expect(h.T("liaison.agency.prompt"))
	p.send("/cancel")
	p.expect(h.T("flow.cancelled"))
	// The old prompt's buttons are stale now.
	if a := p.press(agencyPrompt.ID, labourFa); a.Text != h.T("btn.stale") {
		t.Errorf("old button answered %q", a.Text)
	}
	p.send("سلام")
	p.expect(h.T("help.unknown"))
	if _, err := h.db.PendingLiaisonRequest(context.Background(), p.ID()); !domain.IsKind(err, domain.KindNotFound) {
		t.Errorf("cancelled flow left a request: %v", err)
	}
	p.send("/cancel")
	p.expect(h.T("flow.nothing_to_cancel"))
}

func TestAbandonedFlowExpires(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *config) { c.SessionTTL = 700 * time.Millisecond })
	p := h.person(2007, "Leila")
	p.send("/start")
	p.expect(h.T("start.welcome"))
	p.tap(h.T("role.liaison"))
	p.expect(h.T("liaison.phone.prompt"))
	must[int](t)(p.ShareContact("09121112233", p.ID()))
	p.expect(h.T("contact.received"))
	prompt := p.expect(h.T("liaison.agency.prompt"))
	time.Sleep(time.Second) // Redis expires the key on its own clock
	if a := p.press(prompt.ID, labourFa); a.Text != h.T("btn.stale") {
		t.Errorf("button of an expired flow answered %q", a.Text)
	}
	p.send("مریم")
	p.expect(h.T("help.unknown"))
	if _, err := h.db.PendingLiaisonRequest(context.Background(), p.ID()); !domain.IsKind(err, domain.KindNotFound) {
		t.Errorf("expired flow left a request: %v", err)
	}
}

// An admin who missed the notification finds pending requests with /requests
// and decides from there; their menu offers the admin commands.
func TestAdminListsPendingRequests(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	admin := h.person(adminID, "Admin")
	admin.send("/start")
	admin.expect(h.T("start.back", "name", "Admin"))
	cmds := h.srv.Commands(fakeapi.CommandScope{Type: "chat", ChatID: adminID})
	for _, want := range []string{"requests", "invite", "help", "cancel"} {
		if !slices.ContainsFunc(cmds, func(c fakeapi.Command) bool { return c.Command == want }) {
			t.Errorf("admin menu %v lacks /%s", cmds, want)
		}
	}
	admin.send("/requests")
	admin.expect(h.T("admin.no_requests"))

	p := h.person(2020, "Hoda")
	signUpToReview(h, p)
	p.expect(h.T("liaison.review"))
	p.tap(h.T("btn.confirm"))
	p.expect(h.T("liaison.submitted"))
	admin.expect("مریم کریمی") // the notification

	admin.send("/requests")
	listed := admin.expect("مریم کریمی")
	admin.press(listed.ID, h.T("btn.approve"))
	p.expect(h.T("liaison.welcome", "agency", labourFa))
	admin.send("/requests")
	admin.expect(h.T("admin.no_requests"))
}

// A review shown before an edit is stale: confirming it would save values
// it does not show.
func TestOldReviewCannotBeConfirmed(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *config) { c.EditMessages = false })
	p := h.person(2030, "Yasaman")
	signUpToReview(h, p)
	old := p.expect(h.T("liaison.review"))
	p.tap(h.T("btn.edit", "field", h.T("liaison.position.label")))
	p.expect(h.T("liaison.position.prompt"))
	p.send("مدیر")
	p.expect(h.T("liaison.review"))
	if a := p.press(old.ID, h.T("btn.confirm")); a.Text != h.T("btn.stale") {
		t.Errorf("old review's confirm answered %q", a.Text)
	}
	if _, err := h.db.PendingLiaisonRequest(context.Background(), p.ID()); !domain.IsKind(err, domain.KindNotFound) {
		t.Errorf("old review saved a request: %v", err)
	}
}

// A modified client can send any callback data. Data the bot did not sign,
// or an admin's action from someone who is not one, is refused and changes
// nothing.
func TestForgedButtonsRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	admin := h.person(adminID, "Admin")
	p := h.person(2040, "Mallory")
	signUpToReview(h, p)
	review := p.expect(h.T("liaison.review"))
	p.tap(h.T("btn.confirm"))
	p.expect(h.T("liaison.submitted"))
	req := admin.expect("مریم کریمی")
	approve, _ := req.Button(h.T("btn.approve"))

	for _, data := range []string{
		"lr|a|1",                 // unsigned approval
		"lr|a|1~AAAAAAAAAAA",     // badly signed
		"f|x|1|ok|~AAAAAAAAAAA",  // a flow button of no session
		approve.Data,             // a real admin button, pressed by a non-admin
		strings.Repeat("z", 300), // garbage
	} {
		id := must[string](t)(p.PressData(review.ID, data))
		a := must[fakeapi.CallbackAnswer](t)(h.srv.WaitAnswer(id, wait))
		if a.Text != h.T("btn.stale") && a.Text != h.T("err.forbidden") {
			t.Errorf("forged %q answered %q", data, a.Text)
		}
	}
	u := must[domain.User](t)(h.db.User(context.Background(), p.ID()))
	if u.Has(domain.RoleLiaison) {
		t.Error("a forged approval made a liaison")
	}
	// The request is still pending for a real admin.
	admin.press(req.ID, h.T("btn.approve"))
	p.expect(h.T("liaison.welcome", "agency", labourFa))
}

func TestAdminAddsAndRenamesAgencies(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	admin := h.person(adminID, "Admin")
	admin.send("/agencies")
	admin.expect(h.T("agencies.title", "count", "۳"))
	admin.tap(h.T("btn.add_agency"))
	admin.expect(h.T("agency_add.code.prompt"))
	admin.send("Labour") // taken (codes are lower-cased): asked again at once
	admin.expect(h.T("err.agency.exists"))
	admin.send("ویژه")
	admin.expect(h.T("err.agency.code"))
	admin.send("welfare")
	admin.expect(h.T("agency_add.name_fa.prompt"))
	admin.send("اداره کل بهزيستي استان تهران")
	admin.expect(h.T("agency_add.name_en.prompt"))
	admin.send("Welfare")
	admin.expect(h.T("agency_add.review"))
	admin.tap(h.T("btn.confirm"))
	admin.expect(h.T("agencies.added", "name", "اداره کل بهزیستی استان تهران"))

	admin.send("/agencies")
	admin.expect(h.T("agencies.title", "count", "۴"))
	admin.tap(h.T("btn.rename", "name", "اداره کل بهزیستی استان تهران"))
	admin.expect(h.T("agency_rename.name_fa.prompt"))
	admin.send("سازمان بهزیستی استان تهران")
	admin.expect(h.T("agency_rename.name_en.prompt"))
	admin.tap(h.T("btn.skip")) // keeps "Welfare"
	admin.expect(h.T("agency_rename.review"))
	admin.tap(h.T("btn.confirm"))
	admin.expect(h.T("agencies.renamed", "name", "سازمان بهزیستی استان تهران"))
	a := must[domain.Agency](t)(agencyByCode(context.Background(), h.db, "welfare"))
	if a.NameFa != "سازمان بهزیستی استان تهران" || a.NameEn != "Welfare" {
		t.Errorf("agency = %+v", a)
	}

	// Not for others, and the refusal is kept.
	p := h.person(2050, "Liaison")
	p.send("/agencies")
	p.expect(h.T("refused.admin"))
	refusals := must[[]postgres.Refusal](t)(h.db.Refusals(context.Background(), time.Time{}))
	if len(refusals) != 1 || refusals[0].TelegramID != 2050 || refusals[0].Action != "command:agencies" {
		t.Errorf("refusals %+v", refusals)
	}
}

// An admin made by ADMIN_IDS, who never chose a language, is spoken to in
// DEFAULT_LANGUAGE, not in Persian.
func TestGrantedUserSpeaksTheDefaultLanguage(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *config) { c.Language = "en" })
	admin := h.person(adminID, "Admin")
	admin.send("/help")
	admin.expect(strings.Split(h.cat.T("en", "help.admin"), "\n")[0])
}
