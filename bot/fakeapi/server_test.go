package fakeapi

import (
	"encoding/json"
	"math"
	"net/http/httptest"
	"testing"
)

// writeResult must write what encoding the envelope would.
func TestWriteResultAsEnvelope(t *testing.T) {
	upd, _ := json.Marshal(tgUpdate{UpdateID: 7, Message: &tgMessage{Text: "<a & b>\u2028", Chat: &tgChat{ID: 1}}})
	for _, res := range []any{
		true,
		&tgMessage{MessageID: 3, Text: "سلام <b>", Chat: &tgChat{ID: 1, Type: "private"}},
		described{true, "Webhook was set"},
		described{true, ""},
		[]json.RawMessage{},
		[]json.RawMessage{upd, upd},
		[]json.RawMessage(nil),
		[]Command{},
		Account{ID: 1, FirstName: "B"},
		tgWebhookInfo{},
		nil,
		math.Inf(1), // cannot be encoded
	} {
		env := envelope{Ok: true, Result: res}
		if d, ok := res.(described); ok {
			env.Result, env.Description = d.result, d.description
		}
		rec := httptest.NewRecorder()
		writeJSON(rec, 200, env)
		want, wantCode := rec.Body.String(), rec.Code
		rec = httptest.NewRecorder()
		writeResult(rec, res)
		if got := rec.Body.String(); got != want || rec.Code != wantCode {
			t.Errorf("%#v: writeResult wrote %d %s, want %d %s", res, rec.Code, got, wantCode, want)
		}
	}
}
