package bot

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rasad-gov/rasad/domain"
)

// rejectedStore is a store holding one rejected placement of testAgency,
// registered by a liaison no longer there: what afterCheck reads.
type rejectedStore struct {
	*memStore
	mu   sync.Mutex
	told bool
}

func (s *rejectedStore) Placement(_ context.Context, id int64) (domain.Placement, error) {
	return domain.Placement{ID: id, FullName: "زهرا کریمی", AgencyID: testAgency, LiaisonID: 999, Verification: domain.VerifyRejected}, nil
}

func (s *rejectedStore) VerifyEvents(_ context.Context, id int64) ([]domain.VerifyEvent, error) {
	return []domain.VerifyEvent{
		{PlacementID: id, Stage: domain.StageSample, Outcome: domain.OutcomeDrawn},
		{PlacementID: id, Stage: domain.StageField, Outcome: domain.OutcomeNotFound, By: 5},
	}, nil
}

func (s *rejectedStore) UsersWithRole(_ context.Context, r domain.Role) ([]domain.User, error) {
	liaison := func(id, agency int64) domain.User {
		return domain.User{ID: id, Active: true, Grants: []domain.Grant{{Role: domain.RoleLiaison, AgencyID: agency}}}
	}
	return []domain.User{liaison(41, testAgency), liaison(42, testAgency+1), liaison(43, testAgency)}, nil
}

func (s *rejectedStore) ClaimTold(context.Context, int64, time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	first := !s.told
	s.told = true
	return first, nil
}

// afterCheck, what a verifier's or inspector's flow calls after recording
// a step: a rejection goes once to the agency's liaisons (the one who
// registered it is gone), with the finding and the Contest button;
// anything else, or a rejection told already, to nobody.
func TestAfterCheckTellsARejectionOnce(t *testing.T) {
	t.Parallel()
	api := &recordingAPI{}
	store := &rejectedStore{memStore: newMemStore()}
	cfg := Config{DefaultLanguage: "fa", Calendar: domain.DefaultCalendar(), Secret: []byte("secret"), Now: func() time.Time { return testNow }}
	b, err := New(cfg, api, store, newMemStates(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	b.afterCheck(ctx, domain.Check{PlacementID: 12, State: domain.VerifyWaiting, Stage: domain.StageField})
	b.afterCheck(ctx, domain.Check{PlacementID: 12, State: domain.VerifyRejected, Stage: domain.StageDone, ToldAt: testNow})
	if sent := api.sent(); len(sent) != 0 {
		t.Fatalf("told of no rejection: %+v", sent)
	}
	rejected := domain.Check{PlacementID: 12, State: domain.VerifyRejected, Stage: domain.StageDone}
	b.afterCheck(ctx, rejected)
	b.afterCheck(ctx, rejected) // a second recorder, or the sweep
	sent := api.sent()
	if len(sent) != 2 || sent[0].Chat != 41 || sent[1].Chat != 43 {
		t.Fatalf("sent %+v, want one message to each of the agency's liaisons", sent)
	}
	reason := b.cat.T("fa", "contest.reason", "stage", b.cat.T("fa", "stage.field"), "outcome", b.cat.T("fa", "outcome.not_found"))
	if !strings.Contains(sent[0].Text, reason) || !strings.Contains(sent[0].Text, "۱۲") {
		t.Errorf("message lacks the record or %q:\n%s", reason, sent[0].Text)
	}
	if _, ok := sent[0].button(b.cat.T("fa", "btn.contest")); !ok {
		t.Error("no Contest button")
	}
	if m := b.Catalogue().Missing(); len(m) > 0 {
		t.Errorf("catalogue keys missing: %v", m)
	}
}
