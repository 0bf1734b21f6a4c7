package fakeapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// pendingUpdate is an update waiting to be confirmed by the bot: by a later
// getUpdates offset, or by a 2xx answer of the webhook.
type pendingUpdate struct {
	id      int
	raw     []byte // JSON, frozen when the update was created
	chatKey int64  // webhook deliveries for one chat are sequential
	cbID    string // callback query carried by the update, if any

	// redelivered entries (Redeliver) survive an offset beyond their id
	// until they have been handed out once more.
	redelivered bool
	delivered   bool

	inflight bool // a webhook POST is running
	attempts int  // failed webhook deliveries
	nextTry  time.Time
}

// sentUpdate is the history of every update ever created, for Redeliver.
type sentUpdate struct {
	raw     []byte
	chatKey int64
	cbID    string
}

// poller is the getUpdates call currently waiting; kill terminates it
// when another getUpdates arrives.
type poller struct{ kill chan struct{} }

type webhookState struct {
	url, secret string
	maxConn     int
	allowed     []string
	ipAddress   string
	ctx         context.Context // cancelled when the webhook is replaced or deleted
	cancel      context.CancelFunc
	inflight    int
	lastErrDate time.Time
	lastErrMsg  string
}

var (
	errTerminated = &apiError{Code: 409, Description: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"}
	errHookActive = &apiError{Code: 409, Description: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"}
)

// enqueueLocked assigns the next update id, freezes the update as JSON and
// queues it for the bot.
func (s *Server) enqueueLocked(upd tgUpdate, chatKey int64, cbID string) int {
	id := s.nextUpdateID
	s.nextUpdateID++
	upd.UpdateID = id
	raw := marshalUpdate(&upd)
	s.history[id] = &sentUpdate{raw: raw, chatKey: chatKey, cbID: cbID}
	// New ids are the largest, so appending keeps pending sorted.
	s.pending = append(s.pending, &pendingUpdate{id: id, raw: raw, chatKey: chatKey, cbID: cbID})
	s.queueSig.fire()
	return id
}

// confirmLocked records that the bot has processed p.
func (s *Server) confirmLocked(p *pendingUpdate) {
	if p.cbID != "" && p.delivered {
		if cb := s.callbacks[p.cbID]; cb != nil {
			cb.confirmed = true
			s.stateSig.fire()
		}
	}
}

func (s *Server) removePendingLocked(p *pendingUpdate) bool {
	for i, q := range s.pending {
		if q == p {
			s.pending = append(s.pending[:i], s.pending[i+1:]...)
			return true
		}
	}
	return false
}

// applyOffsetLocked implements getUpdates' offset: every update with a
// smaller id is confirmed and forgotten; a negative offset keeps only the
// last -offset updates.
func (s *Server) applyOffsetLocked(offset int) {
	switch {
	case offset == 0:
		return
	case offset < 0:
		if keep := -offset; len(s.pending) > keep {
			s.pending = append([]*pendingUpdate(nil), s.pending[len(s.pending)-keep:]...)
		}
		return
	}
	kept := s.pending[:0] // in place: nobody else holds the slice
	for _, p := range s.pending {
		if p.id < offset && !(p.redelivered && !p.delivered) {
			s.confirmLocked(p)
			continue
		}
		kept = append(kept, p)
	}
	clear(s.pending[len(kept):])
	s.pending = kept
}

func (s *Server) collectLocked(offset, limit int) []json.RawMessage {
	out := make([]json.RawMessage, 0)
	for _, p := range s.pending {
		if len(out) >= limit {
			break
		}
		if p.id >= offset || (p.redelivered && !p.delivered) {
			p.delivered = true
			out = append(out, p.raw)
		}
	}
	return out
}

func (s *Server) getUpdates(ctx context.Context, req *request) (any, error) {
	offset, err := req.integer("offset", 0)
	if err != nil {
		return nil, err
	}
	limit, err := req.integer("limit", 100)
	if err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 100)
	var timeout time.Duration
	if v := strings.TrimSpace(req.str("timeout")); v != "" {
		secs, ok := parseSeconds(v)
		if !ok {
			return nil, badRequest("invalid timeout specified")
		}
		timeout = time.Duration(max(secs, 0) * float64(time.Second))
	}

	s.mu.Lock()
	if s.webhook != nil {
		s.mu.Unlock()
		return nil, errHookActive
	}
	if s.poll != nil { // like Telegram: the newer request wins
		close(s.poll.kill)
	}
	me := &poller{kill: make(chan struct{})}
	s.poll = me
	s.applyOffsetLocked(int(offset))
	from := int(max(offset, 0))

	var deadline <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		deadline = t.C
	}
	expired := timeout <= 0
	release := func() {
		if s.poll == me {
			s.poll = nil
		}
	}
	for {
		if s.poll != me {
			s.mu.Unlock()
			return nil, errTerminated
		}
		if s.webhook != nil {
			release()
			s.mu.Unlock()
			return nil, errHookActive
		}
		batch := s.collectLocked(from, int(limit))
		if len(batch) > 0 || expired {
			release()
			s.mu.Unlock()
			return batch, nil
		}
		wake := s.queueSig.C()
		s.mu.Unlock()
		select {
		case <-wake:
		case <-me.kill:
		case <-deadline:
			expired = true
		case <-ctx.Done():
			s.mu.Lock()
			release()
			s.mu.Unlock()
			return nil, ctx.Err()
		case <-s.done:
			s.mu.Lock()
			release()
			s.mu.Unlock()
			return nil, errClosed
		}
		s.mu.Lock()
	}
}

