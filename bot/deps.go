package bot

import (
	"context"
	"time"

	"github.com/rasad-gov/rasad/domain"
)

// The bot declares what it needs of storage; cmd/rasad passes in the
// Postgres and Redis implementations.
//
// Submits are idempotent under a key the bot chooses (submissionKey for a
// form, the callback query id for a button press): the same submit made
// again, after a crash or delivered twice, returns what the first stored
// instead of a conflict, and the ...BySubmission methods find it. The empty
// key is none.

// Users keeps people and their roles.
type Users interface {
	User(ctx context.Context, id int64) (domain.User, error)
	UpsertUser(ctx context.Context, u domain.User) error
	UsersWithRole(ctx context.Context, r domain.Role) ([]domain.User, error)
	SetLanguage(ctx context.Context, id int64, lang string) error
	SetActive(ctx context.Context, id int64, active bool) error
	GrantRole(ctx context.Context, userID int64, g domain.Grant) error
	RecordRefusal(ctx context.Context, telegramID int64, action string, at time.Time) error
}

// Agencies lists the province's agencies.
type Agencies interface {
	Agencies(ctx context.Context) ([]domain.Agency, error)
	Agency(ctx context.Context, id int64) (domain.Agency, error)
	CreateAgency(ctx context.Context, a domain.Agency) (domain.Agency, error)
	RenameAgency(ctx context.Context, id int64, nameFa, nameEn string) error
}

// Liaisons keeps sign-up requests and invite links.
type Liaisons interface {
	CreateLiaisonRequest(ctx context.Context, r domain.LiaisonRequest) (domain.LiaisonRequest, error)
	LiaisonRequestBySubmission(ctx context.Context, key string) (domain.LiaisonRequest, error)
	PendingLiaisonRequest(ctx context.Context, userID int64) (domain.LiaisonRequest, error)
	PendingLiaisonRequests(ctx context.Context) ([]domain.LiaisonRequest, error)
	LiaisonRequest(ctx context.Context, id int64) (domain.LiaisonRequest, error)
	DecideLiaisonRequest(ctx context.Context, id int64, approve bool, by int64, now time.Time) (domain.LiaisonRequest, error)
	CreateInvite(ctx context.Context, inv domain.Invite) error
	Invite(ctx context.Context, code string) (domain.Invite, error)
	RedeemInvite(ctx context.Context, code string, r domain.LiaisonRequest, now time.Time) (domain.LiaisonRequest, error)
}

// Placements keeps registered jobs. The one-per-year rule is Postgres's:
// creating a placed code returns domain.DuplicateErr.
type Placements interface {
	CreatePlacement(ctx context.Context, p domain.Placement, now time.Time) (domain.Placement, error)
	BulkCreatePlacements(ctx context.Context, ps []domain.Placement, now time.Time) ([]domain.RowOutcome, error)
	Placement(ctx context.Context, id int64) (domain.Placement, error)
	PlacementBySubmission(ctx context.Context, key string) (domain.Placement, error)
	PlacementByNationalID(ctx context.Context, year int, id domain.NationalID) (domain.Placement, error)
	AgencyPlacements(ctx context.Context, agencyID int64, limit, offset int) ([]domain.Placement, int, error)
	UpdatePlacement(ctx context.Context, p domain.Placement, by int64, now time.Time, submission string) (domain.Placement, []domain.Change, error)
	WithdrawPlacement(ctx context.Context, id, agencyID, by int64, reason string, now time.Time, submission string) (domain.Placement, error)
	ChangesBySubmission(ctx context.Context, key string) ([]domain.Change, error)
	RecordDuplicateAttempt(ctx context.Context, a domain.DuplicateAttempt) error
}

