package bot

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/rasad-gov/rasad/bot/transport"
	"github.com/rasad-gov/rasad/domain"
)

// Stall requests: a vendor, often with little schooling, asks for a stall
// with buttons wherever possible: own phone by the contact button, national
// code, name, gender, whether she heads her household, what they sell,
// street or home business, and up to three markets of one area in order of
// preference. One open request per person per program year.

// noMore is the value of "no more markets" at the second and third choice.
const noMore = "-"

// regionMarkets is the session's note of how many markets the chosen area
// has: the market steps beyond it are not asked.
const regionMarkets = "region_markets"

func (b *Bot) stallFlow() *Flow {
	market := func(rank int) Step {
		st := Step{Field: "market" + strconv.Itoa(rank), Input: InputChoice, Columns: 1,
			Choices: func(c *Ctx, s *Session) ([]Choice, error) { return b.marketChoices(c, s, rank) },
			Show:    func(c *Ctx, v string) string { return b.marketName(c, v) }}
		if rank > 1 {
			// Not asked when "none" would be its only answer: no more
			// was chosen, or the area has no market left to choose.
			prev := "market" + strconv.Itoa(rank-1)
			st.Skip = func(s *Session) bool {
				n, _ := strconv.Atoi(s.Data[regionMarkets])
				return s.Answers[prev] == noMore || rank > 2 && s.Answers["market1"] == noMore || rank > n
			}
		}
		return st
	}
	return &Flow{
		Name: "stall",
		Steps: []Step{
			ownPhoneStep(),
			nationalIDStep(b.checkOpenRequest),
			{Field: "name", Input: InputText, Parse: parseAs(domain.ParsePersonName)},
			{Field: "gender", Input: InputChoice, Columns: 2, Choices: enumStep(b.cat, "gender", domain.Genders)},
			{Field: "femalehead", Input: InputChoice, Columns: 2, Choices: b.yesNo,
				Skip: func(s *Session) bool { return s.Answers["gender"] != string(domain.GenderFemale) }},
			{Field: "category", Input: InputChoice, Columns: 2, Choices: enumStep(b.cat, "category", domain.ProductCategories)},
			{Field: "vendorkind", Input: InputChoice, Columns: 1, Choices: enumStep(b.cat, "vendorkind", domain.VendorKinds)},
			{Field: "region", Input: InputChoice, Columns: 2, Choices: b.regionChoices, Check: b.checkRegion},
			market(1), market(2), market(3),
		},
		Begin:  b.stallBegin,
		Submit: b.stallSubmit,
		Saved:  savedRecord(b.store.StallRequestBySubmission, b.tellStallSubmitted),
	}
}

// enumStep is the Choices of a step answered by one of values, labelled
// "<name>.<value>" in the catalogue.
func enumStep[T ~string](cat *Catalogue, name string, values []T) func(*Ctx, *Session) ([]Choice, error) {
	return func(c *Ctx, _ *Session) ([]Choice, error) { return enumChoices(cat, name, values, c.Lang), nil }
}

func (b *Bot) yesNo(c *Ctx, _ *Session) ([]Choice, error) {
	return []Choice{{Value: "yes", Label: c.T("btn.yes")}, {Value: "no", Label: c.T("btn.no")}}, nil
}

// region is where markets are: a Tehran district ("t15") or another county.
func regionOf(m domain.Market) string {
	if m.County == domain.TehranCounty {
		return "t" + strconv.Itoa(m.District)
	}
	return m.County
}

func (b *Bot) regionLabel(c *Ctx, region string) string {
	if n, ok := strings.CutPrefix(region, "t"); ok {
		if _, err := strconv.Atoi(n); err == nil {
			return c.T("region.district", "n", c.digits(n))
		}
	}
	if county, ok := domain.CountyByCode(region); ok {
		if c.Lang == "en" {
			return county.NameEn
		}
		return county.NameFa
	}
	return region
}

