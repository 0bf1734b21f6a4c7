package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"github.com/rasad-gov/rasad/bot/transport"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Network errors name the URL, and the URL holds the token: it must not
// reach a log line.
func TestNetworkErrorsDoNotCarryTheToken(t *testing.T) {
	const token = "123456:SECRET-token-value"
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	// Nothing listens on port 1.
	_, err := Connect(ctx, Endpoint("http://127.0.0.1:1"), token, &http.Client{})
	if err == nil {
		t.Fatal("connect to a closed port succeeded")
	}
	if strings.Contains(err.Error(), "SECRET") {
		t.Errorf("error carries the token: %v", err)
	}
	var ae *transport.APIError
	if errors.As(err, &ae) {
		t.Errorf("a network failure was taken for an API refusal: %v", err)
	}
}

// splitArray finds the same elements json.Unmarshal does, without copying.
func TestSplitArray(t *testing.T) {
	for _, in := range []string{
		`[]`, ` [ ] `, `[{"update_id":1}]`,
		`[{"update_id":1,"message":{"text":"a \"quoted\" ]} text","entities":[{"offset":0}]}},{"update_id":2}]`,
		"[ 1 , \"two\" ,\n[3,[4]] ,{\"5\":\"\\\\\"}, true, null ]",
		`[{"text":"سلام، دنیا \u0041"}]`,
	} {
		if !json.Valid([]byte(in)) {
			t.Fatalf("not JSON: %s", in)
		}
		splitsLikeUnmarshal(t, []byte(in))
	}
	for _, in := range []string{``, `{}`, `[{"a":1}`, `[{"a":"1}]`, `[1 2]`} {
		if got, err := splitArray([]byte(in)); err == nil {
			t.Errorf("splitArray(%s) = %q, want an error", in, got)
		}
	}
}

// Any JSON array json.Unmarshal accepts is split into the same elements.
func FuzzSplitArray(f *testing.F) {
	for _, seed := range []string{`[]`, `[{"update_id":1,"message":{"text":"]}\""}}]`, `[1,"a",[2],{"b":null}]`, "[\n{\"a\":\"\\\\\"}\t]"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(splitsLikeUnmarshal)
}

// splitsLikeUnmarshal checks splitArray against json.Unmarshal for data
// that is a JSON array; anything else is left alone.
func splitsLikeUnmarshal(t *testing.T, data []byte) {
	var want []json.RawMessage
	if json.Unmarshal(data, &want) != nil || want == nil {
		return
	}
	got, err := splitArray(data)
	if err != nil {
		t.Fatalf("splitArray(%q): %v", data, err)
	}
	if len(got) != len(want) {
		t.Fatalf("splitArray(%q) = %q, want %q", data, got, want)
	}
	for i := range want {
		if string(got[i]) != string(want[i]) {
			t.Fatalf("splitArray(%q)[%d] = %q, want %q", data, i, got[i], want[i])
		}
	}
}
