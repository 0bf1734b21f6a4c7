package bot

import (
	"strconv"
	"strings"

	"github.com/rasad-gov/rasad/bot/transport"
	"github.com/rasad-gov/rasad/domain"
)

// Admins keep the list of agencies in the bot: add one, or rename one
// (codes stay: imports and invite links refer to them).

func (b *Bot) cmdAgencies(c *Ctx, _ string) error {
	agencies, err := b.store.Agencies(c)
	if err != nil {
		return err
	}
	var sb strings.Builder
	sb.WriteString(c.N("agencies.title", len(agencies), "count", c.digits(strconv.Itoa(len(agencies)))))
	var rows [][]transport.InlineButton
	for _, a := range agencies {
		sb.WriteString("\n▪️ " + a.Name(c.Lang) + " (" + a.Code + ")")
		rows = append(rows, transport.Row(transport.Button(
			c.T("btn.rename", "name", a.Name(c.Lang)), b.sign.sign(cbAgency, agRename, strconv.FormatInt(a.ID, 10)))))
	}
	rows = append(rows, transport.Row(transport.Button(c.T("btn.add_agency"), b.sign.sign(cbAgency, agAdd))))
	return c.reply(sb.String(), transport.Inline(rows...))
}

// onAgency handles "ag|add" and "ag|ren|<id>".
func (b *Bot) onAgency(c *Ctx, parts []string) error {
	if !c.User.Has(domain.RoleAdmin) {
		return b.refuse(c, "button:agency")
	}
	c.answerCallback("")
	switch {
	case len(parts) == 2 && parts[1] == agAdd:
		return b.startFlow(c, "agency_add", nil)
	case len(parts) == 3 && parts[1] == agRename:
		id, err := parseID(parts[2])
		if err != nil {
			return c.stale()
		}
		a, err := b.store.Agency(c, id)
		if err != nil {
			return b.replyError(c, err)
		}
		return b.startFlow(c, "agency_rename", map[string]string{"id": strconv.FormatInt(a.ID, 10), "name_en": a.NameEn})
	}
	return nil
}

var agencyNameEnStep = Step{Field: "name_en", Input: InputText,
	Parse: func(_ *Ctx, s string) (string, error) {
		if domain.Normalize(s) == "" {
			return "", nil
		}
		return domain.ParseAgencyName(s)
	},
	Shortcuts: []Shortcut{{Label: "btn.skip", Text: func(*Ctx) string { return "" }}},
	Show: func(c *Ctx, v string) string {
		if v == "" {
			return c.T("value.none")
		}
		return v
	},
}

func (b *Bot) agencyAddFlow() *Flow {
	return &Flow{
		Name: "agency_add",
		Steps: []Step{
			{Field: "code", Input: InputText, Parse: func(_ *Ctx, s string) (string, error) { return domain.ParseAgencyCode(s) },
				Check: b.agencyCodeFree},
			{Field: "name_fa", Input: InputText, Parse: func(_ *Ctx, s string) (string, error) { return domain.ParseAgencyName(s) }},
			agencyNameEnStep,
		},
		Begin: requireAdmin,
		Submit: func(c *Ctx, s *Session) error {
			a, err := b.store.CreateAgency(c, domain.Agency{Code: s.Answers["code"], NameFa: s.Answers["name_fa"], NameEn: s.Answers["name_en"], Active: true})
			if err != nil {
				return err
			}
			b.tell(c, c.Chat, c.T("agencies.added", "name", a.Name(c.Lang)), nil)
			return nil
		},
	}
}

func (b *Bot) agencyRenameFlow() *Flow {
	return &Flow{
		Name: "agency_rename",
		Steps: []Step{
			{Field: "name_fa", Input: InputText, Parse: func(_ *Ctx, s string) (string, error) { return domain.ParseAgencyName(s) }},
			agencyNameEnStep,
		},
		Begin: requireAdmin,
		Submit: func(c *Ctx, s *Session) error {
			id, err := parseID(s.Data["id"])
			if err != nil {
				return domain.NotFound("agency.notfound")
			}
			nameEn := s.Answers["name_en"]
			if nameEn == "" {
				nameEn = s.Data["name_en"] // skipped: the English name stays
			}
			if err := b.store.RenameAgency(c, id, s.Answers["name_fa"], nameEn); err != nil {
				return err
			}
			b.tell(c, c.Chat, c.T("agencies.renamed", "name", s.Answers["name_fa"]), nil)
			return nil
		},
	}
}

// agencyCodeFree refuses a taken code at once, not after the names are typed.
func (b *Bot) agencyCodeFree(c *Ctx, _ *Session, code string) error {
	agencies, err := b.store.Agencies(c)
	if err != nil {
		return err
	}
	for _, a := range agencies {
		if a.Code == code {
			return domain.Conflict("agency.exists")
		}
	}
	return nil
}

// requireAdmin is a flow's Begin for admins' flows.
var requireAdmin = requireRole(domain.RoleAdmin)

// targetFlow sets an agency's commitment in one sector for this program
// year; the whole split is loaded with rasad import targets.
func (b *Bot) targetFlow() *Flow {
	return &Flow{
		Name: "target",
		Steps: []Step{
			{Field: "agency", Input: InputChoice, Choices: b.agencyChoices},
			{Field: "sector", Input: InputChoice, Columns: 3, Choices: enumStep(b.cat, "sector", domain.Sectors)},
			{Field: "jobs", Input: InputText, Parse: func(_ *Ctx, s string) (string, error) {
				n, err := strconv.Atoi(domain.Normalize(strings.ReplaceAll(strings.ReplaceAll(s, ",", ""), "٬", "")))
				if err != nil || n < 0 || n > 1_000_000 {
					return "", domain.Invalid("target.jobs")
				}
				return strconv.Itoa(n), nil
			}, Show: func(c *Ctx, v string) string { n, _ := strconv.Atoi(v); return domain.FormatNumber(int64(n), c.Lang) }},
		},
		Begin: requireAdmin,
		Submit: func(c *Ctx, s *Session) error {
			agency, err := parseID(s.Answers["agency"])
			if err != nil {
				return domain.NotFound("agency.notfound")
			}
			jobs, _ := strconv.Atoi(s.Answers["jobs"])
			t := domain.Target{Year: b.cal.ProgramYear(b.now()), AgencyID: agency, Sector: domain.Sector(s.Answers["sector"]), Jobs: jobs}
			if err := b.store.SetTarget(c, t); err != nil {
				return err
			}
			b.tell(c, c.Chat, c.T("target.saved", "year", c.digits(strconv.Itoa(t.Year))), nil)
			return nil
		},
	}
}

func (b *Bot) cmdTargets(c *Ctx, _ string) error { return b.startFlow(c, "target", nil) }