// requestableMarkets are the markets of region ("": of every region) a
// vendor may ask for: a park bazaar whose season is over is not offered.
func (b *Bot) requestableMarkets(c *Ctx, region string) ([]domain.Market, error) {
	markets, err := b.store.Markets(c)
	if err != nil {
		return nil, fmt.Errorf("list markets: %w", err)
	}
	now := b.now()
	out := markets[:0]
	for _, m := range markets {
		if (region == "" || regionOf(m) == region) && !m.SeasonOver(now) {
			out = append(out, m)
		}
	}
	return out, nil
}

func (b *Bot) regionChoices(c *Ctx, _ *Session) ([]Choice, error) {
	markets, err := b.requestableMarkets(c, "")
	if err != nil {
		return nil, err
	}
	var out []Choice
	for _, m := range markets {
		r := regionOf(m)
		if !slices.ContainsFunc(out, func(ch Choice) bool { return ch.Value == r }) {
			out = append(out, Choice{Value: r, Label: b.regionLabel(c, r)})
		}
	}
	return out, nil
}

// checkRegion notes how many markets the chosen area has and, when the
// area changes, forgets the markets chosen in the old one.
func (b *Bot) checkRegion(c *Ctx, s *Session, region string) error {
	markets, err := b.requestableMarkets(c, region)
	if err != nil {
		return err
	}
	if len(markets) == 0 {
		return domain.NotFound("market.notfound")
	}
	if s.Answers["region"] != region {
		for r := 1; r <= domain.MaxPreferences; r++ {
			delete(s.Answers, "market"+strconv.Itoa(r))
		}
	}
	s.Data[regionMarkets] = strconv.Itoa(len(markets))
	return nil
}

// marketChoices are the markets of the chosen area not yet chosen, and from
// the second choice on, "no more".
func (b *Bot) marketChoices(c *Ctx, s *Session, rank int) ([]Choice, error) {
	markets, err := b.requestableMarkets(c, s.Answers["region"])
	if err != nil {
		return nil, err
	}
	var out []Choice
	for _, m := range markets {
		id := strconv.FormatInt(m.ID, 10)
		chosen := false
		for r := 1; r < rank; r++ {
			chosen = chosen || s.Answers["market"+strconv.Itoa(r)] == id
		}
		if !chosen {
			out = append(out, Choice{Value: id, Label: b.marketLabel(c, m)})
		}
	}
	if rank > 1 {
		out = append(out, Choice{Value: noMore, Label: c.T("btn.no_more_markets")})
	}
	return out, nil
}

// marketLabel names a market with its days, and a park bazaar with its
// season, so a vendor can choose by them.
func (b *Bot) marketLabel(c *Ctx, m domain.Market) string {
	when := b.weekdays(c, m)
	if m.Kind == domain.MarketPark {
		when += c.T("market.season", "start", c.date(m.SeasonStart), "end", c.date(m.SeasonEnd))
	}
	return b.marketTitle(c, m) + " (" + when + ")"
}

// marketTitle is a market's name in the reader's digits: names are stored
// normalized, with ASCII digits, so they compare and sort alike.
func (b *Bot) marketTitle(c *Ctx, m domain.Market) string {
	return c.digits(m.Name(c.Lang))
}

func (b *Bot) marketName(c *Ctx, id string) string {
	if id == noMore || id == "" {
		return c.T("value.none")
	}
	mid, err := parseID(id)
	if err != nil {
		return id
	}
	m, err := b.store.Market(c, mid)
	if err != nil {
		return id
	}
	return b.marketLabel(c, m)
}

// stallBegin shows the open request of this year the user's own account
// made, before asking for their phone and national code.
func (b *Bot) stallBegin(c *Ctx, _ *Session) error {
	reqs, err := b.store.UserStallRequests(c, c.User.ID, b.cal.ProgramYear(b.now()))
	if err != nil {
		return fmt.Errorf("list requests: %w", err)
	}
	for _, r := range reqs {
		if r.State.Open() {
			b.tellOpenRequest(c, r)
			return ErrEndFlow
		}
	}
	return nil
}

