package bot

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"time"
)

// A Flow is a form declared as data: steps that each ask for one answer, a
// review with edit per field, and a submit that saves. The engine (engine.go)
// runs every flow the same way, so a new field is one Step literal plus its
// catalogue texts "<flow>.<field>.prompt" and "<flow>.<field>.label".
type Flow struct {
	Name  string
	Steps []Step
	// Begin runs when the flow starts; it may refuse with a domain error
	// (already signed up) or fill answers in (an invite's agency); having
	// told the user why, it may end the flow with ErrEndFlow.
	Begin func(c *Ctx, s *Session) error
	// Submit saves the answers. A domain error ends the flow with its
	// sentence; any other error keeps the answers for another try. It may
	// run twice for one session (the process died before the session
	// ended), so it stores under submissionKey(c.Chat, s.ID): a second
	// store under one key finds the first and says "saved" again.
	Submit func(c *Ctx, s *Session) error
	// Saved, when set, looks up what a submit stored under key and, if it
	// finds it, tells the chat as Submit would have: a confirm arriving
	// after its session ended (the reply was lost with the process).
	Saved func(c *Ctx, key string) (told bool, err error)
	// Confirm is the catalogue key of the review's confirm button, for a
	// flow whose submit is not "confirm and save" (a download); default
	// btn.confirm.
	Confirm string
}

// Input is what a step expects.
type Input int

const (
	InputText     Input = iota // typed text, checked by Parse
	InputChoice                // one of Choices, by button (or typed label)
	InputContact               // the user's own phone via the share-contact button
	InputLocation              // where the user is, via the share-location button: "lat,lon"
	InputPhoto                 // a photo: the file_id of its largest size
	InputDocument              // a file sent as a document: its file id is kept (Parse sees it)
)

// replyKeyboard says whether the step's buttons are a reply keyboard (one
// that shares the phone or the location), which stays on the user's screen
// until a message takes it away.
func (in Input) replyKeyboard() bool { return in == InputContact || in == InputLocation }

// Step asks for one field.
type Step struct {
	Field string
	Input Input
	// Parse checks typed text (or a shared phone) and returns the value to
	// keep; its domain error code names the sentence the user sees. On a
	// location or photo step it is optional and checks the value made of
	// what was shared ("35.689200,51.389000", a file_id).
	Parse func(c *Ctx, text string) (string, error)
	// Choices lists the buttons of an InputChoice step. Values must be short:
	// they travel in callback data.
	Choices func(c *Ctx, s *Session) ([]Choice, error)
	// Check runs after Parse, with the session: it may refuse the value with
	// a domain error (the step is asked again) or, having told the user
	// why, end the flow with ErrEndFlow (a national code already placed).
	Check func(c *Ctx, s *Session, value string) error
	// Example, when set, gives the prompt's {example}: a valid answer in
	// the user's digits, made by the code that checks it, so it stays
	// valid ("0012345679", this year's dates).
	Example func(c *Ctx) string
	// Shortcuts are buttons under a text step that answer it, like "today".
	Shortcuts []Shortcut
	// Skip leaves the step out given the answers so far.
	Skip func(s *Session) bool
	// Show formats a kept value for the review; default: the choice's label
	// or the value itself.
	Show func(c *Ctx, value string) string
	// Columns of choice buttons per row (default 1); autoColumns: as many
	// as the longest label leaves room for on a phone.
	Columns int
}

// typed is the value of text typed at the step (by a shortcut): Parse's.
// A location or photo step's Parse checks what was shared, not text, so
// there the text is the value itself: "" of a skip, nothing shared.
func (st Step) typed(c *Ctx, text string) (string, error) {
	if st.Input == InputLocation || st.Input == InputPhoto {
		return text, nil
	}
	return st.Parse(c, text)
}

// autoColumns lays choice buttons out by the length of their labels.
const autoColumns = -1

// ErrEndFlow, returned by a Step's Check or a Flow's Begin, ends the flow
// without saving.
var ErrEndFlow = errors.New("flow ended by a step")

// Choice is one button of a choice step.
type Choice struct {
	Value string
	Label string
}

// enumChoices are values labelled with their catalogue texts
// "<name>.<value>" in lang.
func enumChoices[T ~string](cat *Catalogue, name string, values []T, lang string) []Choice {
	out := make([]Choice, len(values))
	for i, v := range values {
		out[i] = Choice{Value: string(v), Label: cat.T(lang, name+"."+string(v))}
	}
	return out
}

// Shortcut is a button that types for the user; Text gives what it types.
type Shortcut struct {
	Label string // catalogue key
	Text  func(c *Ctx) string
}

// skipShortcut is the button of an optional step that leaves it empty;
// label is its catalogue key ("btn.skip").
func skipShortcut(label string) Shortcut {
	return Shortcut{Label: label, Text: func(*Ctx) string { return "" }}
}

// Session is one chat's conversation in progress, kept in Redis as JSON.
// Buttons carry its ID and Seq, so a button of another session, or shown
// before the session last changed, is recognised as stale.
type Session struct {
	ID      string            `json:"id"`
	Flow    string            `json:"flow"`
	Step    int               `json:"step"`          // len(Steps) means the review
	Seq     int               `json:"seq"`           // counts changes; buttons carry it
	Update  *int              `json:"upd,omitempty"` // the update that made the last change (Bale's ids start at 0)
	Editing bool              `json:"editing,omitempty"`
	Answers map[string]string `json:"answers"`
	Data    map[string]string `json:"data,omitempty"` // flow-private context, e.g. an invite code
	Saving  time.Time         `json:"saving,omitzero"`
	Started time.Time         `json:"started"`

	version int64
}

func newSession(flow string, now time.Time) *Session {
	return &Session{
		ID:      rand.Text()[:8],
		Flow:    flow,
		Answers: map[string]string{},
		Data:    map[string]string{},
		Started: now,
	}
}

func (s *Session) marshal() ([]byte, error) { return json.Marshal(s) }

func unmarshalSession(data []byte, version int64) (*Session, error) {
	s := &Session{}
	if err := json.Unmarshal(data, s); err != nil {
		return nil, err
	}
	if s.Answers == nil {
		s.Answers = map[string]string{}
	}
	if s.Data == nil {
		s.Data = map[string]string{}
	}
	s.version = version
	return s, nil
}
