package transport

import (
	"context"
	"time"
)

// The runtime declares what it needs of Redis; cmd/rasad passes in the
// implementation.

// UpdateLog records handled update ids so a redelivered update is handled
// once. It takes lists: a poller claims and finishes a whole batch at once.
type UpdateLog interface {
	ClaimUpdates(ctx context.Context, ids []int64, owner string, lease time.Duration) (claimed, done []bool, err error)
	FinishUpdates(ctx context.Context, ids []int64, owner string, keep time.Duration) error
	ReleaseUpdates(ctx context.Context, ids []int64, owner string) error
}

// Inbox keeps polled updates in Redis from when they are accepted (claimed
// like ClaimUpdates) until UpdateLog.FinishUpdates, so a batch can be
// confirmed to the Bot API server before it is handled without a crash
// losing it.
type Inbox interface {
	AcceptUpdates(ctx context.Context, ids []int64, bodies [][]byte, owner string, lease time.Duration) (claimed, done []bool, err error)
	// InboxUpdates is every update accepted and not finished, oldest first.
	InboxUpdates(ctx context.Context) ([][]byte, error)
}

// Locks are leases in Redis: one per chat while an update of it is handled,
// so replicas take a chat's updates one at a time, and one for polling. A
// chat's lease is taken together with the update's claim and the reading
// of the chat's session (States' key), and given back together with marking
// the update done, in one round trip each.
type Locks interface {
	Acquire(ctx context.Context, name, owner string, lease time.Duration) (bool, error)
	Release(ctx context.Context, name, owner string) error
	LockAndClaim(ctx context.Context, name string, id int64, owner string, lease time.Duration, state string) (locked, claimed, done bool, data []byte, version int64, err error)
	FinishAndUnlock(ctx context.Context, name string, id int64, owner string, keep time.Duration) error
}