// checkOpenRequest shows a person's open request of this year instead of
// taking a second one: one made from another account.
func (b *Bot) checkOpenRequest(c *Ctx, s *Session, value string) error {
	r, err := b.store.OpenStallRequest(c, b.cal.ProgramYear(b.now()), domain.NationalID(value))
	switch {
	case domain.IsKind(err, domain.KindNotFound):
		return nil
	case err != nil:
		return fmt.Errorf("check open request: %w", err)
	}
	b.tellOpenRequest(c, r)
	return ErrEndFlow
}

// tellOpenRequest shows the person their open request; someone else who
// typed their national code learns only that it has one.
func (b *Bot) tellOpenRequest(c *Ctx, r domain.StallRequest) {
	if r.UserID != c.User.ID {
		b.log.Warn("stall request of another user's national code refused", "user", c.User.ID)
		b.tell(c, c.Chat, c.T("stall.code_has_open"), transport.RemoveKeyboard{})
		return
	}
	b.tell(c, c.Chat, c.T("stall.already_open")+"\n\n"+b.describeRequest(c, r), b.requestKeyboard(c, r))
}

func (b *Bot) stallSubmit(c *Ctx, s *Session) error {
	now := b.now()
	r := domain.StallRequest{
		ProgramYear: b.cal.ProgramYear(now),
		UserID:      c.User.ID,
		NationalID:  domain.NationalID(s.Answers["nationalid"]),
		FullName:    s.Answers["name"],
		Phone:       domain.Mobile(s.Answers["phone"]),
		Gender:      domain.Gender(s.Answers["gender"]),
		FemaleHead:  s.Answers["gender"] == string(domain.GenderFemale) && s.Answers["femalehead"] == "yes",
		Category:    domain.ProductCategory(s.Answers["category"]),
		VendorKind:  domain.VendorKind(s.Answers["vendorkind"]),
		Submission:  submissionKey(c.Chat, s.ID),
	}
	for i := 1; i <= domain.MaxPreferences; i++ {
		v := s.Answers["market"+strconv.Itoa(i)]
		if v == noMore || v == "" {
			break
		}
		id, err := parseID(v)
		if err != nil {
			return domain.NotFound("market.notfound")
		}
		r.Markets = append(r.Markets, id)
	}
	if errs := r.Check(); len(errs) > 0 {
		return errs[0]
	}
	saved, err := b.store.CreateStallRequest(c, r, now)
	if domain.IsKind(err, domain.KindConflict) && saved.ID != 0 {
		b.tellOpenRequest(c, saved)
		return nil
	}
	if err != nil {
		return err
	}
	if !c.User.Has(domain.RoleVendor) {
		if err := b.store.GrantRole(c, c.User.ID, domain.Grant{Role: domain.RoleVendor}); err != nil {
			b.log.Error("grant vendor role", "err", err)
		} else {
			c.User.Grants = append(c.User.Grants, domain.Grant{Role: domain.RoleVendor})
			b.setMenu(c, c.User, c.Lang)
		}
	}
	b.tellStallSubmitted(c, saved)
	return nil
}

func (b *Bot) tellStallSubmitted(c *Ctx, r domain.StallRequest) {
	b.tell(c, c.Chat, c.T("stall.submitted")+"\n\n"+b.describeRequest(c, r), nil)
}

