package bot

import (
	"context"
	"fmt"
	"slices"

	"github.com/rasad-gov/rasad/bot/transport"
	"github.com/rasad-gov/rasad/domain"
)

// command is one slash command. Roles empty means everyone may use it; the
// command menu each user sees is built from this table.
type command struct {
	Name  string
	Roles []domain.Role
	Run   func(c *Ctx, args string) error
}

func (b *Bot) commandTable() []command {
	return []command{
		{Name: "start", Run: b.cmdStart},
		{Name: "help", Run: b.cmdHelp},
		{Name: "cancel", Run: b.cmdCancel},
		{Name: "language", Run: b.cmdLanguage},
		{Name: "stall", Run: b.cmdStall},
		{Name: "status", Run: b.cmdStatus},
		{Name: "myjob", Run: b.cmdMyJob},
		{Name: "register", Roles: []domain.Role{domain.RoleLiaison}, Run: b.cmdRegister},
		{Name: "records", Roles: []domain.Role{domain.RoleLiaison}, Run: b.cmdRecords},
		{Name: "template", Roles: []domain.Role{domain.RoleLiaison}, Run: b.cmdTemplate},
		{Name: "summary", Roles: []domain.Role{domain.RoleManager, domain.RoleAdmin}, Run: b.cmdSummary},
		{Name: "idle", Roles: []domain.Role{domain.RoleManager, domain.RoleAdmin}, Run: b.cmdIdle},
		{Name: "export", Roles: []domain.Role{domain.RoleManager, domain.RoleAdmin}, Run: b.cmdExport},
		{Name: "mute", Roles: []domain.Role{domain.RoleManager}, Run: b.cmdMute},
		{Name: "unmute", Roles: []domain.Role{domain.RoleManager}, Run: b.cmdUnmute},
		{Name: "requests", Roles: []domain.Role{domain.RoleAdmin}, Run: b.cmdRequests},
		{Name: "invite", Roles: []domain.Role{domain.RoleAdmin}, Run: b.cmdInvite},
		{Name: "agencies", Roles: []domain.Role{domain.RoleAdmin}, Run: b.cmdAgencies},
		{Name: "markets", Roles: []domain.Role{domain.RoleAdmin}, Run: b.cmdMarkets},
		{Name: "targets", Roles: []domain.Role{domain.RoleAdmin}, Run: b.cmdTargets},
		{Name: "verify", Roles: []domain.Role{domain.RoleVerifier}, Run: b.cmdVerify},
		{Name: "visit", Roles: []domain.Role{domain.RoleInspector}, Run: b.cmdVisit},
		{Name: "sample", Roles: []domain.Role{domain.RoleAdmin}, Run: b.cmdSample},
		{Name: "contests", Roles: []domain.Role{domain.RoleAdmin}, Run: b.cmdContests},
	}
}

func (cmd command) allowed(u domain.User) bool {
	return len(cmd.Roles) == 0 || slices.ContainsFunc(cmd.Roles, u.Has)
}

func (b *Bot) runCommand(c *Ctx, name, args string) error {
	for _, cmd := range b.commands {
		if cmd.Name != name {
			continue
		}
		if !cmd.allowed(c.User) {
			// Say whom the command is for, so a newcomer knows the way
			// ("only agency liaisons register; send /start to sign up").
			return b.refuseWith(c, "command:"+name, "refused."+string(cmd.Roles[0]))
		}
		return cmd.Run(c, args)
	}
	return c.reply(c.T("help.unknown_command"), nil)
}

// menu is the command list user sees in their client's menu.
func (b *Bot) menu(u domain.User, lang string) []transport.Command {
	var out []transport.Command
	for _, cmd := range b.commands {
		if cmd.allowed(u) {
			out = append(out, transport.Command{Command: cmd.Name, Description: b.cat.T(lang, "cmd."+cmd.Name)})
		}
	}
	return out
}

// SetDefaultCommands sets the menu everyone sees before they have a role.
// A platform without setMyCommands (Bale) only gets a log line.
func (b *Bot) SetDefaultCommands(ctx context.Context) {
	for _, lang := range Languages {
		cfg := transport.SetCommands{Commands: b.menu(domain.User{}, lang)}
		if lang != b.cfg.DefaultLanguage {
			cfg.Language = lang
		}
		if err := b.send.Request(ctx, 0, cfg); err != nil {
			b.log.Warn("set default commands", "lang", lang, "err", err)
		}
	}
}