// Stalls keeps markets, stall requests and offers. Allocation runs inside
// one transaction per market with the rule passed in (domain.Allocate).
type Stalls interface {
	Markets(ctx context.Context) ([]domain.Market, error)
	Market(ctx context.Context, id int64) (domain.Market, error)
	UpdateMarket(ctx context.Context, m domain.Market) error
	CreateStallRequest(ctx context.Context, r domain.StallRequest, now time.Time) (domain.StallRequest, error)
	StallRequestBySubmission(ctx context.Context, key string) (domain.StallRequest, error)
	OpenStallRequest(ctx context.Context, year int, nid domain.NationalID) (domain.StallRequest, error)
	UserStallRequests(ctx context.Context, telegramID int64, year int) ([]domain.StallRequest, error)
	WaitingFor(ctx context.Context, marketID int64, year int) ([]domain.StallRequest, error)
	HeldStalls(ctx context.Context, marketID int64, year int) ([]domain.StallRequest, error)
	AllocateMarket(ctx context.Context, marketID int64, year int, now, deadline time.Time,
		allocate func(domain.Market, []int, []domain.StallRequest) []domain.Assignment) ([]domain.StallRequest, error)
	RespondToOffer(ctx context.Context, requestID, telegramID int64, accept bool, now time.Time, key string) (domain.StallRequest, error)
	ExpireOffers(ctx context.Context, now time.Time) ([]domain.StallRequest, error)
	CancelStallRequest(ctx context.Context, requestID, telegramID int64, now time.Time) (domain.StallRequest, error)
}

// Reports computes the managers' summary and exports, and keeps the
// sent-log that delivers each manager one summary a day.
type Reports interface {
	Summary(ctx context.Context, day time.Time) (domain.Summary, error)
	Managers(ctx context.Context) ([]domain.User, error)
	SetSummaryMuted(ctx context.Context, telegramID int64, muted bool) error
	ClaimSummary(ctx context.Context, day time.Time, telegramID int64, owner string, lease time.Duration, now time.Time) (bool, error)
	MarkSummarySent(ctx context.Context, day time.Time, telegramID int64, now time.Time) error
	MarkSummaryFailed(ctx context.Context, day time.Time, telegramID int64, errText string, now time.Time) error
	FailedSummaries(ctx context.Context, day time.Time) ([]domain.SummaryFailure, error)
	ExportPlacements(ctx context.Context, f domain.ExportFilter, fn func(r domain.ExportRow) error) error
	ExportTotals(ctx context.Context, f domain.ExportFilter) ([]domain.ExportTotal, error)
	Targets(ctx context.Context, year int) ([]domain.Target, error)
	SetTarget(ctx context.Context, t domain.Target) error
}

// Verifications keeps the sample and its checking (domain/verification.go).
// Every step goes through RecordCheck, which applies the domain's rule and
// keeps the audit trail; a step recorded twice under one key is one.
type Verifications interface {
	DrawSample(ctx context.Context, from, to time.Time, seed int64, share float64, by int64, now, callAt time.Time) (domain.Draw, bool, error)
	Draw(ctx context.Context, id int64) (domain.Draw, error)
	Draws(ctx context.Context, limit int) ([]domain.Draw, error)
	AddToSample(ctx context.Context, id, agencyID int64, year int, by int64, now, callAt time.Time) (int, error)
	Check(ctx context.Context, id int64) (domain.Check, error)
	NextCheck(ctx context.Context, stage domain.Stage, holder int64, now time.Time, hold time.Duration) (domain.Check, error)
	RecordCheck(ctx context.Context, ev domain.VerifyEvent) (domain.Check, error)
	VerifyEvents(ctx context.Context, id int64) ([]domain.VerifyEvent, error)
	VerifyEventBySubmission(ctx context.Context, key string) (domain.VerifyEvent, error)
	ClaimTold(ctx context.Context, id int64, now time.Time) (bool, error)
	UntoldRejections(ctx context.Context, limit int) ([]int64, error)
	Contested(ctx context.Context) ([]domain.Check, error)
	Unasked(ctx context.Context, limit int) ([]domain.Placement, error)
	MarkAsked(ctx context.Context, id int64, now time.Time) (bool, error)
}

// States keeps each chat's conversation state with compare-and-set, so two
// updates of one chat handled at once cannot both apply.
type States interface {
	LoadState(ctx context.Context, key string) (data []byte, version int64, err error)
	// LoadStates loads several at once (a polled batch's chats).
	LoadStates(ctx context.Context, keys []string) (data [][]byte, versions []int64, err error)
	SaveState(ctx context.Context, key string, data []byte, expect int64, ttl time.Duration) (int64, error)
	DeleteState(ctx context.Context, key string, expect int64) error
}

// Store is everything persistent the bot uses from Postgres.
type Store interface {
	Users
	Agencies
	Liaisons
	Placements
	Stalls
	Reports
	Verifications
}
