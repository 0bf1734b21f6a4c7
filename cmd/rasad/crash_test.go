package main

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rasad-gov/rasad/bot"
	"github.com/rasad-gov/rasad/domain"
)

// The crash tests run the real binary and stop it with SIGKILL at a named
// point of a confirm (TEST_KILL_AT, bot.Checkpoint), then start another
// process. Whatever the point, the person hears that the form was saved,
// and it is stored once: a confirm is never lost, never doubled, and the
// chat is never left "saving".

// crashModes are the ways a process takes updates, each with the settings
// a process of that mode needs.
var crashModes = map[string]func(t *testing.T) []string{
	"polling": func(*testing.T) []string { return nil },
	"webhook": func(t *testing.T) []string {
		addr := freeAddr(t)
		// Answered only once handled: an update answered early (after
		// WEBHOOK_WAIT) and then cut by the kill is not sent again, which
		// these tests are not about.
		return []string{"MODE=webhook", "WEBHOOK_WAIT=1m", "HTTP_ADDR=" + addr, "WEBHOOK_URL=http://" + addr,
			"WEBHOOK_SECRET=a-webhook-secret-of-some-length"}
	},
}

var crashPoints = []string{bot.PointBeforeSave, bot.PointSaved, bot.PointEnded}

// killedAt starts a process that kills itself at point, lets form reach
// its review and confirm it, waits for the process to die there, and
// starts the next one.
func killedAt(t *testing.T, h *harness, dbURL, mode, point string, form func() (person, int)) {
	t.Helper()
	first := startProcess(t, h, dbURL, append(crashModes[mode](t), "TEST_KILL_AT="+point)...)
	p, review := form()
	if _, err := p.Press(review, h.T("btn.confirm")); err != nil { // its answer may never come
		t.Fatal(err)
	}
	err := first.cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("the process ended with %v, want killed at %s", err, point)
	}
	startProcess(t, h, dbURL, crashModes[mode](t)...)
}

func TestPlacementConfirmKilledAtEachPoint(t *testing.T) {
	t.Parallel()
	for mode := range crashModes {
		for i, point := range crashPoints {
			t.Run(mode+"/"+point, func(t *testing.T) {
				t.Parallel()
				h, dbURL := subprocessHarness(t)
				p := h.liaison(12000+int64(i), "Liaison", "labour")
				code := validCode(t, 700+i)
				killedAt(t, h, dbURL, mode, point, func() (person, int) {
					p.send("/register")
					p.expect(h.T("placement.nationalid.prompt"))
					p.send(string(code))
					fillPlacement(h, p)
					return p, p.expect(h.T("placement.review")).ID
				})
				// The dead process's claim lapses first (its lease).
				m, err := p.Next(40 * time.Second)
				if err != nil {
					t.Fatalf("after the restart: %v", err)
				}
				if want := strings.Split(h.T("placement.saved"), "{")[0]; !strings.HasPrefix(m.Text, want) {
					t.Fatalf("after the restart: %q, want %q…", m.Text, want)
				}
				p.expectNothing(time.Second)
				stored, err := h.db.PlacementByNationalID(context.Background(), domain.DefaultCalendar().ProgramYear(time.Now()), code)
				if err != nil {
					t.Fatalf("the confirmed placement is not stored: %v", err)
				}
				records, total, err := h.db.AgencyPlacements(context.Background(), stored.AgencyID, 0, 0)
				if err != nil || total != 1 || len(records) != 1 {
					t.Fatalf("%d records stored (%v), want 1", total, err)
				}
			})
		}
	}
}

// The other forms' confirms, each cut at a point in one mode: a liaison's
// sign-up and a record's withdrawal are finished by the next process, once.
func TestOtherConfirmsKilled(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		form, mode, point string
	}{
		{"sign-up", "polling", bot.PointSaved},
		{"sign-up", "webhook", bot.PointEnded},
		{"withdrawal", "webhook", bot.PointSaved},
		{"withdrawal", "polling", bot.PointEnded},
	} {
		t.Run(tc.form+"/"+tc.mode+"/"+tc.point, func(t *testing.T) {
			t.Parallel()
			h, dbURL := subprocessHarness(t)
			ctx := context.Background()
			switch tc.form {
			case "sign-up":
				p := h.person(12100, "Maryam")
				killedAt(t, h, dbURL, tc.mode, tc.point, func() (person, int) {
					signUpToReview(h, p)
					return p, p.expect(h.T("liaison.review")).ID
				})
				if m, err := p.Next(40 * time.Second); err != nil || m.Text != h.T("liaison.submitted") {
					t.Fatalf("after the restart: %q, %v", m.Text, err)
				}
				p.expectNothing(time.Second)
				pending, err := h.db.PendingLiaisonRequests(ctx)
				if err != nil || len(pending) != 1 || pending[0].UserID != p.ID() {
					t.Fatalf("pending requests %+v (%v), want the one", pending, err)
				}
			case "withdrawal":
				p := h.liaison(12200, "Liaison", "labour")
				now := time.Now()
				held := must[domain.Placement](t)(h.db.CreatePlacement(ctx, samplePlacement(validCode(t, 800), h.agencyID("labour"), now), now))
				killedAt(t, h, dbURL, tc.mode, tc.point, func() (person, int) {
					p.send("/records")
					p.expect(strings.Split(h.T("records.title"), "(")[0])
					p.tap(h.T("records.item", "id", "۱", "name", held.FullName, "date", cal.FormatJalali(held.StartDate)))
					p.expect(strings.Split(h.T("record.title"), "{")[0])
					p.tap(h.T("btn.withdraw"))
					p.expect(h.T("withdraw.reason.prompt"))
					p.send("ثبت اشتباه")
					return p, p.expect(strings.Split(h.T("withdraw.review"), "\n")[0]).ID
				})
				want := h.T("record.withdrawn_done", "id", "۱", "name", held.FullName)
				if m, err := p.Next(40 * time.Second); err != nil || m.Text != want {
					t.Fatalf("after the restart: %q, %v; want %q", m.Text, err, want)
				}
				p.expectNothing(time.Second)
				changes := must[[]domain.Change](t)(h.db.PlacementChanges(ctx, held.ID))
				withdrawn := 0
				for _, c := range changes {
					if c.Field == "withdrawn" {
						withdrawn++
					}
				}
				if withdrawn != 1 {
					t.Fatalf("%d withdrawals in the audit trail, want 1", withdrawn)
				}
			}
		})
	}
}
