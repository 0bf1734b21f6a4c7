// Package safir is a client of Bale's Safir (سفیر) service, which sends a
// bot's message to a phone number whose owner may never have written to the
// bot. It is documented at https://docs.bale.ai/safir:
//
//	POST {base}/api/v3/send_message
//	api-access-key: <the organisation's key from the Bale business panel>
//	{"bot_id": 123456789, "phone_number": "989121234567",
//	 "message_data": {"message": {"text": "..."}}}
//
// answered with {"message_id": "...", "error_data": null}, or with
// error_data naming a code and a description.
package safir

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rasad-gov/rasad/domain"
)

// DefaultURL is the service's base URL.
const DefaultURL = "https://safir.bale.ai"

// SendPath is the send-message method under the base URL.
const SendPath = "/api/v3/send_message"

// maxBody bounds what is read of an answer: a real one is a few hundred
// bytes, and a proxy's error page must not fill memory.
const maxBody = 64 << 10

// defaultTimeout bounds a send when the caller gives no client: one message
// is never worth holding a job longer.
const defaultTimeout = 15 * time.Second

// Error codes as Bale's OTP gateway documents them (docs.bale.ai/gateway:
// 400 code 8, 404 code 17). Safir's page lists no codes of its own; that it
// uses the same ones is an assumption, shared by other clients of it.
const (
	codeInvalidPhone = 8
	codeNotOnBale    = 17
)

var (
	// ErrNotOnBale: the number has no Bale account. Sending again will not
	// help; the caller marks the number and moves on.
	ErrNotOnBale = errors.New("safir: the number has no Bale account")
	// ErrInvalidPhone: Safir refused the number's form. Also final.
	ErrInvalidPhone = errors.New("safir: the number was refused as invalid")
)

// Error is a send Safir refused: its HTTP status, its error code (0 when it
// gave none) and its description, with the number masked.
type Error struct {
	Status      int
	Code        int
	Description string
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP %d", e.Status)
	if e.Code != 0 {
		fmt.Fprintf(&b, ", code %d", e.Code)
	}
	if e.Description != "" {
		b.WriteString(": ")
		b.WriteString(e.Description)
	}
	return b.String()
}

// Is lets errors.Is tell the final refusals apart. Only the code counts: a
// bare 404 is as likely a wrong SAFIR_URL as a stranger's number.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrNotOnBale:
		return e.Code == codeNotOnBale
	case ErrInvalidPhone:
		return e.Code == codeInvalidPhone
	}
	return false
}

// Client sends through Safir. It is safe for concurrent use.
type Client struct {
	url    string
	key    string
	botID  int64
	client *http.Client
}

// New makes a client of the service at baseURL (DefaultURL in production)
// that sends as the bot botID with the organisation's apiKey. A nil
// httpClient gets one with a 15 s timeout; the caller's context bounds each
// send as well.
func New(baseURL, apiKey string, botID int64, httpClient *http.Client) *Client {
	if httpClient == nil {
		httpClient = &http.Client{Timeout: defaultTimeout}
	}
	return &Client{url: strings.TrimRight(baseURL, "/") + SendPath, key: apiKey, botID: botID, client: httpClient}
}

type sendRequest struct {
	BotID       int64       `json:"bot_id"`
	PhoneNumber string      `json:"phone_number"`
	MessageData messageData `json:"message_data"`
}

type messageData struct {
	Message message `json:"message"`
}

type message struct {
	Text string `json:"text"`
}

// answer is what Safir replies. error_data is a list in the documentation
// and a single object in some answers seen in the wild; codes come as
// numbers or strings.
type answer struct {
	MessageID json.RawMessage `json:"message_id"`
	ErrorData json.RawMessage `json:"error_data"`
	// Seen on errors outside error_data (the OTP gateway's shape).
	Code    json.RawMessage `json:"code"`
	Message string          `json:"message"`
	Detail  json.RawMessage `json:"detail"`
}

type errorData struct {
	Code        json.RawMessage `json:"code"`
	Description string          `json:"description"`
}

// SendText sends text to phone as a message from the bot. Errors name the
// number masked, never in full. A refusal is an *Error; errors.Is tells
// ErrNotOnBale and ErrInvalidPhone.
func (c *Client) SendText(ctx context.Context, phone domain.Mobile, text string) error {
	if p, err := domain.ParseMobile(phone.String()); err != nil || p != phone {
		return fmt.Errorf("safir: send to %s: not a mobile number in canonical form", phone.Masked())
	}
	if strings.TrimSpace(text) == "" {
		return fmt.Errorf("safir: send to %s: empty text", phone.Masked())
	}
	if err := c.send(ctx, phone, text); err != nil {
		return fmt.Errorf("safir: send to %s: %w", phone.Masked(), err)
	}
	return nil
}

func (c *Client) send(ctx context.Context, phone domain.Mobile, text string) error {
	body, err := json.Marshal(sendRequest{BotID: c.botID, PhoneNumber: phone.International(), MessageData: messageData{Message: message{Text: text}}})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("api-access-key", c.key)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		// url.Error carries the URL only, never the body with the number.
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return fmt.Errorf("HTTP %d: reading the answer: %w", resp.StatusCode, err)
	}
	if len(data) > maxBody {
		return &Error{Status: resp.StatusCode, Description: fmt.Sprintf("answer longer than %d KB", maxBody>>10)}
	}
	return judge(resp.StatusCode, data, phone)
}

// judge reads an answer: success is a 2xx without an error code.
func judge(status int, data []byte, phone domain.Mobile) error {
	var a answer
	parsed := json.Unmarshal(data, &a) == nil
	ok := status >= 200 && status < 300
	if ok && parsed && isNull(a.ErrorData) && codeOf(a.Code) == 0 {
		return nil
	}
	e := &Error{Status: status}
	switch {
	case !parsed:
		if ok {
			e.Description = "unreadable answer"
		} else {
			e.Description = http.StatusText(status)
		}
	case !isNull(a.ErrorData):
		d := firstError(a.ErrorData)
		e.Code, e.Description = codeOf(d.Code), d.Description
	default:
		e.Code, e.Description = codeOf(a.Code), a.Message
		if e.Description == "" && !isNull(a.Detail) {
			e.Description = strings.Trim(string(a.Detail), `"`)
		}
		if e.Description == "" {
			e.Description = http.StatusText(status)
		}
	}
	e.Description = clean(e.Description, phone)
	return e
}

func isNull(r json.RawMessage) bool {
	s := strings.TrimSpace(string(r))
	return s == "" || s == "null" || s == "[]" || s == "{}"
}

// firstError reads error_data as a list or a single object.
func firstError(r json.RawMessage) errorData {
	var list []errorData
	if json.Unmarshal(r, &list) == nil && len(list) > 0 {
		return list[0]
	}
	var one errorData
	if json.Unmarshal(r, &one) == nil {
		return one
	}
	return errorData{Description: "unreadable error_data"}
}

// codeOf reads a code given as a number or a string; 0 when there is none.
func codeOf(r json.RawMessage) int {
	n, err := strconv.Atoi(strings.Trim(strings.TrimSpace(string(r)), `"`))
	if err != nil {
		return 0
	}
	return n
}

// clean keeps a description fit for an error: the number masked in every
// form the service might echo it, and a bounded length.
func clean(s string, phone domain.Mobile) string {
	for _, form := range []string{phone.String(), phone.International(), phone.Local(), phone.Local()[1:]} {
		s = strings.ReplaceAll(s, form, phone.Masked())
	}
	const max = 300
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return strings.TrimSpace(s)
}