// describeRequest says where a request stands, in plain words.
func (b *Bot) describeRequest(c *Ctx, r domain.StallRequest) string {
	date := c.date(r.CreatedAt)
	switch r.State {
	case domain.StallWaiting:
		var lines []string
		for _, id := range r.Markets {
			m, err := b.store.Market(c, id)
			if err != nil {
				continue
			}
			pos := 0
			if waiting, err := b.store.WaitingFor(c, id, r.ProgramYear); err == nil {
				pos = domain.Position(m, waiting, r.ID)
			}
			lines = append(lines, c.T("stall.position", "market", b.marketTitle(c, m), "n", c.digits(strconv.Itoa(pos))))
		}
		return c.T("stall.state.waiting", "date", date) + "\n" + strings.Join(lines, "\n")
	case domain.StallOffered, domain.StallAllocated:
		m, err := b.store.Market(c, r.MarketID)
		if err != nil {
			return c.T("stall.state." + string(r.State))
		}
		return c.T("stall.state."+string(r.State), "market", b.marketTitle(c, m), "stall", c.digits(strconv.Itoa(r.Stall)),
			"days", b.weekdays(c, m), "deadline", c.date(r.Deadline)+" "+c.digits(b.cal.In(r.Deadline).Format("15:04")))
	default:
		// Closed: say how to ask again.
		return c.T("stall.state."+string(r.State), "date", date) + "\n" + c.T("stall.again")
	}
}

func (b *Bot) weekdays(c *Ctx, m domain.Market) string {
	var days []string
	for _, d := range m.Weekdays {
		days = append(days, c.T("weekday."+domain.WeekdayCode(d)))
	}
	return strings.Join(days, "، ")
}

// cmdStatus shows the user's stall requests of this year.
func (b *Bot) cmdStatus(c *Ctx, _ string) error {
	reqs, err := b.store.UserStallRequests(c, c.User.ID, b.cal.ProgramYear(b.now()))
	if err != nil {
		return fmt.Errorf("list requests: %w", err)
	}
	if len(reqs) == 0 {
		return c.reply(c.T("stall.none"), nil)
	}
	for _, r := range reqs {
		if err := c.reply(b.describeRequest(c, r), b.requestKeyboard(c, r)); err != nil {
			return err
		}
	}
	return nil
}

// requestKeyboard is what a vendor can do with request r as it stands:
// answer an offer, or withdraw from the line; nil when nothing.
func (b *Bot) requestKeyboard(c *Ctx, r domain.StallRequest) transport.Markup {
	switch r.State {
	case domain.StallOffered:
		return b.offerKeyboard(c.Lang, r)
	case domain.StallWaiting:
		return transport.Inline(transport.Row(
			transport.Button(c.T("btn.cancel_request"), b.sign.sign(cbStall, stallCancel, strconv.FormatInt(r.ID, 10)))))
	}
	return nil
}

func (b *Bot) offerKeyboard(lang string, r domain.StallRequest) transport.InlineKeyboard {
	id := strconv.FormatInt(r.ID, 10)
	return transport.Inline(transport.Row(
		transport.Button(b.cat.T(lang, "btn.accept"), b.sign.sign(cbOffer, offerAccept, id)),
		transport.Button(b.cat.T(lang, "btn.decline"), b.sign.sign(cbOffer, offerAsk, id)),
	))
}

// onStallCancel withdraws a waiting request: "st|x|<request>".
func (b *Bot) onStallCancel(c *Ctx, parts []string) error {
	if len(parts) != 3 || parts[1] != stallCancel {
		return c.stale()
	}
	id, err := parseID(parts[2])
	if err != nil {
		return c.stale()
	}
	_, err = b.store.CancelStallRequest(c, id, c.User.ID, b.now())
	switch {
	case domain.IsKind(err, domain.KindForbidden):
		return b.refuse(c, "button:stall-request-of-another")
	case domain.IsKind(err, domain.KindConflict), domain.IsKind(err, domain.KindNotFound):
		return c.stale()
	case err != nil:
		return err
	}
	c.answerCallback(c.T("stall.cancelled"))
	b.closeKeyboard(c, c.callback, c.T("stall.cancelled"))
	b.tell(c, c.Chat, c.T("stall.cancelled"), nil)
	return nil
}
