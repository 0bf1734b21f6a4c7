package transport

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// API is all the bot needs of a Bot API server, in the project's own
// types; bot/telegram implements it over the client library. Every call
// honours its context.
type API interface {
	// Do makes one request.
	Do(ctx context.Context, r Request) error
	// Updates long-polls for updates from offset on.
	Updates(ctx context.Context, offset, limit int, timeout time.Duration) ([]Polled, error)
	// Download fetches a file the user sent, refusing files larger than max
	// bytes with ErrFileTooLarge.
	Download(ctx context.Context, fileID string, max int64) ([]byte, error)
	// Self is the bot's own user, read at connect time.
	Self() User
}

// Polled is an update as getUpdates returned it: decoded, and its JSON as
// the server sent it, which the poller keeps in Redis until it is handled.
type Polled struct {
	Update
	Raw json.RawMessage
}

// DecodeUpdate reads an update in the Bot API's JSON; one without an
// update_id is refused. Ids start at 0 on Bale, so 0 cannot mean "none".
func DecodeUpdate(data []byte) (Update, error) {
	// The outer update_id, shallower than Update's own, takes the field,
	// so one decoding says whether it was there.
	var w struct {
		UpdateID *int `json:"update_id"`
		Update
	}
	if err := json.Unmarshal(data, &w); err != nil {
		return Update{}, fmt.Errorf("decode update: %w", err)
	}
	if w.UpdateID == nil {
		return Update{}, errors.New("decode update: no update_id")
	}
	w.Update.UpdateID = *w.UpdateID
	return w.Update, nil
}

// APIError is a refusal by the Bot API server, in the bot's own terms.
type APIError struct {
	Code        int
	Description string
	RetryAfter  time.Duration
}

func (e *APIError) Error() string {
	if e.Code == 0 && e.Description == "" {
		// Seen from platforms that lack a method (Bale's setMyCommands).
		return "bot api: refused, with neither an error code nor a description"
	}
	return fmt.Sprintf("bot api: %d %s", e.Code, e.Description)
}

// ErrFileTooLarge is returned by Download for files over the limit.
var ErrFileTooLarge = errors.New("file too large")

// ErrorCode is the Bot API code of err ("429"), "network" for a failure
// without one, or "" for no error.
func ErrorCode(err error) string {
	var ae *APIError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &ae):
		return strconv.Itoa(ae.Code)
	}
	return "network"
}