// parseSeconds reads getUpdates' timeout as fmt.Sscan does, without its
// cost for the usual whole number of seconds.
func parseSeconds(v string) (float64, bool) {
	if len(v) <= 9 && strings.Trim(v, "0123456789") == "" {
		n, err := strconv.Atoi(v)
		return float64(n), err == nil
	}
	var secs float64
	_, err := fmt.Sscan(v, &secs)
	return secs, err == nil
}

var secretTokenRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

func (s *Server) setWebhook(_ context.Context, req *request) (any, error) {
	raw := strings.TrimSpace(req.str("url"))
	drop := req.boolean("drop_pending_updates")
	if raw == "" { // Telegram: an empty url removes the webhook
		return s.removeWebhook(drop), nil
	}
	u, perr := url.Parse(raw)
	if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, badRequest("bad webhook: invalid webhook URL specified")
	}
	secret := req.str("secret_token")
	if secret != "" && !secretTokenRE.MatchString(secret) {
		return nil, badRequest("bad webhook: secret token contains unallowed characters")
	}
	maxConn, err := req.integer("max_connections", 40)
	if err != nil {
		return nil, err
	}
	if maxConn <= 0 {
		maxConn = 40
	}
	maxConn = min(maxConn, 100)
	var allowed []string
	if a := req.str("allowed_updates"); a != "" {
		_ = json.Unmarshal([]byte(a), &allowed) // accepted, not enforced
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	desc := "Webhook was set"
	if wh := s.webhook; wh != nil && wh.url == raw {
		desc = "Webhook is already set"
		wh.secret, wh.maxConn, wh.allowed, wh.ipAddress = secret, int(maxConn), allowed, req.str("ip_address")
	} else {
		if wh != nil {
			wh.cancel()
		}
		ctx, cancel := context.WithCancel(s.baseCtx)
		s.webhook = &webhookState{url: raw, secret: secret, maxConn: int(maxConn), allowed: allowed,
			ipAddress: req.str("ip_address"), ctx: ctx, cancel: cancel}
		for _, p := range s.pending {
			p.attempts, p.nextTry = 0, time.Time{}
		}
	}
	if drop {
		s.pending = nil
	}
	s.queueSig.fire() // wakes the dispatcher, and a long poll which now gets 409
	s.hookSig.fire()
	return described{true, desc}, nil
}

func (s *Server) deleteWebhook(_ context.Context, req *request) (any, error) {
	return s.removeWebhook(req.boolean("drop_pending_updates")), nil
}

func (s *Server) removeWebhook(drop bool) described {
	s.mu.Lock()
	defer s.mu.Unlock()
	desc := "Webhook is already deleted"
	if s.webhook != nil {
		s.webhook.cancel()
		s.webhook = nil
		desc = "Webhook was deleted"
	}
	if drop {
		s.pending = nil
	}
	s.queueSig.fire()
	return described{true, desc}
}

func (s *Server) getWebhookInfo(_ context.Context, _ *request) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	info := tgWebhookInfo{PendingUpdateCount: len(s.pending)}
	if wh := s.webhook; wh != nil {
		info.URL = wh.url
		info.MaxConnections = wh.maxConn
		info.AllowedUpdates = wh.allowed
		info.IPAddress = wh.ipAddress
		info.LastErrorMessage = wh.lastErrMsg
		if !wh.lastErrDate.IsZero() {
			info.LastErrorDate = wh.lastErrDate.Unix()
		}
	}
	return info, nil
}

