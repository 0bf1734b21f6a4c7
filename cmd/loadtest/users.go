package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/rasad-gov/rasad/bot"
	"github.com/rasad-gov/rasad/bot/fakeapi"
	"github.com/rasad-gov/rasad/domain"
)

// The simulated user: a liaison registering placements through the whole
// flow, as cmd/rasad/placement_test.go's fillPlacement does, in a closed
// loop: the next update goes out as soon as the bot's reply to the last one
// has arrived.

// texts are the labels and prompts the bot shows, from its own catalogue,
// so the generator follows the flow whatever the wording.
type texts struct {
	cat             *bot.Catalogue
	prompts         []string // each placement field's prompt, in the order of domain.PlacementFields
	review, saved   string
	today, confirm  string
	skip            string
	tehran, rey     string // county names
	urban, rural    string
	loan, noFunding string
}

func loadTexts() (texts, error) {
	cat, err := bot.LoadCatalogue("fa", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return texts{}, err
	}
	t := func(key string) string { return cat.T("fa", key) }
	tx := texts{cat: cat}
	for _, f := range domain.PlacementFields {
		// A prompt is known by its words; its example is filled in by the bot.
		words, _, _ := strings.Cut(t("placement."+f.Key+".prompt"), "{example}")
		tx.prompts = append(tx.prompts, words)
	}
	tx.review = t("placement.review")
	tx.saved = strings.Split(t("placement.saved"), "{")[0] // before the record's id and name
	tx.today, tx.confirm, tx.skip = t("btn.today"), t("btn.confirm"), t("btn.skip")
	tx.urban, tx.rural = t("area."+string(domain.AreaUrban)), t("area."+string(domain.AreaRural))
	tx.loan, tx.noFunding = t("funding."+string(domain.FundingQardHasan)), t("funding."+string(domain.FundingNone))
	for _, c := range domain.Counties {
		switch c.Code {
		case domain.TehranCounty:
			tx.tehran = c.NameFa
		case "rey":
			tx.rey = c.NameFa
		}
	}
	if m := cat.Missing(); len(m) > 0 || tx.tehran == "" || tx.rey == "" {
		return texts{}, fmt.Errorf("catalogue lacks %v (or the counties Tehran and Rey)", m)
	}
	return tx, nil
}

// field is the placement field whose prompt text shows, or ok=false.
func (tx *texts) field(text string) (domain.PlacementField, bool) {
	for i, p := range tx.prompts {
		if strings.Contains(text, p) {
			return domain.PlacementFields[i], true
		}
	}
	return domain.PlacementField{}, false
}

// simUser drives one fakeapi user.
type simUser struct {
	u       *fakeapi.User
	tx      *texts
	timeout time.Duration // for one reply

	last       fakeapi.Message // the bot's latest message: the buttons to press
	latencies  []time.Duration
	updates    int // updates sent: messages and button presses
	placements int // confirmations answered with "saved"
}

// register takes the user through one whole placement of code, answering
// each field's prompt as it comes (answer), so the flow's fields and order
// are the bot's own. variant picks the branches (loan with an amount or
// none; Tehran urban with a district, or not) so every optional step is
// exercised across users.
func (s *simUser) register(ctx context.Context, code domain.NationalID, variant int) error {
	if err := s.do(ctx, step{send: "/register", want: s.tx.prompts[0]}); err != nil {
		return err
	}
	for !strings.Contains(s.last.Text, s.tx.review) {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("user %d stopped: %w", s.u.ID(), err)
		}
		f, ok := s.tx.field(s.last.Text)
		if !ok {
			return fmt.Errorf("user %d got %q, want a placement field's prompt or the review", s.u.ID(), s.last.Text)
		}
		if err := s.do(ctx, s.answer(f, code, variant)); err != nil {
			return err
		}
	}
	if err := s.do(ctx, step{press: s.tx.confirm, want: s.tx.saved}); err != nil {
		return err
	}
	s.placements++
	return nil
}

// answer is what a liaison with a Persian keyboard answers to f's prompt:
// Arabic letters and Persian digits the bot normalizes, and the variant's
// branch. A field without an answer here gets its template example.
func (s *simUser) answer(f domain.PlacementField, code domain.NationalID, variant int) step {
	tx := s.tx
	tehranUrban := variant%4 == 0
	switch f.Key {
	case domain.FieldNationalID:
		return step{send: string(code)}
	case "name":
		return step{send: "علي رضايي"} // Arabic yeh
	case "birthyear":
		return step{send: "۱۳۷۰"}
	case "mobile":
		return step{send: "۰۹۱۲-۱۲۳-۴۵۶۷"}
	case "activity":
		return step{send: "جوشكاري"} // Arabic kaf and yeh
	case "employer":
		return step{send: "کارگاه نمونه"}
	case "funding":
		if variant%2 == 0 {
			return step{press: tx.loan}
		}
		return step{press: tx.noFunding}
	case "amount":
		return step{send: "۵۰۰٬۰۰۰٬۰۰۰"}
	case "county":
		if tehranUrban || variant%4 == 3 {
			return step{press: tx.tehran}
		}
		return step{press: tx.rey}
	case "area":
		if tehranUrban || variant%4 == 1 {
			return step{press: tx.urban}
		}
		return step{press: tx.rural}
	case "district":
		return step{press: domain.PersianDigits(fmt.Sprint(variant%domain.Districts + 1))}
	}
	switch {
	case f.Type == domain.FieldDate:
		return step{press: tx.today}
	case f.Example == nil:
		return step{press: tx.skip}
	case f.Choices != nil:
		return step{press: tx.cat.T("fa", f.Key+"."+f.Example(domain.DefaultCalendar(), time.Now()))}
	}
	return step{send: domain.PersianDigits(f.Example(domain.DefaultCalendar(), time.Now()))}
}

// step is one update and the reply it must bring.
type step struct {
	send  string // a text message, or
	press string // the label of a button on the bot's latest message
	want  string // text the reply contains; "": any
}

// do sends one update and waits for the first bot message after it; the
// time between is one latency sample. The callback answer of a press is
// not waited for (the user goes on as soon as the next prompt shows); that
// every press was answered is checked once at the end of the run.
func (s *simUser) do(ctx context.Context, st step) error {
	// Never wait past the measured phase's deadline.
	timeout := s.timeout
	if d, ok := ctx.Deadline(); ok {
		timeout = max(min(timeout, time.Until(d)), time.Millisecond)
	}
	start := time.Now()
	var err error
	if st.press != "" {
		_, err = s.u.Press(s.last.ID, st.press)
	} else {
		_, err = s.u.SendText(st.send)
	}
	if err != nil {
		return fmt.Errorf("user %d: %w", s.u.ID(), err)
	}
	s.updates++
	m, err := s.u.Next(timeout)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("user %d after %q: stopped waiting: %w", s.u.ID(), st.send+st.press, context.Cause(ctx))
		}
		return fmt.Errorf("user %d after %q: %w", s.u.ID(), st.send+st.press, err)
	}
	s.latencies = append(s.latencies, time.Since(start))
	if !strings.Contains(m.Text, st.want) {
		return fmt.Errorf("user %d after %q got %q, want it to contain %q", s.u.ID(), st.send+st.press, m.Text, st.want)
	}
	s.last = m
	return nil
}

// nationalCode is the n-th valid code of the run: distinct for distinct n.
func nationalCode(n int) (domain.NationalID, error) {
	return domain.CompleteNationalID(fmt.Sprintf("%09d", 200_000_000+n))
}
