package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rasad-gov/rasad/bot"
	"github.com/rasad-gov/rasad/bot/fakeapi"
	"github.com/rasad-gov/rasad/bot/telegram"
	"github.com/rasad-gov/rasad/bot/transport"
	"github.com/rasad-gov/rasad/domain"
)

// Fifty liaisons of fifty agencies confirm the same national code at the
// same instant, their confirms handled by two bot instances sharing Postgres
// and Redis: one placement is made, and every other liaison is told which
// agency registered the person.
func TestFiftyAgenciesConfirmOneCodeAtOnce(t *testing.T) {
	t.Parallel()
	const n = 50
	h := newHarness(t, func(c *config) { c.EditMessages = false })
	ctx := context.Background()
	var agencies []domain.Agency
	for i := range n {
		a := must[domain.Agency](t)(domain.NewAgency(fmt.Sprintf("race-%02d", i), fmt.Sprintf("دستگاه آزمون %02d", i), ""))
		agencies = append(agencies, a)
	}
	must[int](t)(func() (int, error) { a, _, err := h.db.UpsertAgencies(ctx, agencies); return a, err }())
	code := validCode(t, 77)

	liaisons := make([]person, n)
	reviews := make([]fakeapi.Message, n)
	for i := range n {
		liaisons[i] = h.liaison(int64(6000+i), "L", fmt.Sprintf("race-%02d", i))
		p := liaisons[i]
		p.send("/register")
		p.expect(h.T("placement.nationalid.prompt"))
		p.send(string(code))
		fillPlacement(h, p)
		reviews[i] = p.expect(h.T("placement.review"))
	}
	h.procs[0].stop(t)

	var replicas [2]*bot.Bot
	for i := range replicas {
		api := must[*telegram.Telegram](t)(telegram.Connect(ctx, telegram.Endpoint(h.cfg.BotAPIURL), h.cfg.BotToken, nil))
		replicas[i] = must[*bot.Bot](t)(newBot(ctx, h.cfg, h.log, h.db, h.rs, api))
	}
	for i, p := range liaisons {
		must[string](t)(p.Press(reviews[i].ID, h.T("btn.confirm")))
	}
	api := must[*telegram.Telegram](t)(telegram.Connect(ctx, telegram.Endpoint(h.cfg.BotAPIURL), h.cfg.BotToken, nil))
	ups := must[[]transport.Polled](t)(api.Updates(ctx, 0, 100, 0))
	if len(ups) != n {
		t.Fatalf("got %d updates, want %d confirms", len(ups), n)
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, u := range ups {
		wg.Go(func() {
			<-start
			if err := replicas[i%2].Handle(ctx, u.Update, nil); err != nil {
				t.Errorf("replica %d: %v", i%2, err)
			}
		})
	}
	close(start)
	wg.Wait()
	must[[]transport.Polled](t)(api.Updates(ctx, ups[len(ups)-1].UpdateID+1, 1, 0))

	held := must[domain.Placement](t)(h.db.PlacementByNationalID(ctx, 1405, code))
	var winner domain.Agency
	for _, a := range must[[]domain.Agency](t)(h.db.Agencies(ctx)) {
		if a.ID == held.AgencyID {
			winner = a
		}
	}
	saved, refused := 0, 0
	for _, p := range liaisons {
		m, err := p.Next(wait)
		switch {
		case err != nil:
			t.Errorf("liaison %d heard nothing: %v", p.ID(), err)
		case strings.HasPrefix(m.Text, strings.Split(h.T("placement.saved"), "{")[0]):
			saved++
			if p.ID() != held.LiaisonID {
				t.Errorf("liaison %d told saved, but %d holds the record", p.ID(), held.LiaisonID)
			}
		case m.Text == h.T("placement.duplicate_other", "agency", winner.NameFa, "date", "۱۷ خرداد ۱۴۰۵"):
			refused++
		default:
			t.Errorf("liaison %d got %q", p.ID(), m.Text)
		}
	}
	if saved != 1 || refused != n-1 {
		t.Errorf("%d saved, %d told of the conflict; want 1 and %d", saved, refused, n-1)
	}
	attempts := must[[]domain.DuplicateAttempt](t)(h.db.DuplicateAttempts(ctx, time.Time{}, time.Now().Add(time.Hour)))
	if len(attempts) != n-1 {
		t.Errorf("%d attempts kept, want %d", len(attempts), n-1)
	}
	if err := h.srv.CheckCallbacksAnswered(time.Second); err != nil {
		t.Error(err)
	}
}
