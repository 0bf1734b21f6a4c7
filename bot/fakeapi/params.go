package fakeapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// maxBodyBytes mirrors Telegram's 50 MB upload limit (plus multipart slack).
const maxBodyBytes = 52 << 20

// request is a method call's parameters, merged from the query string and the
// body (url-encoded, multipart or JSON). Values are kept as strings exactly as
// Telegram sees them: objects such as reply_markup stay JSON text. They
// are not changed once the call is made, when the Call record takes them.
type request struct {
	params map[string]string
	files  map[string]*upload
}

// upload is a file part of a multipart request.
type upload struct {
	name        string // client-side file name
	contentType string
	data        []byte
}

func newRequest() *request {
	return &request{params: map[string]string{}} // files: made by parseMultipart
}

// parseHTTPRequest never fails outright: a malformed body yields the
// parameters gathered so far plus a 400 error, so the call is still recorded.
func parseHTTPRequest(w http.ResponseWriter, r *http.Request) (*request, *apiError) {
	req := newRequest()
	if r.URL.RawQuery != "" {
		for k, v := range r.URL.Query() {
			if len(v) > 0 {
				req.params[k] = v[0]
			}
		}
	}
	if r.Body == nil || r.Method == http.MethodGet {
		return req, nil
	}
	body := http.MaxBytesReader(w, r.Body, maxBodyBytes)
	defer body.Close()
	return req, req.parseBody(r.Header.Get("Content-Type"), body, r.ContentLength)
}

// parseBody reads a body of the given content type; size is its length if
// known (else <= 0), to read it without growing a buffer.
func (req *request) parseBody(contentType string, body io.Reader, size int64) *apiError {
	ct := contentType
	var ctParams map[string]string
	if ct != "application/x-www-form-urlencoded" && ct != "application/json" { // as ParseMediaType returns them
		ct, ctParams, _ = mime.ParseMediaType(contentType)
	}
	if ct == "multipart/form-data" {
		return req.parseMultipart(body, ctParams["boundary"])
	}
	// The body is read into a pooled buffer: what is kept of it is copied.
	scratch := scratchPool.Get().(*[]byte)
	defer scratchPool.Put(scratch)
	data, err := readBody(body, size, *scratch)
	if cap(data) <= 64<<10 {
		*scratch = data[:0]
	}
	if err != nil {
		return bodyError(err)
	}
	if ct == "application/json" {
		return req.parseJSON(data)
	}
	// Telegram treats anything else as a url-encoded form.
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if len(req.params) == 0 { // no query string: the fast way
		if parseForm(req.params, string(data)) {
			return nil
		}
		clear(req.params) // ParseQuery's error follows, with no parameter
	}
	vals, err := url.ParseQuery(string(data))
	if err != nil {
		return badRequest("can't parse request body: %v", err)
	}
	for k, v := range vals {
		if len(v) > 0 {
			req.params[k] = v[0]
		}
	}
	return nil
}

// parseForm is url.ParseQuery keeping the first value of each key in
// params, which must be empty, without a map of slices. It reports false,
// having written some keys, where url.ParseQuery reports an error.
func parseForm(params map[string]string, query string) bool {
	for query != "" {
		var pair string
		pair, query, _ = strings.Cut(query, "&")
		if strings.Contains(pair, ";") {
			return false
		}
		if pair == "" {
			continue
		}
		key, value, _ := strings.Cut(pair, "=")
		key, ok := unescapeQuery(key)
		if !ok {
			return false
		}
		value, ok = unescapeQuery(value)
		if !ok {
			return false // checked for every pair, as ParseQuery does
		}
		if _, seen := params[key]; !seen {
			params[key] = value
		}
	}
	return true
}