// setMenu sets the commands of one user's chat after their roles change.
func (b *Bot) setMenu(ctx context.Context, u domain.User, lang string) {
	cfg := transport.SetCommands{Commands: b.menu(u, lang), Chat: u.ID}
	// Chat 0: a platform refusing setMyCommands (403 on some) must not
	// mark the user as having blocked the bot.
	if err := b.send.Request(ctx, 0, cfg); err != nil {
		b.log.Warn("set chat commands", "user", u.ID, "err", err)
	}
}

func (b *Bot) cmdStart(c *Ctx, args string) error {
	if !c.Known || c.User.FullName == "" {
		// New, or granted a role from the command line before writing:
		// keep the name their account shows until they give their own.
		if c.User.FullName == "" {
			c.User.FullName = c.tgName
		}
		if err := b.store.UpsertUser(c, c.User); err != nil {
			return fmt.Errorf("save user: %w", err)
		}
		c.Known = true
	}
	if args == startMyJob {
		return b.startFlow(c, "myjob", nil)
	}
	if args != "" {
		return b.startInvite(c, args)
	}
	if c.session != nil {
		// /start abandons the flow in progress, and says so (which also
		// clears a share-contact keyboard it may have shown).
		if err := b.cancelFlow(c, c.session); err != nil {
			return err
		}
	}
	b.setMenu(c, c.User, c.Lang)
	if len(c.User.Grants) > 0 {
		return c.reply(c.T("start.back", "name", c.User.FullName)+"\n\n"+b.helpText(c), transport.RemoveKeyboard{})
	}
	kb := transport.Inline(
		transport.Row(transport.Button(c.T("role.vendor"), b.sign.sign(cbRole, roleVendor))),
		transport.Row(transport.Button(c.T("role.liaison"), b.sign.sign(cbRole, roleLiaison))),
	)
	return c.reply(c.T("start.welcome"), kb)
}

func (b *Bot) onRoleChoice(c *Ctx, parts []string) error {
	if len(parts) != 2 || (parts[1] != roleLiaison && parts[1] != roleVendor) {
		return c.stale()
	}
	c.answerCallback("")
	return b.startFlow(c, parts[1], nil)
}

func (b *Bot) cmdStall(c *Ctx, _ string) error { return b.startFlow(c, "stall", nil) }

func (b *Bot) helpText(c *Ctx) string {
	text := ""
	for _, r := range domain.Roles {
		if c.User.Has(r) {
			text += c.T("help."+string(r)) + "\n\n"
		}
	}
	return text + c.T("help.common")
}

func (b *Bot) cmdHelp(c *Ctx, _ string) error {
	text := b.helpText(c)
	if c.session != nil {
		// Mid-flow, help also repeats what the current step wants.
		err := c.reply(text, nil)
		if err != nil {
			return err
		}
		return b.prompt(c, b.flows[c.session.Flow], c.session, "")
	}
	return c.reply(text, nil)
}

func (b *Bot) cmdCancel(c *Ctx, _ string) error {
	if c.session == nil {
		return c.reply(c.T("flow.nothing_to_cancel"), transport.RemoveKeyboard{})
	}
	return b.cancelFlow(c, c.session)
}

func (b *Bot) cmdLanguage(c *Ctx, _ string) error {
	var row []transport.InlineButton
	for _, lang := range Languages {
		row = append(row, transport.Button(b.cat.T(lang, "lang.name"), b.sign.sign(cbLanguage, lang)))
	}
	return c.reply(c.T("lang.choose"), transport.Inline(row))
}

func (b *Bot) onLanguage(c *Ctx, parts []string) error {
	if len(parts) != 2 || !slices.Contains(Languages, parts[1]) {
		return c.stale()
	}
	c.Lang, c.User.Language = parts[1], parts[1]
	var err error
	if c.Known {
		err = b.store.SetLanguage(c, c.User.ID, c.Lang)
	} else {
		err = b.store.UpsertUser(c, c.User)
	}
	if err != nil {
		return fmt.Errorf("save language: %w", err)
	}
	c.answerCallback(c.T("lang.set"))
	b.setMenu(c, c.User, c.Lang)
	return c.reply(c.T("lang.set"), nil)
}
