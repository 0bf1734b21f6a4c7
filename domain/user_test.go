package domain

import "testing"

func TestParseRole(t *testing.T) {
	tests := []struct {
		in   string
		want Role
		code string
	}{
		{"admin", RoleAdmin, ""},
		{"manager", RoleManager, ""},
		{"liaison", RoleLiaison, ""},
		{"vendor", RoleVendor, ""},
		{" Manager\u200f ", RoleManager, ""},
		{"ADMIN", RoleAdmin, ""},
		{"", "", "role.unknown"},
		{"root", "", "role.unknown"},
		{"مدیر", "", "role.unknown"},
		{"admins", "", "role.unknown"},
	}
	for _, tt := range tests {
		got, err := ParseRole(tt.in)
		wantCode(t, err, tt.code)
		if got != tt.want {
			t.Errorf("ParseRole(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestUserGrants(t *testing.T) {
	u := User{ID: 1, Grants: []Grant{{Role: RoleManager}, {Role: RoleLiaison, AgencyID: 7}}}
	if !u.Has(RoleManager) || !u.Has(RoleLiaison) || u.Has(RoleAdmin) {
		t.Errorf("Has: %+v", u.Grants)
	}
	if got := u.LiaisonAgency(); got != 7 {
		t.Errorf("LiaisonAgency = %d", got)
	}
	if got := (User{}).LiaisonAgency(); got != 0 {
		t.Errorf("LiaisonAgency of no grants = %d", got)
	}
}
