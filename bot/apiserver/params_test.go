package apiserver

import (
	"net/url"
	"reflect"
	"testing"
)

// parseForm must agree with url.ParseQuery (first value of each key).
func TestParseFormAgreesWithParseQuery(t *testing.T) {
	for _, q := range []string{
		"chat_id=1&text=%D8%B3%D9%84%D8%A7%D9%85+x&reply_markup=%7B%7D",
		"a=1&a=2&b=&c&=d&&e=%20",
		"a=1;b=2", "a=%zz", "%zz=1", "a=1&a=%zz", "a=%2", "+a+=+b+", "a==b", "a=1&",
	} {
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