// unescapeQuery is url.QueryUnescape in one pass, into a string of the
// exact size; ok is false where QueryUnescape fails.
func unescapeQuery(s string) (string, bool) {
	i := strings.IndexAny(s, "%+")
	if i < 0 {
		return s, true
	}
	var b strings.Builder
	b.Grow(max(len(s)-2*strings.Count(s[i:], "%"), 0)) // exact when valid
	b.WriteString(s[:i])
	for ; i < len(s); i++ {
		switch c := s[i]; c {
		case '%':
			if i+2 >= len(s) {
				return "", false
			}
			hi, lo := unhex(s[i+1]), unhex(s[i+2])
			if hi > 15 || lo > 15 {
				return "", false
			}
			b.WriteByte(hi<<4 | lo)
			i += 2
		case '+':
			b.WriteByte(' ')
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), true
}

// unhex is the value of a hex digit, or 255.
func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10
	}
	return 255
}

// readBody is io.ReadAll reading into buf if it has room for size bytes
// (and the EOF), else into a buffer made with that room.
func readBody(body io.Reader, size int64, buf []byte) ([]byte, error) {
	if size <= 0 || size >= maxBodyBytes {
		return io.ReadAll(body)
	}
	b := buf[:0]
	if int64(cap(b)) <= size {
		b = make([]byte, 0, size+1)
	}
	for {
		n, err := body.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) {
			rest, err := io.ReadAll(body)
			return append(b, rest...), err
		}
	}
}

func bodyError(err error) *apiError {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return &apiError{Code: 413, Description: "Request Entity Too Large"}
	}
	return badRequest("can't read request body: %v", err)
}

func (req *request) parseMultipart(body io.Reader, boundary string) *apiError {
	if boundary == "" {
		return badRequest("multipart boundary is missing")
	}
	mr := multipart.NewReader(body, boundary)
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return bodyError(err)
		}
		data, err := io.ReadAll(part)
		if err != nil {
			return bodyError(err)
		}
		name := part.FormName()
		if name == "" {
			continue
		}
		if part.FileName() != "" {
			if req.files == nil {
				req.files = map[string]*upload{}
			}
			req.files[name] = &upload{
				name:        part.FileName(),
				contentType: part.Header.Get("Content-Type"),
				data:        data,
			}
		} else {
			req.params[name] = string(data)
		}
	}
}

// parseJSON flattens a JSON object body: strings are taken verbatim, any
// other value (numbers, booleans, objects) as its JSON text, which is how
// the same value would look in a form field.
func (req *request) parseJSON(data []byte) *apiError {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		return badRequest("can't parse JSON object")
	}
	for k, raw := range obj {
		raw = bytes.TrimSpace(raw)
		switch {
		case bytes.Equal(raw, []byte("null")):
		case len(raw) > 0 && raw[0] == '"':
			var str string
			if err := json.Unmarshal(raw, &str); err != nil {
				return badRequest("can't parse JSON object")
			}
			req.params[k] = str
		default:
			req.params[k] = string(raw)
		}
	}
	return nil
}

func (req *request) str(key string) string { return req.params[key] }

func (req *request) has(key string) bool {
	_, ok := req.params[key]
	return ok
}

// boolean parses Telegram-style booleans ("true", "1", "True").
func (req *request) boolean(key string) bool {
	switch strings.ToLower(strings.TrimSpace(req.params[key])) {
	case "true", "1", "yes", "on":
		return true
	}
	return false
}

// integer returns def when the parameter is absent or empty.
func (req *request) integer(key string, def int64) (int64, *apiError) {
	v := strings.TrimSpace(req.params[key])
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(v, 64)
		if ferr != nil {
			return 0, badRequest("invalid %s specified", key)
		}
		n = int64(f)
	}
	return n, nil
}

// chatID reads chat_id. "@username" chats do not exist here, so they are
// reported as not found, like an unknown numeric id.
func (req *request) chatID() (int64, *apiError) {
	v := strings.TrimSpace(req.params["chat_id"])
	if v == "" {
		return 0, badRequest("chat_id is empty")
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, badRequest("chat not found")
	}
	return n, nil
}

// messageID reads message_id (required).
func (req *request) messageID() (int, *apiError) {
	if req.str("inline_message_id") != "" {
		// The server does not produce inline messages.
		return 0, badRequest("MESSAGE_ID_INVALID")
	}
	n, err := req.integer("message_id", 0)
	if err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, badRequest("message identifier is not specified")
	}
	return int(n), nil
}
