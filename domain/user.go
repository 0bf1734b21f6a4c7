package domain

import (
	"slices"
	"strings"
	"time"
)

// Role is what a user may do. A user holds any number of roles.
type Role string

const (
	RoleAdmin     Role = "admin"     // operator: approves liaisons, keeps agencies, grants roles
	RoleManager   Role = "manager"   // receives the daily summary
	RoleLiaison   Role = "liaison"   // registers placements for one agency
	RoleVendor    Role = "vendor"    // requests market stalls
	RoleVerifier  Role = "verifier"  // calls the people in the sample
	RoleInspector Role = "inspector" // visits what no call could settle
)

// Roles lists every role, in the order menus show them.
var Roles = []Role{RoleAdmin, RoleManager, RoleLiaison, RoleVendor, RoleVerifier, RoleInspector}

// ParseRole accepts a role's name as typed on the command line, in any case.
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToLower(Normalize(s)))
	if slices.Contains(Roles, r) {
		return r, nil
	}
	return "", Invalid("role.unknown")
}

// Grant is one role held by a user. AgencyID is set for liaisons only.
type Grant struct {
	Role      Role
	AgencyID  int64
	GrantedBy int64 // Telegram id of the admin, 0 for the command line
	GrantedAt time.Time
}

// User is a person who has talked to the bot, keyed by Telegram user id.
type User struct {
	ID        int64 // Telegram user id; in private chats also the chat id
	FullName  string
	Phone     Mobile // empty until shared
	Language  string // "fa" or "en"
	Active    bool   // false once the user blocked the bot
	Grants    []Grant
	CreatedAt time.Time
}

// Has reports whether the user holds role r.
func (u User) Has(r Role) bool {
	return slices.ContainsFunc(u.Grants, func(g Grant) bool { return g.Role == r })
}

// LiaisonAgency is the agency the user registers placements for, or 0.
func (u User) LiaisonAgency() int64 {
	for _, g := range u.Grants {
		if g.Role == RoleLiaison {
			return g.AgencyID
		}
	}
	return 0
}
