package bot

import (
	"context"
	"testing"
	"time"
)

// A sheet waits for a reading slot while Config.Uploads others are read,
// and gives up (the sender is told to try again) when none comes free.
func TestUploadSlots(t *testing.T) {
	b := &Bot{uploads: make(chan struct{}, 2)}
	ctx := context.Background()
	first, ok1 := b.uploadSlot(ctx)
	_, ok2 := b.uploadSlot(ctx)
	if !ok1 || !ok2 {
		t.Fatal("two slots of two not given")
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, ok := b.uploadSlot(short); ok {
		t.Fatal("a third slot given while two are taken")
	}
	first()
	if release, ok := b.uploadSlot(ctx); !ok {
		t.Fatal("a released slot not given again")
	} else {
		release()
	}
}
