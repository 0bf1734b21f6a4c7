package bot

import (
	"fmt"
	"strconv"

	"github.com/rasad-gov/rasad/bot/transport"
	"github.com/rasad-gov/rasad/domain"
)

// Liaison sign-up: a person shares their own phone, picks their agency, gives
// name and position, and either waits for an admin's decision or, arriving
// through an invite link, is signed up at once.

func (b *Bot) liaisonFlow() *Flow {
	return &Flow{
		Name: "liaison",
		Steps: []Step{
			ownPhoneStep(),
			{Field: "agency", Input: InputChoice, Choices: b.agencyChoices, Skip: func(s *Session) bool { return s.Data["invite"] != "" }},
			{Field: "name", Input: InputText, Parse: parseAs(domain.ParsePersonName)},
			{Field: "position", Input: InputText, Parse: parseAs(domain.ParseTitle)},
		},
		Begin:  b.liaisonBegin,
		Submit: b.liaisonSubmit,
		Saved: savedRecord(b.store.LiaisonRequestBySubmission, func(c *Ctx, r domain.LiaisonRequest) {
			if r.InviteCode != "" {
				b.tellWelcome(c, r.AgencyID)
			} else {
				b.tellRequested(c)
			}
		}),
	}
}

// parseAs adapts a domain parser to a step parser.
func parseAs[T ~string](parse func(string) (T, error)) func(*Ctx, string) (string, error) {
	return func(_ *Ctx, s string) (string, error) {
		v, err := parse(s)
		return string(v), err
	}
}

func showMobile(c *Ctx, v string) string { return c.digits(domain.Mobile(v).Local()) }

// ownPhoneStep asks for the user's own number by the share-contact button:
// a sign-up's, a stall request's, a person proving who they are.
func ownPhoneStep() Step {
	return Step{Field: "phone", Input: InputContact, Parse: parseAs(domain.ParseMobile), Show: showMobile}
}

// nationalIDStep asks for a person's own national code, which check then
// looks up (an open stall request, their registered job).
func nationalIDStep(check func(*Ctx, *Session, string) error) Step {
	return Step{Field: domain.FieldNationalID, Input: InputText, Parse: parseAs(domain.ParseNationalID), Check: check,
		Example: func(c *Ctx) string { return c.digits(string(domain.ExampleNationalID)) }}
}

func (b *Bot) agencyChoices(c *Ctx, _ *Session) ([]Choice, error) {
	agencies, err := b.store.Agencies(c)
	if err != nil {
		return nil, fmt.Errorf("list agencies: %w", err)
	}
	out := make([]Choice, 0, len(agencies))
	for _, a := range agencies {
		out = append(out, Choice{Value: strconv.FormatInt(a.ID, 10), Label: a.Name(c.Lang)})
	}
	return out, nil
}

func (b *Bot) liaisonBegin(c *Ctx, s *Session) error {
	if c.User.Has(domain.RoleLiaison) {
		return domain.Conflict("liaison.already")
	}
	if s.Data["invite"] != "" {
		return nil
	}
	_, err := b.store.PendingLiaisonRequest(c, c.User.ID)
	switch {
	case err == nil:
		return domain.Conflict("liaison.pending")
	case domain.IsKind(err, domain.KindNotFound):
		return nil
	default:
		return fmt.Errorf("check pending request: %w", err)
	}
}

func (b *Bot) liaisonSubmit(c *Ctx, s *Session) error {
	agencyID, _ := strconv.ParseInt(s.Answers["agency"], 10, 64)
	if s.Data["invite"] != "" {
		agencyID, _ = strconv.ParseInt(s.Data["agency"], 10, 64)
	}
	req := domain.LiaisonRequest{
		UserID:    c.User.ID,
		AgencyID:  agencyID,
		FullName:  s.Answers["name"],
		Position:  s.Answers["position"],
		Phone:     domain.Mobile(s.Answers["phone"]),
		CreatedAt: b.now(),

		Submission: submissionKey(c.Chat, s.ID),
	}
	if code := s.Data["invite"]; code != "" {
		return b.redeemInvite(c, code, req)
	}
	saved, err := b.store.CreateLiaisonRequest(c, req)
	if err != nil {
		return err
	}
	// Saved: from here on nothing fails the submit, or a retry would
	// report a save that happened as failed.
	b.tellRequested(c)
	b.notifyAdmins(c, saved)
	return nil
}

func (b *Bot) tellRequested(c *Ctx) { b.tell(c, c.Chat, c.T("liaison.submitted"), nil) }

// tellWelcome welcomes a liaison of agency id, signed up by an invite.
func (b *Bot) tellWelcome(c *Ctx, id int64) (domain.Agency, bool) {
	agency, err := b.store.Agency(c, id)
	if err != nil {
		b.log.Error("load agency after invite", "err", err)
		b.tell(c, c.Chat, c.T("help.liaison"), nil)
		return domain.Agency{}, false
	}
	b.tell(c, c.Chat, c.T("liaison.welcome", "agency", agency.Name(c.Lang))+"\n\n"+c.T("help.liaison"), nil)
	return agency, true
}

