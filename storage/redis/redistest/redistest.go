// Package redistest gives each test a store on its own key prefix
// ("test:<random>:"), so tests and test packages can share one Redis server.
//
// The server is TEST_REDIS_URL, by default redis://127.0.0.1:6379/0. The
// prefix's keys are deleted when the test ends.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/rasad-gov/rasad/storage/redis"
)

// DefaultURL is the server used when TEST_REDIS_URL is not set.
const DefaultURL = "redis://127.0.0.1:6379/0"

// URL returns TEST_REDIS_URL or DefaultURL.
func URL() string {
	if u := os.Getenv("TEST_REDIS_URL"); u != "" {
		return u
	}
	return DefaultURL
}

// New returns a store on a fresh random prefix. When tb ends the store is
// closed and every key under the prefix deleted.
func New(tb testing.TB) *redis.Store {
	tb.Helper()
	b := make([]byte, 8)
	_, _ = rand.Read(b) // never fails
	prefix := "test:" + hex.EncodeToString(b) + ":"
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := redis.Open(ctx, URL(), prefix)
	if err != nil {
		tb.Fatalf("redistest: %v", err)
	}
	tb.Cleanup(func() {
		s.Close()
		if err := deletePrefix(prefix); err != nil {
			tb.Errorf("redistest: delete %s*: %v", prefix, err)
		}
	})
	return s
}

// Client returns a plain client on the test server, closed when tb ends,
// for tests that inspect keys (TTLs, layout) directly.
func Client(tb testing.TB) *goredis.Client {
	tb.Helper()
	opts, err := goredis.ParseURL(URL())
	if err != nil {
		tb.Fatalf("redistest: %v", err)
	}
	c := goredis.NewClient(opts)
	tb.Cleanup(func() { c.Close() })
	return c
}

func deletePrefix(prefix string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	opts, err := goredis.ParseURL(URL())
	if err != nil {
		return err
	}
	c := goredis.NewClient(opts)
	defer c.Close()
	iter := c.Scan(ctx, 0, prefix+"*", 500).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		return err
	}
	if len(keys) == 0 {
		return nil
	}
	return c.Del(ctx, keys...).Err()
}
