package fakeapi

import (
	"math/rand/v2"
	"net/url"
	"reflect"
	"testing"
)

// parseForm must agree with url.ParseQuery (first value of each key).
func TestParseFormAgreesWithParseQuery(t *testing.T) {
	queries := []string{
		"chat_id=1&text=%D8%B3%D9%84%D8%A7%D9%85+x&reply_markup=%7B%7D",
		"a=1&a=2&b=&c&=d&&e=%20",
		"a=1;b=2", "a=%zz", "%zz=1", "a=1&a=%zz", "a=%2", "+a+=+b+", "a==b", "a=1&",
		"a=%", "a=%4", "a=%41", "a=x%41", "a=%4g", "a=%g4", "a=%Fa%fA%e2%80%a8", "a=%ff%00", "%41%42=%43+",
		"k=%D8%B3%D9%84%D8%A7%D9%85&k2=%7B%22inline_keyboard%22%3A%5B%5D%7D",
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const alphabet = "a=&%+;0F4g\xd8"
	for range 20000 {
		q := make([]byte, rng.IntN(12))
		for i := range q {
			q[i] = alphabet[rng.IntN(len(alphabet))]
		}
		queries = append(queries, string(q))
	}
	for _, q := range queries {
		got := map[string]string{}
		ok := parseForm(got, q)
		vals, err := url.ParseQuery(q)
		if ok != (err == nil) {
			t.Errorf("%q: parseForm ok %v, ParseQuery error %v", q, ok, err)
			continue
		}
		if !ok {
			continue
		}
		want := map[string]string{}
		for k, v := range vals {
			want[k] = v[0]
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%q: parseForm %q, ParseQuery %q", q, got, want)
		}
	}
}
