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
	prompt                            map[string]string // step -> prompt text
	review, saved                     string
	male, industry, newJob, financing string
	loan, noFunding, urban, rural     string
	today, confirm, tehran, rey       string
}

func loadTexts() (texts, error) {
	cat, err := bot.LoadCatalogue("fa", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return texts{}, err
	}
	t := func(key string) string { return cat.T("fa", key) }
	tx := texts{prompt: map[string]string{}}
	for _, step := range []string{"nationalid", "name", "gender", "birthyear", "mobile", "sector", "activity",
		"employer", "kind", "support", "funding", "amount", "county", "area", "district", "startdate"} {
		tx.prompt[step] = t("placement." + step + ".prompt")
	}
	tx.review = t("placement.review")
	tx.saved = strings.Split(t("placement.saved"), "{")[0] // before the record's id and name
	tx.male, tx.industry, tx.newJob, tx.financing = t("gender.male"), t("sector.industry"), t("kind.new_job"), t("support.financing")
	tx.loan, tx.noFunding, tx.urban, tx.rural = t("funding.qard_hasan"), t("funding.none"), t("area.urban"), t("area.rural")
	tx.today, tx.confirm = t("btn.today"), t("btn.confirm")
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

// register takes the user through one whole placement of code. variant
// picks the branches (loan with an amount or none; Tehran urban with a
// district, or not) so every optional step is exercised across users.
func (s *simUser) register(ctx context.Context, code domain.NationalID, variant int) error {
	tx := s.tx
	loan := variant%2 == 0
	county, area := tx.tehran, tx.urban
	switch variant % 4 {
	case 1:
		county = tx.rey
	case 2:
		county, area = tx.rey, tx.rural
	case 3:
		area = tx.rural
	}
	steps := []step{
		{send: "/register", want: tx.prompt["nationalid"]},
		{send: string(code), want: tx.prompt["name"]},
		{send: "علي رضايي", want: tx.prompt["gender"]}, // Arabic yeh, normalized by the bot
		{press: tx.male, want: tx.prompt["birthyear"]},
		{send: "۱۳۷۰", want: tx.prompt["mobile"]},
		{send: "۰۹۱۲-۱۲۳-۴۵۶۷", want: tx.prompt["sector"]},
		{press: tx.industry, want: tx.prompt["activity"]},
		{send: "جوشكاري", want: tx.prompt["employer"]},
		{send: "کارگاه نمونه", want: tx.prompt["kind"]},
		{press: tx.newJob, want: tx.prompt["support"]},
		{press: tx.financing, want: tx.prompt["funding"]},
	}
	if loan {
		steps = append(steps,
			step{press: tx.loan, want: tx.prompt["amount"]},
			step{send: "۵۰۰٬۰۰۰٬۰۰۰", want: tx.prompt["county"]})
	} else {
		steps = append(steps, step{press: tx.noFunding, want: tx.prompt["county"]})
	}
	steps = append(steps, step{press: county, want: tx.prompt["area"]})
	if county == tx.tehran && area == tx.urban {
		steps = append(steps,
			step{press: area, want: tx.prompt["district"]},
			step{press: domain.PersianDigits(fmt.Sprint(variant%domain.Districts + 1)), want: tx.prompt["startdate"]})
	} else {
		steps = append(steps, step{press: area, want: tx.prompt["startdate"]})
	}
	steps = append(steps,
		step{press: tx.today, want: tx.review},
		step{press: tx.confirm, want: tx.saved})

	for _, st := range steps {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("user %d stopped: %w", s.u.ID(), err)
		}
		if err := s.do(ctx, st); err != nil {
			return err
		}
	}
	s.placements++
	return nil
}

// step is one update and the reply it must bring.
type step struct {
	send  string // a text message, or
	press string // the label of a button on the bot's latest message
	want  string // text the reply contains
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
