// Package safirtest is an in-process imitation of Bale's Safir
// send-message service for tests: point the client (or SAFIR_URL) at
// Server.URL and read back what was sent.
//
// It checks what the real service documents (the api-access-key header, a
// JSON body with bot_id, phone_number "98…" and message_data.message.text)
// and answers in its shape. Numbers marked NotOnBale are refused with code
// 17, as Bale refuses a number without an account.
package safirtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"

	"github.com/rasad-gov/rasad/domain"
)

// Message is one message the service accepted.
type Message struct {
	BotID     int64
	Phone     domain.Mobile
	Text      string
	RequestID string
}

// Server is the imitation. Its methods are safe for concurrent use.
type Server struct {
	URL   string // base URL, as SAFIR_URL
	Key   string // the api-access-key it accepts
	BotID int64  // the bot_id it accepts; 0: any

	srv *httptest.Server

	mu        sync.Mutex
	sent      []Message
	notOnBale map[domain.Mobile]bool
	failures  []failure
	changed   chan struct{} // closed and replaced on every accepted message
}

type failure struct {
	status      int
	code        int
	description string
}

// NewServer starts a server accepting key and bot botID (0: any bot).
// Close it when done.
func NewServer(key string, botID int64) *Server {
	s := &Server{Key: key, BotID: botID, notOnBale: map[domain.Mobile]bool{}, changed: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v3/send_message", s.sendMessage)
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// NotOnBale makes sends to m fail as for a number without a Bale account.
func (s *Server) NotOnBale(m domain.Mobile) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.notOnBale[m] = true
}

// FailNext makes the next send fail with this HTTP status, error code and
// description; calls queue up.
func (s *Server) FailNext(status, code int, description string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, failure{status, code, description})
}

// Sent is every accepted message, oldest first.
func (s *Server) Sent() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.sent...)
}

// Wait returns the accepted messages once there are at least n, or ctx's
// error.
func (s *Server) Wait(ctx context.Context, n int) ([]Message, error) {
	for {
		s.mu.Lock()
		sent, changed := append([]Message(nil), s.sent...), s.changed
		s.mu.Unlock()
		if len(sent) >= n {
			return sent, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return sent, fmt.Errorf("safirtest: %d of %d messages sent: %w", len(sent), n, ctx.Err())
		}
	}
}

type request struct {
	RequestID   string          `json:"request_id"`
	BotID       json.RawMessage `json:"bot_id"`
	PhoneNumber string          `json:"phone_number"`
	MessageData struct {
		Message *struct {
			Text string `json:"text"`
		} `json:"message"`
	} `json:"message_data"`
}

func (s *Server) sendMessage(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("api-access-key") != s.Key || s.Key == "" {
		refuse(w, http.StatusUnauthorized, 0, "", "invalid api-access-key")
		return
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		refuse(w, http.StatusUnsupportedMediaType, 4, "", "content type must be application/json")
		return
	}
	var req request
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil {
		refuse(w, http.StatusBadRequest, 4, "", "malformed body")
		return
	}
	// bot_id is an integer on the wire; a quoted one is refused as Safir
	// would.
	botID, err := strconv.ParseInt(string(req.BotID), 10, 64)
	if err != nil || botID <= 0 || (s.BotID != 0 && botID != s.BotID) {
		refuse(w, http.StatusBadRequest, 4, req.PhoneNumber, "invalid bot_id")
		return
	}
	// The documented form: 98 and the number, no "+" or other characters.
	phone, err := domain.ParseMobile("+" + req.PhoneNumber)
	if err != nil || !strings.HasPrefix(req.PhoneNumber, "98") || phone.International() != req.PhoneNumber {
		refuse(w, http.StatusBadRequest, 8, req.PhoneNumber, "invalid phone number")
		return
	}
	if req.MessageData.Message == nil || strings.TrimSpace(req.MessageData.Message.Text) == "" {
		refuse(w, http.StatusBadRequest, 4, req.PhoneNumber, "message_data.message.text is required")
		return
	}
	s.mu.Lock()
	if len(s.failures) > 0 {
		f := s.failures[0]
		s.failures = s.failures[1:]
		s.mu.Unlock()
		refuse(w, f.status, f.code, req.PhoneNumber, f.description)
		return
	}
	if s.notOnBale[phone] {
		s.mu.Unlock()
		refuse(w, http.StatusNotFound, 17, req.PhoneNumber, "user not found")
		return
	}
	s.sent = append(s.sent, Message{BotID: botID, Phone: phone, Text: req.MessageData.Message.Text, RequestID: req.RequestID})
	id := len(s.sent)
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"message_id":"safirtest-%d","error_data":null}`, id)
}

// refuse answers in the documented error shape.
func refuse(w http.ResponseWriter, status, code int, phone, description string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{
		"message_id": nil,
		"error_data": []map[string]any{{"phone_number": phone, "code": code, "description": description}},
	})
}
