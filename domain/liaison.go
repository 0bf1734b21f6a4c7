package domain

import (
	"crypto/rand"
	"time"
)

// RequestStatus is where a liaison's sign-up request stands.
type RequestStatus string

const (
	RequestPending  RequestStatus = "pending"
	RequestApproved RequestStatus = "approved"
	RequestRejected RequestStatus = "rejected"
	// RequestWithdrawn closes a pending request its applicant overtook by
	// signing up through an invite link.
	RequestWithdrawn RequestStatus = "withdrawn"
)

// LiaisonRequest is a person asking to register placements for an agency.
// An admin approves or rejects it; an invite link approves it at once.
type LiaisonRequest struct {
	ID         int64
	UserID     int64 // Telegram id of the applicant
	AgencyID   int64
	FullName   string
	Position   string
	Phone      Mobile
	Status     RequestStatus
	InviteCode string // set when signed up through an invite link
	DecidedBy  int64  // admin's Telegram id, or the invite's creator
	DecidedAt  time.Time
	CreatedAt  time.Time
	Submission string // the bot's key for the submit that made it; see Placement.Submission
}

// Validate checks a request before it is stored.
func (r LiaisonRequest) Validate() error {
	switch {
	case r.UserID == 0:
		return Invalid("liaison.user")
	case r.AgencyID == 0:
		return Invalid("liaison.agency")
	case r.Phone == "":
		return Invalid("mobile.missing")
	case !r.Phone.valid():
		return Invalid("mobile.format")
	}
	if _, err := ParsePersonName(r.FullName); err != nil {
		return err
	}
	if _, err := ParseTitle(r.Position); err != nil {
		return err
	}
	return nil
}

// Invite is a one-time link that signs a liaison up for an agency without
// an admin's approval.
type Invite struct {
	Code      string
	AgencyID  int64
	CreatedBy int64
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedBy    int64
	UsedAt    time.Time
}

// Usable reports why the invite cannot be used at now, or nil.
func (i Invite) Usable(now time.Time) error {
	if i.UsedBy != 0 || !i.UsedAt.IsZero() {
		return Conflict("invite.used")
	}
	if !now.Before(i.ExpiresAt) {
		return Conflict("invite.expired")
	}
	return nil
}

// NewInviteCode returns a random 20-character code (80 random bits), safe
// for a t.me/<bot>?start= link.
func NewInviteCode() string {
	return "inv_" + rand.Text()[:16]
}

// ValidInviteCode reports whether s has the shape NewInviteCode produces,
// so garbage in a /start payload never reaches the database.
func ValidInviteCode(s string) bool {
	if len(s) != 20 || s[:4] != "inv_" {
		return false
	}
	for _, c := range s[4:] {
		if !(c >= 'A' && c <= 'Z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}
