package bot

import (
	"context"
	"errors"
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
	var ae *APIError
	if errors.As(err, &ae) {
		t.Errorf("a network failure was taken for an API refusal: %v", err)
	}
}
