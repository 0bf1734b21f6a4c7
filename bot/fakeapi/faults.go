package fakeapi

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Call is one recorded Bot API method call.
type Call struct {
	Method string            // canonical method name, e.g. "sendMessage"
	Params map[string]string // all parameters as strings (reply_markup etc. as JSON)
	Files  map[string]string // multipart file parts: field name -> file name
	Time   time.Time         // when the request arrived
	// Done is false while the call is still running (e.g. a long poll).
	Done bool
	// ErrorCode and Description describe a failed call; ErrorCode is 0 on
	// success. A call abandoned by its client has ErrorCode -1.
	ErrorCode   int
	Description string
}

// maxCalls bounds the call log of a long-running server (the playground).
const maxCalls = 20000

type failRule struct {
	method     string // lower case; "" = any
	remaining  int
	code       int
	retryAfter int
}

// FailNext makes the next n calls of method ("" = any method, getUpdates
// included) fail with the given error code. 429 carries
// parameters.retry_after = retryAfter; descriptions follow Telegram
// ("Too Many Requests: retry after N", "Internal Server Error",
// "Forbidden: bot was blocked by the user", ...). Rules are consumed in the
// order they were added. n <= 0 cancels pending failures for method.
//
// Note: go-telegram-bot-api drops the code for multipart uploads (UploadFiles leaves
// Error.Code 0), so sendDocument/sendPhoto uploads only see the description.
func (s *Server) FailNext(method string, n int, code int, retryAfter int) {
	key := strings.ToLower(method)
	s.mu.Lock()
	defer s.mu.Unlock()
	if n <= 0 {
		kept := s.failures[:0]
		for _, f := range s.failures {
			if f.method != key {
				kept = append(kept, f)
			}
		}
		s.failures = kept
		return
	}
	s.failures = append(s.failures, &failRule{method: key, remaining: n, code: code, retryAfter: retryAfter})
}

// SetDelay delays every response of method ("" = every method without a
// delay of its own) by d before it is processed. d <= 0 removes the delay.
func (s *Server) SetDelay(method string, d time.Duration) {
	key := strings.ToLower(method)
	s.mu.Lock()
	defer s.mu.Unlock()
	if d <= 0 {
		delete(s.delays, key)
		return
	}
	s.delays[key] = d
}

// Calls returns the recorded calls of method ("" = all), oldest first.
// Method names are matched case-insensitively.
func (s *Server) Calls(method string) []Call {
	key := strings.ToLower(method)
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if key != "" && strings.ToLower(c.Method) != key {
			continue
		}
		cp := *c
		cp.Params = cloneMap(c.Params)
		cp.Files = cloneMap(c.Files)
		out = append(out, cp)
	}
	return out
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (s *Server) recordCall(method string, req *request) *Call {
	c := &Call{Method: method, Time: time.Now()}
	if req != nil {
		c.Params = req.params // no longer changed: shared, and copied by Calls
		if len(req.files) > 0 {
			c.Files = map[string]string{}
			for field, up := range req.files {
				c.Files[field] = up.name
			}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.calls) >= maxCalls {
		s.calls = append(s.calls[:0:0], s.calls[maxCalls/2:]...)
	}
	s.calls = append(s.calls, c)
	return c
}

func (s *Server) finishCall(c *Call, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.Done = true
	if err == nil {
		return
	}
	if ae, ok := err.(*apiError); ok {
		c.ErrorCode, c.Description = ae.Code, ae.Description
	} else {
		c.ErrorCode, c.Description = -1, err.Error()
	}
	s.stateSig.fire()
}

func (s *Server) delayFor(method string) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.delays) == 0 {
		return 0
	}
	if d, ok := s.delays[strings.ToLower(method)]; ok {
		return d
	}
	return s.delays[""]
}

func (s *Server) takeFailure(method string) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.failures) == 0 {
		return nil
	}
	key := strings.ToLower(method)
	for i, f := range s.failures {
		if f.method != "" && f.method != key {
			continue
		}
		f.remaining--
		if f.remaining <= 0 {
			s.failures = append(s.failures[:i], s.failures[i+1:]...)
		}
		return injectedError(f.code, f.retryAfter)
	}
	return nil
}

// injectedError builds the error Telegram would send for code.
func injectedError(code, retryAfter int) *apiError {
	e := &apiError{Code: code}
	switch code {
	case 400:
		e.Description = "Bad Request"
	case 401:
		e.Description = "Unauthorized"
	case 403:
		e.Description = "Forbidden: bot was blocked by the user"
	case 404:
		e.Description = "Not Found"
	case 409:
		e.Description = "Conflict"
	case 429:
		if retryAfter <= 0 {
			retryAfter = 1
		}
		e.RetryAfter = retryAfter
		e.Description = fmt.Sprintf("Too Many Requests: retry after %d", retryAfter)
	case 500:
		e.Description = "Internal Server Error"
	default:
		e.Description = http.StatusText(code)
		if e.Description == "" {
			e.Description = fmt.Sprintf("Error %d", code)
		}
	}
	return e
}

// recentErrorsLocked summarises the last failed bot calls, to make timeouts
// on the user side self-explanatory.
func (s *Server) recentErrorsLocked(n int) string {
	var parts []string
	for i := len(s.calls) - 1; i >= 0 && len(parts) < n; i-- {
		c := s.calls[i]
		if c.Done && c.ErrorCode > 0 {
			parts = append(parts, fmt.Sprintf("%s: %d %s", c.Method, c.ErrorCode, c.Description))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "; recent failed bot calls: " + strings.Join(parts, " | ")
}
