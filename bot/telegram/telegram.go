// Package telegram is the one place the Bot API client library is used: it
// implements transport.API over go-telegram-bot-api, turning the project's
// requests into the library's and its errors into transport.APIError. The
// same code serves Telegram, a self-hosted Bot API server and Bale.
package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/rasad-gov/rasad/bot/transport"
)

// Endpoint names a Bot API server by its base URL: Telegram's
// https://api.telegram.org, Bale's https://tapi.bale.ai, or a self-hosted one.
type Endpoint string

func (e Endpoint) methods() string { return strings.TrimRight(string(e), "/") + "/bot%s/%s" }
func (e Endpoint) files() string   { return strings.TrimRight(string(e), "/") + "/file/bot%s/%s" }

// host is the server's host and port, or the endpoint itself if it is not
// a URL.
func (e Endpoint) host() string {
	if u, err := url.Parse(string(e)); err == nil && u.Host != "" {
		return u.Host
	}
	return string(e)
}

// Telegram is transport.API over go-telegram-bot-api.
type Telegram struct {
	bot   *tgbotapi.BotAPI
	http  *http.Client
	files string
	host  string // the Bot API server's
}

// Connect checks the token with getMe and returns a ready API.
func Connect(ctx context.Context, endpoint Endpoint, token string, hc *http.Client) (*Telegram, error) {
	if hc == nil {
		hc = &http.Client{}
	}
	t := &Telegram{http: hc, files: endpoint.files(), host: endpoint.host()}
	// The library calls getMe in its constructor without a context, so the
	// constructor gets a client bound to ctx.
	b, err := tgbotapi.NewBotAPIWithClient(token, endpoint.methods(), ctxDoer{ctx, hc})
	if err != nil {
		return nil, fmt.Errorf("connect to bot api: %w", translate(err, token))
	}
	t.bot = b
	return t, nil
}

// Scope names this bot on its Bot API server ("123456@api.telegram.org"):
// update ids are unique within it, and start again on another server.
func (t *Telegram) Scope() string { return strconv.FormatInt(t.bot.Self.ID, 10) + "@" + t.host }

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

func (t *Telegram) Self() transport.User {
	u := t.bot.Self
	return transport.User{ID: u.ID, IsBot: u.IsBot, FirstName: u.FirstName, LastName: u.LastName, UserName: u.UserName}
}

// Do makes r as the library's request. The message the server made of it
// is not decoded: nothing needs it, and decoding it was a measurable share
// of every reply's cost.
func (t *Telegram) Do(ctx context.Context, r transport.Request) error {
	b := t.with(ctx)
	var err error
	if c, ok := chattable(r); ok {
		_, err = b.Request(c)
	} else if method, params, ok := call(r); ok {
		_, err = b.MakeRequest(method, params)
	} else {
		return fmt.Errorf("telegram: no method for %T", r)
	}
	if err != nil {
		return t.translate(err)
	}
	return nil
}

// chattable is r as one of the library's configs, where it has one.
func chattable(r transport.Request) (tgbotapi.Chattable, bool) {
	switch r := r.(type) {
	case transport.SendMessage:
		m := tgbotapi.NewMessage(r.Chat, r.Text)
		if r.Markup != nil {
			m.ReplyMarkup = r.Markup // each kind encodes as the Bot API's reply_markup
		}
		return m, true
	case transport.SendDocument:
		var file tgbotapi.RequestFileData = tgbotapi.FileBytes{Name: r.File.Name, Bytes: r.File.Bytes}
		if r.FileID != "" {
			file = tgbotapi.FileID(r.FileID)
		}
		d := tgbotapi.NewDocument(r.Chat, file)
		d.Caption = r.Caption
		return d, true
	case transport.SendPhoto:
		p := tgbotapi.NewPhoto(r.Chat, tgbotapi.FileBytes{Name: r.File.Name, Bytes: r.File.Bytes})
		p.Caption = r.Caption
		return p, true
	case transport.EditText:
		return tgbotapi.NewEditMessageText(r.Chat, r.MessageID, r.Text), true
	case transport.EditMarkup:
		// Rows are never nil here: "[]" takes the buttons away, null is refused.
		kb := tgbotapi.InlineKeyboardMarkup{InlineKeyboard: make([][]tgbotapi.InlineKeyboardButton, len(r.Markup.Rows))}
		for i, row := range r.Markup.Rows {
			for _, b := range row {
				kb.InlineKeyboard[i] = append(kb.InlineKeyboard[i], tgbotapi.NewInlineKeyboardButtonData(b.Text, b.Data))
			}
		}
		return tgbotapi.NewEditMessageReplyMarkup(r.Chat, r.MessageID, kb), true
	case transport.AnswerCallback:
		return tgbotapi.NewCallback(r.ID, r.Text), true
	case transport.ChatAction:
		return tgbotapi.NewChatAction(r.Chat, r.Action), true
	case transport.SetCommands:
		cmds := make([]tgbotapi.BotCommand, len(r.Commands))
		for i, c := range r.Commands {
			cmds[i] = tgbotapi.BotCommand{Command: c.Command, Description: c.Description}
		}
		var cfg tgbotapi.SetMyCommandsConfig
		if r.Chat != 0 {
			cfg = tgbotapi.NewSetMyCommandsWithScope(tgbotapi.NewBotCommandScopeChat(r.Chat), cmds...)
		} else {
			cfg = tgbotapi.NewSetMyCommands(cmds...)
		}
		cfg.LanguageCode = r.Language
		return cfg, true
	case transport.DeleteWebhook:
		return tgbotapi.DeleteWebhookConfig{}, true
	}
	return nil, false
}

// call is a request the library has no config for, or lacks fields of, as
// a method and its parameters.
func call(r transport.Request) (string, tgbotapi.Params, bool) {
	switch r := r.(type) {
	case transport.SetWebhook:
		// The library's WebhookConfig has no secret_token.
		params := tgbotapi.Params{"url": r.URL}
		params.AddNonZero("max_connections", r.MaxConnections)
		params.AddNonEmpty("secret_token", r.Secret)
		return "setWebhook", params, true
	}
	return "", nil, false
}

// Updates asks for getUpdates through MakeRequest, as the library's
// GetUpdates would, but keeps each update's JSON beside the decoded update.
func (t *Telegram) Updates(ctx context.Context, offset, limit int, timeout time.Duration) ([]transport.Polled, error) {
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
	ps := make([]transport.Polled, len(raws))
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
		return nil, transport.ErrFileTooLarge
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
		return nil, &transport.APIError{Code: resp.StatusCode, Description: "file download failed"}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, fmt.Errorf("download file: %w", err)
	}
	if int64(len(data)) > max {
		return nil, transport.ErrFileTooLarge
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

func (t *Telegram) translate(err error) error { return translate(err, t.bot.Token) }

// translate turns the library's error into a *transport.APIError where it is one,
// and takes the token out of network errors: their URL carries it, and
// they end up in logs.
func translate(err error, token string) error {
	var te *tgbotapi.Error
	if errors.As(err, &te) {
		return &transport.APIError{Code: te.Code, Description: te.Message, RetryAfter: time.Duration(te.RetryAfter) * time.Second}
	}
	var ue *url.Error
	if errors.As(err, &ue) && token != "" {
		return &url.Error{Op: ue.Op, URL: strings.ReplaceAll(ue.URL, token, "<token>"), Err: ue.Err}
	}
	return err
}