// dispatchWebhooks runs for the server's lifetime and starts deliveries for
// the current webhook: at most max_connections at once, and one at a time
// per chat so a chat's updates arrive in order (as Telegram does).
func (s *Server) dispatchWebhooks() {
	defer s.wg.Done()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		s.mu.Lock()
		if s.closed() {
			s.mu.Unlock()
			return
		}
		// Without a webhook only setWebhook wakes the dispatcher, not
		// every update a long poll takes.
		wake := s.hookSig.C()
		var next time.Time
		if wh := s.webhook; wh != nil {
			wake = s.queueSig.C()
			now := time.Now()
			busy := map[int64]bool{}
			for _, p := range s.pending {
				if p.chatKey != 0 {
					if busy[p.chatKey] {
						continue
					}
					busy[p.chatKey] = true
				}
				if p.inflight {
					continue
				}
				if p.nextTry.After(now) {
					if next.IsZero() || p.nextTry.Before(next) {
						next = p.nextTry
					}
					continue
				}
				if wh.inflight >= wh.maxConn {
					break
				}
				p.inflight = true
				wh.inflight++
				s.wg.Add(1)
				go s.deliver(wh, p, wh.url, wh.secret)
			}
		}
		s.mu.Unlock()

		var retry <-chan time.Time
		if !next.IsZero() {
			timer.Reset(time.Until(next))
			retry = timer.C
		}
		select {
		case <-wake:
		case <-retry:
		case <-s.done:
			timer.Stop()
			return
		}
		timer.Stop()
	}
}

// deliver POSTs one update to the webhook and records the outcome.
func (s *Server) deliver(wh *webhookState, p *pendingUpdate, hookURL, secret string) {
	defer s.wg.Done()
	ctx, cancel := context.WithTimeout(wh.ctx, s.opts.WebhookTimeout)
	defer cancel()

	ok, errMsg, body, contentType := s.post(ctx, hookURL, secret, p.raw)

	s.mu.Lock()
	wh.inflight--
	p.inflight = false
	if ok {
		p.delivered = true
		if s.removePendingLocked(p) {
			s.confirmLocked(p)
		}
	} else {
		p.attempts++
		backoff := s.opts.WebhookRetryDelay << min(p.attempts-1, 16)
		p.nextTry = time.Now().Add(min(backoff, 2*time.Second))
		wh.lastErrDate, wh.lastErrMsg = time.Now(), errMsg
	}
	s.queueSig.fire()
	s.mu.Unlock()

	if ok && len(body) > 0 {
		s.runWebhookReply(contentType, body)
	}
}

func (s *Server) post(ctx context.Context, hookURL, secret string, payload []byte) (ok bool, errMsg string, body []byte, contentType string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, hookURL, bytes.NewReader(payload))
	if err != nil {
		return false, err.Error(), nil, ""
	}
	req.Header.Set("Content-Type", "application/json")
	if secret != "" && !s.opts.OmitSecretHeader {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	}
	resp, err := s.hookClient.Do(req)
	if err != nil {
		return false, "Connection failed: " + err.Error(), nil, ""
	}
	defer resp.Body.Close()
	body, _ = io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return false, "Wrong response from the webhook: " + resp.Status, nil, ""
	}
	return true, "", body, resp.Header.Get("Content-Type")
}

// runWebhookReply executes a method the webhook returned in its response
// body (go-telegram-bot-api's WriteToHTTPResponse), as Telegram does. Its result is lost.
func (s *Server) runWebhookReply(contentType string, body []byte) {
	req := newRequest()
	if err := req.parseBody(contentType, bytes.NewReader(body), int64(len(body))); err != nil {
		return
	}
	method := req.params["method"]
	if method == "" {
		return
	}
	delete(req.params, "method")
	_, _ = s.invoke(s.baseCtx, method, req, nil)
}

// Redeliver queues an update that was already sent once more, with the same
// update_id (Telegram delivers at least once). A webhook receives it again.
// With long polling it is returned by the next getUpdates whatever the
// offset — but go-telegram-bot-api's GetUpdatesChan drops ids below its own offset, so
// only a bot that restarts polling without an offset (or tracks ids itself)
// sees it.
func (s *Server) Redeliver(updateID int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.history[updateID]
	if h == nil {
		return fmt.Errorf("fakeapi: update %d was never sent", updateID)
	}
	for _, p := range s.pending {
		if p.id == updateID {
			return fmt.Errorf("fakeapi: update %d is still pending", updateID)
		}
	}
	p := &pendingUpdate{id: updateID, raw: h.raw, chatKey: h.chatKey, cbID: h.cbID, redelivered: true}
	i := sort.Search(len(s.pending), func(i int) bool { return s.pending[i].id > updateID })
	s.pending = append(s.pending, nil)
	copy(s.pending[i+1:], s.pending[i:])
	s.pending[i] = p
	s.queueSig.fire()
	return nil
}

// Pending is the number of updates the bot has not confirmed yet.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pending)
}

// Webhook returns the current webhook URL and secret token ("" when unset).
func (s *Server) Webhook() (url, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.webhook == nil {
		return "", ""
	}
	return s.webhook.url, s.webhook.secret
}
