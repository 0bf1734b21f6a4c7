package telegram

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/rasad-gov/rasad/bot/fakeapi"
	"github.com/rasad-gov/rasad/bot/transport"
)

// A share-location button reaches the user as one, and what they share
// (their location, a photo with its sizes and caption) decodes into the
// project's types.
func TestLocationAndPhotoRoundTrip(t *testing.T) {
	srv := fakeapi.New(fakeapi.Options{})
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	api, err := Connect(ctx, Endpoint(srv.URL()), srv.Token(), &http.Client{})
	if err != nil {
		t.Fatal(err)
	}
	u := srv.User(21, "Inspector")
	u.SetLocation(35.715298, 51.404343)

	kb := transport.ReplyKeyboard{Rows: [][]transport.ReplyButton{
		{{Text: "📍 Share", RequestLocation: true}},
		{{Text: "Cancel"}},
	}, Resize: true}
	if err := api.Do(ctx, transport.SendMessage{Chat: u.ID(), Text: "Where are you?", Markup: kb}); err != nil {
		t.Fatal(err)
	}
	m, err := u.Next(time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.ReplyKeyboard) != 2 || !m.ReplyKeyboard[0][0].RequestLocation || m.ReplyKeyboard[1][0].RequestLocation {
		t.Fatalf("reply keyboard %+v", m.ReplyKeyboard)
	}
	if _, err := u.Tap("📍 Share", time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := u.SendPhotoCaption("front door"); err != nil {
		t.Fatal(err)
	}

	ps, err := api.Updates(ctx, 0, 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 {
		t.Fatalf("%d updates", len(ps))
	}
	if loc := ps[0].Update.Message.Location; loc == nil || *loc != (transport.Location{Latitude: 35.715298, Longitude: 51.404343}) {
		t.Errorf("location %+v", loc)
	}
	pm := ps[1].Update.Message
	if len(pm.Photo) != 2 || pm.Caption != "front door" || pm.Photo[1].Width <= pm.Photo[0].Width || pm.Photo[1].FileUniqueID == "" {
		t.Fatalf("photo %+v caption %q", pm.Photo, pm.Caption)
	}
	data, err := api.Download(ctx, pm.Photo[1].FileID, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) != pm.Photo[1].FileSize {
		t.Errorf("downloaded %d bytes of a %d-byte photo", len(data), pm.Photo[1].FileSize)
	}
}
