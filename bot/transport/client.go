package transport

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// API is all the bot needs of a Bot API server. The library's types are used
// for requests and updates; its transport is wrapped so every call honours a
// context.
type API interface {
	// Do sends a request built with the library's config types.
	Do(ctx context.Context, c tgbotapi.Chattable) (json.RawMessage, error)
	// Call sends a method the library lacks, or lacks fields of.
	Call(ctx context.Context, method string, params tgbotapi.Params) (json.RawMessage, error)
	// Updates long-polls for updates from offset on.
	Updates(ctx context.Context, offset, limit int, timeout time.Duration) ([]Polled, error)
	// Download fetches a file the user sent, refusing files larger than max bytes.
	Download(ctx context.Context, fileID string, max int64) ([]byte, error)
	// Self is the bot's own user, read at connect time.
	Self() tgbotapi.User
}

// Polled is an update as getUpdates returned it: decoded, and its JSON as
// the server sent it, which the poller keeps in Redis until it is handled.
type Polled struct {
	tgbotapi.Update
	Raw json.RawMessage
}

// APIError is a refusal by the Bot API server, in the bot's own terms.
type APIError struct {
	Code        int
	Description string
	RetryAfter  time.Duration
}

func (e *APIError) Error() string {
	return fmt.Sprintf("bot api: %d %s", e.Code, e.Description)
}

// Endpoint names a Bot API server by its base URL: Telegram's
// https://api.telegram.org, Bale's https://tapi.bale.ai, or a self-hosted one.
type Endpoint string

func (e Endpoint) methods() string { return strings.TrimRight(string(e), "/") + "/bot%s/%s" }
func (e Endpoint) files() string   { return strings.TrimRight(string(e), "/") + "/file/bot%s/%s" }

// Telegram is the API over go-telegram-bot-api.
type Telegram struct {
	bot   *tgbotapi.BotAPI
	http  *http.Client
	files string
}

// Connect checks the token with getMe and returns a ready API.
func Connect(ctx context.Context, endpoint Endpoint, token string, hc *http.Client) (*Telegram, error) {
	if hc == nil {
		hc = &http.Client{}
	}
	t := &Telegram{http: hc, files: endpoint.files()}
	// The library calls getMe in its constructor without a context, so the
	// constructor gets a client bound to ctx.
	b, err := tgbotapi.NewBotAPIWithClient(token, endpoint.methods(), ctxDoer{ctx, hc})
	if err != nil {
		return nil, fmt.Errorf("connect to bot api: %w", translate(err, token))
	}
	t.bot = b
	return t, nil
}

// ctxDoer binds a context to the library's context-free requests.
type ctxDoer struct {
	ctx context.Context
	c   *http.Client
}

func (d ctxDoer) Do(r *http.Request) (*http.Response, error) { return d.c.Do(r.WithContext(d.ctx)) }

// with returns a shallow copy of the library's client whose requests use ctx.
// BotAPI holds no locks and the copy shares nothing mutable, so this is cheap
// and safe for concurrent use.
func (t *Telegram) with(ctx context.Context) *tgbotapi.BotAPI {
	b := *t.bot
	b.Client = ctxDoer{ctx, t.http}
	return &b
}

func (t *Telegram) Self() tgbotapi.User { return t.bot.Self }

func (t *Telegram) Do(ctx context.Context, c tgbotapi.Chattable) (json.RawMessage, error) {
	resp, err := t.with(ctx).Request(c)
	if err != nil {
		return nil, t.translate(err)
	}
	return resp.Result, nil
}

func (t *Telegram) Call(ctx context.Context, method string, params tgbotapi.Params) (json.RawMessage, error) {
	resp, err := t.with(ctx).MakeRequest(method, params)
	if err != nil {
		return nil, t.translate(err)
	}
	return resp.Result, nil
}

