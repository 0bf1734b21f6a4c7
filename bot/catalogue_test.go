package bot

import (
	"log/slog"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var placeholder = regexp.MustCompile(`\{[a-z_]+\}`)

// Every language must have every key, with the same placeholders, so no
// user ever sees a key or a raw {name}.
func TestCatalogueLanguagesMatch(t *testing.T) {
	c, err := LoadCatalogue("fa", slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	fa := c.texts["fa"]
	for _, lang := range Languages[1:] {
		other := c.texts[lang]
		for _, k := range slices.Sorted(maps.Keys(fa)) {
			v, ok := other[k]
			if !ok {
				t.Errorf("%s lacks %q", lang, k)
				continue
			}
			if a, b := placeholders(fa[k]), placeholders(v); !slices.Equal(a, b) {
				t.Errorf("%q: fa has %v, %s has %v", k, a, lang, b)
			}
			if v == "" {
				t.Errorf("%s: %q is empty", lang, k)
			}
		}
		for k := range other {
			if _, ok := fa[k]; !ok {
				t.Errorf("fa lacks %q (in %s)", k, lang)
			}
		}
	}
}

func placeholders(s string) []string {
	p := placeholder.FindAllString(s, -1)
	slices.Sort(p)
	return slices.Compact(p)
}

func TestCatalogueFillsPlaceholdersAndRecordsMissing(t *testing.T) {
	c, err := LoadCatalogue("fa", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.T("en", "start.back", "name", "Maryam"); got != "Welcome back, Maryam." {
		t.Errorf("T = %q", got)
	}
	if got := c.T("de", "btn.stale"); got != c.T("fa", "btn.stale") {
		t.Errorf("unknown language should fall back to fa, got %q", got)
	}
	if got := c.T("fa", "no.such.key"); got != "no.such.key" {
		t.Errorf("missing key = %q", got)
	}
	if m := c.Missing(); !slices.Equal(m, []string{"no.such.key"}) {
		t.Errorf("Missing = %v", m)
	}
}

func TestSignerRefusesForgedData(t *testing.T) {
	s := newSigner([]byte("k1"))
	data := s.sign("lr", "a", "42")
	parts, ok := s.verify(data)
	if !ok || !slices.Equal(parts, []string{"lr", "a", "42"}) {
		t.Fatalf("verify(%q) = %v, %v", data, parts, ok)
	}
	forged := []string{
		"lr|a|43" + data[len("lr|a|42"):],             // another record, same signature
		"lr|a|42",                                     // no signature
		data[:len(data)-1] + "A",                      // signature changed
		newSigner([]byte("k2")).sign("lr", "a", "42"), // another deployment's key
		"",
		"~",
	}
	for _, f := range forged {
		if _, ok := s.verify(f); ok {
			t.Errorf("verify(%q) accepted forged data", f)
		}
	}
}

func TestSignerPanicsOverTelegramLimit(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("sign of a 55-byte payload did not panic")
		}
	}()
	newSigner([]byte("k")).sign("f", "ABCDEFGH", "1", "c", "0123456789012345678901234567890123456789")
}

// Every error code a parser in domain can return reaches the user as its own
// sentence, not the generic one of its kind.
func TestFill(t *testing.T) {
	for _, tc := range []struct {
		s    string
		args []string
		want string
	}{
		{"no names", []string{"a", "1"}, "no names"},
		{"{a} and {b}", []string{"a", "1", "b", "2"}, "1 and 2"},
		{"{a}{a}", []string{"a", "x"}, "xx"},
		{"{a}", []string{"a", ""}, ""},
		{"{a}-", []string{"a", ""}, "-"},
		{"keep {unknown} and {a}", []string{"a", "1"}, "keep {unknown} and 1"},
		{"value {a} is not searched", []string{"a", "{b}", "b", "no"}, "value {b} is not searched"},
		{"open { and {a", []string{"a", "1"}, "open { and {a"},
		{"first wins {a}", []string{"a", "1", "a", "2"}, "first wins 1"},
		{"نام: {name}", []string{"name", "علی"}, "نام: علی"},
	} {
		if got := fill(tc.s, tc.args); got != tc.want {
			t.Errorf("fill(%q, %q) = %q, want %q", tc.s, tc.args, got, tc.want)
		}
	}
}

// A counted text takes the plural form of its count, per language.
func TestCataloguePluralForms(t *testing.T) {
	c, err := LoadCatalogue("fa", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		lang string
		n    int
		want string
	}{
		{"en", 1, "(1 item)"}, {"en", 0, "(0 items)"}, {"en", 2, "(2 items)"}, {"fa", 2, "(۲ مورد)"},
	} {
		count := digitsIn(tc.lang, strconv.Itoa(tc.n))
		if got := c.N(tc.lang, "record.corrected", tc.n, "id", "7", "count", count); !strings.Contains(got, tc.want) {
			t.Errorf("N(%s, %d) = %q, want it to contain %q", tc.lang, tc.n, got, tc.want)
		}
	}
	// Every form says what its text's other forms say.
	for lang, plurals := range c.plurals {
		for key, forms := range plurals {
			for form, s := range forms {
				if a, b := placeholders(s), placeholders(c.texts[c.def][key]); !slices.Equal(a, b) {
					t.Errorf("%s %q form %q has %v, fa has %v", lang, key, form, a, b)
				}
			}
		}
	}
}
