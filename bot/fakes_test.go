package bot

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/rasad-gov/rasad/bot/transport"
	"github.com/rasad-gov/rasad/domain"
)

// Small in-memory stand-ins for what the bot declares it needs (deps.go,
// transport.API), so the conversation runs in a test without Postgres,
// Redis or a Bot API server. They keep only what the engine and the
// placement flow use.

// memStates is States in a map, with Redis's compare-and-set: an absent
// state has version 0, and versions come from one counter, so none is
// reused. TTLs are not kept: a test never waits for a session to expire.
type memStates struct {
	mu      sync.Mutex
	counter int64
	states  map[string]memState
}

type memState struct {
	data    []byte
	version int64
}

func newMemStates() *memStates { return &memStates{states: map[string]memState{}} }

func (m *memStates) LoadState(_ context.Context, key string) ([]byte, int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	st, ok := m.states[key]
	if !ok {
		return nil, 0, nil
	}
	return slices.Clone(st.data), st.version, nil
}

func (m *memStates) LoadStates(ctx context.Context, keys []string) ([][]byte, []int64, error) {
	data, versions := make([][]byte, len(keys)), make([]int64, len(keys))
	for i, key := range keys {
		data[i], versions[i], _ = m.LoadState(ctx, key)
	}
	return data, versions, nil
}

func (m *memStates) SaveState(_ context.Context, key string, data []byte, expect int64, _ time.Duration) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.states[key].version != expect {
		return 0, domain.Conflict("state.changed")
	}
	m.counter++
	m.states[key] = memState{data: slices.Clone(data), version: m.counter}
	return m.counter, nil
}

func (m *memStates) DeleteState(_ context.Context, key string, expect int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.states[key].version != expect {
		return domain.Conflict("state.changed")
	}
	delete(m.states, key)
	return nil
}

// memStore keeps users and placements in memory. It does not enforce the
// one-placement-per-year rule (Postgres's): a test that counts saves sees
// every save the engine made. It keeps the submission key's contract: a
// second create under one key returns the first.
type memStore struct {
	// Store is nil: a method not written below is not faked, and calling
	// it panics; the test driver (chat.deliver) reports it by name.
	Store

	mu         sync.Mutex
	users      map[int64]domain.User
	placements []domain.Placement
}

func newMemStore(users ...domain.User) *memStore {
	s := &memStore{users: map[int64]domain.User{}}
	for _, u := range users {
		s.users[u.ID] = u
	}
	return s
}

func (s *memStore) User(_ context.Context, id int64) (domain.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		return domain.User{}, domain.NotFound("user.notfound")
	}
	return u, nil
}

func (s *memStore) UpsertUser(_ context.Context, u domain.User) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[u.ID] = u
	return nil
}

func (s *memStore) SetActive(_ context.Context, id int64, active bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		return domain.NotFound("user.notfound")
	}
	u.Active = active
	s.users[id] = u
	return nil
}

func (s *memStore) PlacementByNationalID(_ context.Context, year int, id domain.NationalID) (domain.Placement, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.placements {
		if p.ProgramYear == year && p.NationalID == id {
			return p, nil
		}
	}
	return domain.Placement{}, domain.NotFound("placement.notfound")
}

func (s *memStore) CreatePlacement(_ context.Context, p domain.Placement, now time.Time) (domain.Placement, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, held := range s.placements {
		if p.Submission != "" && held.Submission == p.Submission {
			return held, nil
		}
	}
	p.ID, p.CreatedAt = int64(len(s.placements)+1), now
	s.placements = append(s.placements, p)
	return p, nil
}

func (s *memStore) PlacementBySubmission(_ context.Context, key string) (domain.Placement, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.placements {
		if key != "" && p.Submission == key {
			return p, nil
		}
	}
	return domain.Placement{}, domain.NotFound("placement.notfound")
}

// ChangesBySubmission finds none: memStore keeps no corrections.
func (s *memStore) ChangesBySubmission(context.Context, string) ([]domain.Change, error) {
	return nil, nil
}

// saved is every placement created, in order.
func (s *memStore) saved() []domain.Placement {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.placements)
}

// recordingAPI is a Bot API server that accepts every request and keeps
// it: messages (numbered as the server would), edits and answers to button
// presses, so a test can read what the user saw and press what was shown.
type recordingAPI struct {
	mu       sync.Mutex
	messages []sentMessage
	edits    []transport.Request // EditText and EditMarkup
	answers  []transport.AnswerCallback
}

// sentMessage is a message the bot sent, with the id the server gave it.
type sentMessage struct {
	ID int
	transport.SendMessage
}

func (a *recordingAPI) Do(_ context.Context, r transport.Request) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch r := r.(type) {
	case transport.SendMessage:
		a.messages = append(a.messages, sentMessage{ID: len(a.messages) + 1, SendMessage: r})
	case transport.EditText, transport.EditMarkup:
		a.edits = append(a.edits, r)
	case transport.AnswerCallback:
		a.answers = append(a.answers, r)
	case transport.SetCommands, transport.ChatAction:
		// menus and "typing…": nothing a test of the engine reads
	default:
		panic(fmt.Sprintf("recordingAPI: %T is not faked", r))
	}
	return nil
}

func (a *recordingAPI) Updates(context.Context, int, int, time.Duration) ([]transport.Polled, error) {
	panic("recordingAPI: tests deliver updates to Bot.Handle themselves")
}

func (a *recordingAPI) Download(context.Context, string, int64) ([]byte, error) {
	panic("recordingAPI: Download is not faked")
}

func (a *recordingAPI) Self() transport.User {
	return transport.User{ID: 1, IsBot: true, FirstName: "Rasad", UserName: "rasad_test_bot"}
}

// sent is every message so far.
func (a *recordingAPI) sent() []sentMessage {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.messages)
}

// answer is the answer to the press with callback id, if any.
func (a *recordingAPI) answer(id string) (transport.AnswerCallback, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	i := slices.IndexFunc(a.answers, func(ac transport.AnswerCallback) bool { return ac.ID == id })
	if i < 0 {
		return transport.AnswerCallback{}, false
	}
	return a.answers[i], true
}

// editsOf are the edits of message id, in order.
func (a *recordingAPI) editsOf(id int) []transport.Request {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []transport.Request
	for _, e := range a.edits {
		switch e := e.(type) {
		case transport.EditText:
			if e.MessageID == id {
				out = append(out, e)
			}
		case transport.EditMarkup:
			if e.MessageID == id {
				out = append(out, e)
			}
		}
	}
	return out
}

// buttons are the inline buttons of m, row by row, or nil.
func (m sentMessage) buttons() []transport.InlineButton {
	kb, ok := m.Markup.(transport.InlineKeyboard)
	if !ok {
		return nil
	}
	return slices.Concat(kb.Rows...)
}

// button is m's inline button labelled label.
func (m sentMessage) button(label string) (transport.InlineButton, bool) {
	bs := m.buttons()
	i := slices.IndexFunc(bs, func(b transport.InlineButton) bool { return b.Text == label })
	if i < 0 {
		return transport.InlineButton{}, false
	}
	return bs[i], true
}
