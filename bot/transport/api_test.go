package transport

import "testing"

func TestDecodeUpdateIDs(t *testing.T) {
	// Bale's first update is 0: an id, not its absence.
	u, err := DecodeUpdate([]byte(`{"update_id":0,"message":{"message_id":1,"chat":{"id":7,"type":"private"},"text":"hi"}}`))
	if err != nil || u.UpdateID != 0 || u.Message == nil || u.Message.Text != "hi" {
		t.Fatalf("update 0: %+v, %v", u, err)
	}
	if u, err := DecodeUpdate([]byte(`{"update_id":42}`)); err != nil || u.UpdateID != 42 {
		t.Fatalf("update 42: %+v, %v", u, err)
	}
	for _, body := range []string{`{"message":{"text":"no id"}}`, `{}`, `not json`, `{"update_id":"7"}`} {
		if _, err := DecodeUpdate([]byte(body)); err == nil {
			t.Errorf("DecodeUpdate(%s) accepted", body)
		}
	}
}
