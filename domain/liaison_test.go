package domain

import (
	"strings"
	"testing"
	"time"
)

func TestLiaisonRequestValidate(t *testing.T) {
	ok := LiaisonRequest{UserID: 10, AgencyID: 2, FullName: "زهرا محمدی", Position: "کارشناس اشتغال", Phone: "+989121234567"}
	tests := []struct {
		name string
		edit func(*LiaisonRequest)
		code string
	}{
		{"ok", func(*LiaisonRequest) {}, ""},
		{"arabic letters in name", func(r *LiaisonRequest) { r.FullName = "زهراء محمدي" }, ""},
		{"no user", func(r *LiaisonRequest) { r.UserID = 0 }, "liaison.user"},
		{"no agency", func(r *LiaisonRequest) { r.AgencyID = 0 }, "liaison.agency"},
		{"no phone", func(r *LiaisonRequest) { r.Phone = "" }, "mobile.missing"},
		{"phone not canonical", func(r *LiaisonRequest) { r.Phone = "09121234567" }, "mobile.format"},
		{"short name", func(r *LiaisonRequest) { r.FullName = "ز" }, "name.short"},
		{"name with digits", func(r *LiaisonRequest) { r.FullName = "زهرا ۱۲" }, "name.chars"},
		{"long name", func(r *LiaisonRequest) { r.FullName = strings.Repeat("ز", 101) }, "name.long"},
		{"no position", func(r *LiaisonRequest) { r.Position = "" }, "title.short"},
		{"long position", func(r *LiaisonRequest) { r.Position = strings.Repeat("ک", 101) }, "title.long"},
		{"control in position", func(r *LiaisonRequest) { r.Position = "کارشناس\x1b[31m" }, "title.chars"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ok
			tt.edit(&r)
			wantCode(t, r.Validate(), tt.code)
		})
	}
}

func TestInviteUsable(t *testing.T) {
	now := time.Date(2025, 5, 1, 12, 0, 0, 0, Tehran())
	tests := []struct {
		name string
		inv  Invite
		code string
	}{
		{"fresh", Invite{ExpiresAt: now.Add(time.Hour)}, ""},
		{"used", Invite{ExpiresAt: now.Add(time.Hour), UsedBy: 5, UsedAt: now.Add(-time.Minute)}, "invite.used"},
		{"used by without time", Invite{ExpiresAt: now.Add(time.Hour), UsedBy: 5}, "invite.used"},
		{"expired", Invite{ExpiresAt: now.Add(-time.Second)}, "invite.expired"},
		{"expires now", Invite{ExpiresAt: now}, "invite.expired"},
		{"no expiry set", Invite{}, "invite.expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.inv.Usable(now)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("Usable = %v", err)
				}
				return
			}
			if KindOf(err) != KindConflict || CodeOf(err) != tt.code {
				t.Fatalf("Usable = %v, want conflict: %s", err, tt.code)
			}
		})
	}
}

func TestInviteCode(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		c := NewInviteCode()
		if !ValidInviteCode(c) {
			t.Fatalf("ValidInviteCode(%q) = false", c)
		}
		if seen[c] {
			t.Fatalf("duplicate code %q", c)
		}
		seen[c] = true
	}
	for _, bad := range []string{
		"", "inv_", "inv_ABCDEFGHIJKLMNO", "inv_ABCDEFGHIJKLMNOPQ", "INV_ABCDEFGHIJKLMNOP",
		"inv_abcdefghijklmnop", "inv_ABCDEFGHIJKLMN01", "inv_ABCDEFGHIJKLMN8Z",
		"inv_ABCDEFGHIJKL'--", "xyz_ABCDEFGHIJKLMNOP", "inv_ABCDEFGHIJKLMNO۲",
	} {
		if ValidInviteCode(bad) {
			t.Errorf("ValidInviteCode(%q) = true", bad)
		}
	}
	if !ValidInviteCode("inv_ABCDEFGHIJKLMN27") {
		t.Error("hand-made valid code rejected")
	}
}