func (b *Bot) redeemInvite(c *Ctx, code string, req domain.LiaisonRequest) error {
	saved, err := b.store.RedeemInvite(c, code, req, b.now())
	if domain.IsKind(err, domain.KindConflict) && saved.UserID == c.User.ID {
		err = nil // their own earlier redemption, repeated: it stands
	}
	if err != nil {
		return err
	}
	c.User.Grants = append(c.User.Grants, domain.Grant{Role: domain.RoleLiaison, AgencyID: saved.AgencyID})
	b.setMenu(c, c.User, c.Lang)
	agency, ok := b.tellWelcome(c, saved.AgencyID)
	if !ok {
		return nil
	}
	// The admin who made the link learns it was used, and by whom.
	if creator, err := b.store.User(c, saved.DecidedBy); err == nil {
		lang := b.langOf(creator)
		b.tell(c, creator.ID, b.cat.T(lang, "admin.invite_used", "name", saved.FullName, "agency", agency.Name(lang)), nil)
	}
	return nil
}

// notifyAdmins sends a new request to every admin with Approve and Reject.
func (b *Bot) notifyAdmins(c *Ctx, r domain.LiaisonRequest) {
	admins, err := b.store.UsersWithRole(c, domain.RoleAdmin)
	if err != nil {
		b.log.Error("list admins", "err", err)
		return
	}
	if len(admins) == 0 {
		b.log.Warn("no admin to approve liaison request", "request", r.ID)
	}
	for _, a := range admins {
		text, kb, err := b.requestMessage(c, b.langOf(a), r)
		if err != nil {
			b.log.Error("describe request", "err", err)
			return
		}
		b.tell(c, a.ID, text, kb)
	}
}

// maxListedRequests bounds /requests; older ones show once these are decided.
const maxListedRequests = 20

// cmdRequests lists pending sign-ups, oldest first, for an admin who missed
// the notification or joined after it was sent.
func (b *Bot) cmdRequests(c *Ctx, _ string) error {
	reqs, err := b.store.PendingLiaisonRequests(c)
	if err != nil {
		return fmt.Errorf("list pending requests: %w", err)
	}
	if len(reqs) == 0 {
		return c.reply(c.T("admin.no_requests"), nil)
	}
	if len(reqs) > maxListedRequests {
		text := c.T("admin.more_requests", "shown", c.digits(strconv.Itoa(maxListedRequests)), "total", c.digits(strconv.Itoa(len(reqs))))
		if err := c.reply(text, nil); err != nil {
			return err
		}
		reqs = reqs[:maxListedRequests]
	}
	for _, r := range reqs {
		text, kb, err := b.requestMessage(c, c.Lang, r)
		if err != nil {
			return err
		}
		if err := c.reply(text, kb); err != nil {
			return err
		}
	}
	return nil
}

// requestMessage describes a request to an admin, with Approve and Reject.
func (b *Bot) requestMessage(c *Ctx, lang string, r domain.LiaisonRequest) (string, transport.InlineKeyboard, error) {
	text, err := b.requestText(c, lang, r)
	if err != nil {
		return "", transport.InlineKeyboard{}, err
	}
	id := strconv.FormatInt(r.ID, 10)
	kb := transport.Inline(transport.Row(
		transport.Button(b.cat.T(lang, "btn.approve"), b.sign.sign(cbLiaison, lrApprove, id)),
		transport.Button(b.cat.T(lang, "btn.reject"), b.sign.sign(cbLiaison, lrReject, id)),
	))
	return text, kb, nil
}

func (b *Bot) requestText(c *Ctx, lang string, r domain.LiaisonRequest) (string, error) {
	agency, err := b.store.Agency(c, r.AgencyID)
	if err != nil {
		return "", fmt.Errorf("load agency: %w", err)
	}
	digits := func(s string) string { return digitsIn(lang, s) }
	return b.cat.T(lang, "admin.request",
		"id", digits(strconv.FormatInt(r.ID, 10)),
		"name", r.FullName,
		"position", r.Position,
		"agency", agency.Name(lang),
		"phone", digits(r.Phone.Local()),
		"date", b.cal.FormatJalaliLang(r.CreatedAt, lang),
	), nil
}