// Updates asks for getUpdates through MakeRequest, as the library's
// GetUpdates would, but keeps each update's JSON beside the decoded update.
func (t *Telegram) Updates(ctx context.Context, offset, limit int, timeout time.Duration) ([]Polled, error) {
	params := tgbotapi.Params{}
	params.AddNonZero("offset", offset)
	params.AddNonZero("limit", limit)
	params.AddNonZero("timeout", int(timeout/time.Second))
	resp, err := t.with(ctx).MakeRequest("getUpdates", params)
	if err != nil {
		return nil, t.translate(err)
	}
	raws, err := splitArray(resp.Result)
	if err != nil {
		return nil, fmt.Errorf("decode updates: %w", err)
	}
	ps := make([]Polled, len(raws))
	for i, raw := range raws {
		if err := json.Unmarshal(raw, &ps[i].Update); err != nil {
			return nil, fmt.Errorf("decode update: %w", err)
		}
		ps[i].Raw = raw
	}
	return ps, nil
}

func (t *Telegram) Download(ctx context.Context, fileID string, max int64) ([]byte, error) {
	f, err := t.with(ctx).GetFile(tgbotapi.FileConfig{FileID: fileID})
	if err != nil {
		return nil, t.translate(err)
	}
	if f.FileSize > 0 && int64(f.FileSize) > max {
		return nil, ErrFileTooLarge
	}
	// The library's File.Link hard-codes Telegram's host, so the link is
	// built from the configured endpoint instead.
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf(t.files, t.bot.Token, f.FilePath), nil)
	if err != nil {
		return nil, fmt.Errorf("download %s: %w", f.FilePath, err)
	}
	resp, err := t.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("download file: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, &APIError{Code: resp.StatusCode, Description: "file download failed"}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, fmt.Errorf("download file: %w", err)
	}
	if int64(len(data)) > max {
		return nil, ErrFileTooLarge
	}
	return data, nil
}

// splitArray returns the elements of a JSON array as slices of data. The
// library has checked data is valid JSON already, so this only finds where
// each element ends: json.Unmarshal into []json.RawMessage would scan it
// twice more and copy every element, which the load benchmark's profile
// put at a third of decoding a batch.
func splitArray(data []byte) ([]json.RawMessage, error) {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '[' {
		return nil, errors.New("not a JSON array")
	}
	var out []json.RawMessage
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == ']' {
		return out, nil
	}
	for i < len(data) {
		end, err := valueEnd(data, i)
		if err != nil {
			return nil, err
		}
		out = append(out, data[i:end:end])
		i = skipSpace(data, end)
		if i >= len(data) {
			break
		}
		switch data[i] {
		case ']':
			return out, nil
		case ',':
			i = skipSpace(data, i+1)
		default:
			return nil, fmt.Errorf("unexpected %q after an array element", data[i])
		}
	}
	return nil, errors.New("unterminated JSON array")
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// valueEnd is the index just past the JSON value starting at data[i].
func valueEnd(data []byte, i int) (int, error) {
	depth := 0
	for ; i < len(data); i++ {
		switch c := data[i]; c {
		case '"':
			for i++; i < len(data) && data[i] != '"'; i++ {
				if data[i] == '\\' {
					i++
				}
			}
			if i >= len(data) {
				return 0, errors.New("unterminated JSON string")
			}
			if depth == 0 {
				return i + 1, nil
			}
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return i, nil // the end of a bare number or literal
			}
			if depth--; depth == 0 {
				return i + 1, nil
			}
		case ',', ' ', '\t', '\n', '\r':
			if depth == 0 {
				return i, nil
			}
		}
	}
	if depth == 0 {
		return i, nil
	}
	return 0, errors.New("unterminated JSON value")
}

// ErrFileTooLarge is returned by Download for files over the limit.
var ErrFileTooLarge = errors.New("file too large")

func (t *Telegram) translate(err error) error { return translate(err, t.bot.Token) }

// translate turns the library's error into an *APIError where it is one,
// and takes the token out of network errors: their URL carries it, and
// they end up in logs.
func translate(err error, token string) error {
	var te *tgbotapi.Error
	if errors.As(err, &te) {
		return &APIError{Code: te.Code, Description: te.Message, RetryAfter: time.Duration(te.RetryAfter) * time.Second}
	}
	var ue *url.Error
	if errors.As(err, &ue) && token != "" {
		return &url.Error{Op: ue.Op, URL: strings.ReplaceAll(ue.URL, token, "<token>"), Err: ue.Err}
	}
	return err
}