// onLiaisonDecision handles an admin's Approve or Reject: "lr|a|<id>", "lr|r|<id>".
func (b *Bot) onLiaisonDecision(c *Ctx, q *transport.CallbackQuery, parts []string) error {
	if len(parts) != 3 || (parts[1] != lrApprove && parts[1] != lrReject) {
		return c.stale()
	}
	if !c.User.Has(domain.RoleAdmin) {
		return b.refuse(c, "button:liaison-decision")
	}
	id, err := parseID(parts[2])
	if err != nil {
		return c.stale()
	}
	approve := parts[1] == lrApprove
	r, err := b.store.DecideLiaisonRequest(c, id, approve, c.User.ID, b.now())
	switch {
	case domain.IsKind(err, domain.KindConflict):
		// Another admin (or a double tap) decided first.
		status := c.T("liaison.status." + string(r.Status))
		b.closeKeyboard(c, q, status)
		c.answerCallback(c.T("admin.already_decided", "status", status))
		return nil
	case domain.IsKind(err, domain.KindNotFound):
		return c.stale()
	case err != nil:
		return err
	}
	// Decided: the rest only tells people, and never fails the decision.
	status := c.T("liaison.status." + string(r.Status))
	c.answerCallback(status)
	b.closeKeyboard(c, q, status)
	if !b.cfg.EditMessages {
		b.tell(c, c.Chat, c.T("admin.decided", "id", c.digits(strconv.FormatInt(r.ID, 10)), "status", status), nil)
	}
	b.tellApplicant(c, r)
	return nil
}

// tellApplicant tells an applicant the decision, and gives a new liaison
// their menu.
func (b *Bot) tellApplicant(c *Ctx, r domain.LiaisonRequest) {
	applicant, err := b.store.User(c, r.UserID)
	if err != nil {
		b.log.Error("load applicant", "request", r.ID, "err", err)
		return
	}
	lang := b.langOf(applicant)
	if r.Status != domain.RequestApproved {
		b.tell(c, applicant.ID, b.cat.T(lang, "liaison.rejected"), nil)
		return
	}
	b.setMenu(c, applicant, lang)
	text := b.cat.T(lang, "help.liaison")
	if agency, err := b.store.Agency(c, r.AgencyID); err == nil {
		text = b.cat.T(lang, "liaison.welcome", "agency", agency.Name(lang)) + "\n\n" + text
	} else {
		b.log.Error("load agency", "request", r.ID, "err", err)
	}
	b.tell(c, applicant.ID, text, nil)
}

// cmdInvite lets an admin pick the agency an invite link signs up for.
func (b *Bot) cmdInvite(c *Ctx, _ string) error {
	agencies, err := b.agencyChoices(c, nil)
	if err != nil {
		return err
	}
	if len(agencies) == 0 {
		return c.reply(c.T("admin.no_agencies"), nil)
	}
	var rows [][]transport.InlineButton
	for _, a := range agencies {
		rows = append(rows, transport.Row(transport.Button(a.Label, b.sign.sign(cbInvite, a.Value))))
	}
	// Cancel, as under the first step of every form.
	rows = append(rows, transport.Row(transport.Button(c.T("btn.cancel"), b.sign.sign(cbInvite, inviteCancel))))
	return c.reply(c.T("admin.invite_choose"), transport.Inline(rows...))
}

func (b *Bot) onInviteAgency(c *Ctx, parts []string) error {
	if !c.User.Has(domain.RoleAdmin) {
		return b.refuse(c, "button:invite")
	}
	if len(parts) == 2 && parts[1] == inviteCancel {
		c.answerCallback("")
		b.closeKeyboard(c, c.callback, "")
		return c.reply(c.T("flow.cancelled"), nil)
	}
	id, err := parseID(parts[len(parts)-1])
	if len(parts) != 2 || err != nil {
		return c.stale()
	}
	agency, err := b.store.Agency(c, id)
	if err != nil {
		if domain.IsKind(err, domain.KindNotFound) {
			return c.stale()
		}
		return fmt.Errorf("load agency: %w", err)
	}
	now := b.now()
	inv := domain.Invite{Code: domain.NewInviteCode(), AgencyID: id, CreatedBy: c.User.ID, CreatedAt: now, ExpiresAt: now.Add(b.cfg.InviteTTL)}
	if err := b.store.CreateInvite(c, inv); err != nil {
		return fmt.Errorf("create invite: %w", err)
	}
	c.answerCallback("")
	link := b.cfg.LinkBase + b.api.Self().UserName + "?start=" + inv.Code
	return c.reply(c.T("admin.invite_link", "agency", agency.Name(c.Lang), "link", link, "expires", c.date(inv.ExpiresAt)), nil)
}

// startInvite begins sign-up from an invite link's /start payload.
func (b *Bot) startInvite(c *Ctx, code string) error {
	if !domain.ValidInviteCode(code) {
		return b.replyError(c, domain.NotFound("invite.notfound"))
	}
	inv, err := b.store.Invite(c, code)
	if err == nil {
		err = inv.Usable(b.now())
	}
	if err == nil && c.User.Has(domain.RoleLiaison) {
		err = domain.Conflict("liaison.already")
	}
	if err != nil {
		return b.replyError(c, err)
	}
	return b.startFlow(c, "liaison", map[string]string{"invite": code, "agency": strconv.FormatInt(inv.AgencyID, 10)})
}

func (b *Bot) langOf(u domain.User) string {
	if u.Language != "" {
		return u.Language
	}
	return b.cfg.DefaultLanguage
}
