package bot

import (
	"embed"
	"encoding/json"
	"fmt"
	"log/slog"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// The message catalogue: every text a user sees, per language, in
// catalogue/<lang>.json. Placeholders are {name}. Code names keys only.
// A text that counts something may be given per plural form instead, as
// {"one": "…", "other": "…"}; N picks the form for the count.

//go:embed catalogue/*.json
var catalogueFS embed.FS

// Languages the bot speaks; the first is the default.
var Languages = []string{"fa", "en"}

// rightToLeft are the Languages written right to left.
var rightToLeft = map[string]bool{"fa": true}

// commandInText is a command named in a sentence ("/register"), after a
// line's start or anything but a word or a path.
var commandInText = regexp.MustCompile(`(^|[^\p{L}\p{N}_/])(/[a-z][a-z0-9_]*)`)

// isolateCommands puts a left-to-right mark before each command in a text
// written right to left: between Persian words the slash, a neutral, would
// take the sentence's direction and show as "register/". A line that
// starts with a command gets a right-to-left mark first, or its first
// letter, a Latin one, would set the whole line left to right. The marks
// are invisible, and typed commands are read without them (commandIn).
func isolateCommands(s string) string {
	return commandInText.ReplaceAllStringFunc(s, func(m string) string {
		slash := strings.IndexByte(m, '/')
		before := m[:slash]
		if before == "" || before == "\n" {
			before += "\u200f"
		}
		return before + "\u200e" + m[slash:]
	})
}

// Catalogue looks texts up by language and key.
type Catalogue struct {
	texts   map[string]map[string]string            // a counted text's "other" form
	plurals map[string]map[string]map[string]string // lang, key, form
	def     string
	log     *slog.Logger
	mu      sync.Mutex
	missing map[string]bool
}

// LoadCatalogue reads the embedded catalogue. def is the fallback language.
func LoadCatalogue(def string, log *slog.Logger) (*Catalogue, error) {
	c := &Catalogue{texts: map[string]map[string]string{}, plurals: map[string]map[string]map[string]string{},
		def: def, log: log, missing: map[string]bool{}}
	for _, lang := range Languages {
		raw, err := catalogueFS.ReadFile(path.Join("catalogue", lang+".json"))
		if err != nil {
			return nil, fmt.Errorf("catalogue %s: %w", lang, err)
		}
		entries := map[string]json.RawMessage{}
		if err := json.Unmarshal(raw, &entries); err != nil {
			return nil, fmt.Errorf("catalogue %s: %w", lang, err)
		}
		texts, plurals := map[string]string{}, map[string]map[string]string{}
		written := func(s string) string { return s }
		if rightToLeft[lang] {
			written = isolateCommands
		}
		for key, v := range entries {
			var text string
			if err := json.Unmarshal(v, &text); err == nil {
				texts[key] = written(text)
				continue
			}
			forms := map[string]string{}
			if err := json.Unmarshal(v, &forms); err != nil {
				return nil, fmt.Errorf("catalogue %s: %q is neither a text nor plural forms: %w", lang, key, err)
			}
			for form, s := range forms {
				if !slices.Contains(pluralForms, form) {
					return nil, fmt.Errorf("catalogue %s: %q has plural form %q; the forms are %v", lang, key, form, pluralForms)
				}
				forms[form] = written(s)
			}
			if forms["other"] == "" {
				return nil, fmt.Errorf("catalogue %s: %q has no plural form \"other\"", lang, key)
			}
			texts[key], plurals[key] = forms["other"], forms
		}
		c.texts[lang], c.plurals[lang] = texts, plurals
	}
	if _, ok := c.texts[def]; !ok {
		return nil, fmt.Errorf("catalogue has no language %q", def)
	}
	return c, nil
}

// Has reports whether key exists in the default language.
func (c *Catalogue) Has(key string) bool {
	_, ok := c.texts[c.def][key]
	return ok
}

// T returns the text of key in lang with {name} placeholders filled from
// args given as name, value pairs.
func (c *Catalogue) T(lang, key string, args ...string) string {
	s, ok := c.texts[lang][key]
	if !ok {
		s, ok = c.texts[c.def][key]
	}
	if !ok {
		c.mu.Lock()
		c.missing[key] = true
		c.mu.Unlock()
		c.log.Error("catalogue key missing", "key", key, "lang", lang)
		return key
	}
	if len(args) == 0 {
		return s
	}
	return fill(s, args)
}

// pluralForms are the plural forms a counted text may give.
var pluralForms = []string{"one", "other"}

// N is T for a text counting n things: the form of n's plural category in
// lang (a text without forms is used for every n). The count itself goes
// in args like any value, in the reader's digits.
func (c *Catalogue) N(lang, key string, n int, args ...string) string {
	if _, ok := c.texts[lang][key]; !ok {
		lang = c.def
	}
	if forms, ok := c.plurals[lang][key]; ok {
		if s, ok := forms[pluralCategory(lang, n)]; ok {
			return fill(s, args)
		}
	}
	return c.T(lang, key, args...)
}

// pluralCategory is n's plural form in lang (Unicode CLDR's rules for
// whole numbers): Persian says "one" of 0 and 1, English of 1 alone.
func pluralCategory(lang string, n int) string {
	switch {
	case n == 1, lang == "fa" && n == 0:
		return "one"
	}
	return "other"
}

// fill puts args ("name", value, ...) in place of their {name} in s, in one
// pass: a value is never searched for names itself. (A strings.Replacer per
// call did the same, and was a twentieth of every reply's allocations.)
func fill(s string, args []string) string {
	var b strings.Builder
	for {
		open := strings.IndexByte(s, '{')
		if open < 0 {
			break
		}
		end := strings.IndexByte(s[open:], '}')
		if end < 0 {
			break
		}
		name, value, found := s[open+1:open+end], "", false
		for i := 0; i+1 < len(args); i += 2 {
			if args[i] == name {
				value, found = args[i+1], true
				break
			}
		}
		if !found {
			b.WriteString(s[:open+1])
			s = s[open+1:]
			continue
		}
		b.Grow(len(s) + len(value))
		b.WriteString(s[:open])
		b.WriteString(value)
		s = s[open+end+1:]
	}
	if b.Len() == 0 {
		return s // nothing before s was kept: no copy needed
	}
	b.WriteString(s)
	return b.String()
}

// Missing lists keys looked up but absent, so tests can fail on them.
func (c *Catalogue) Missing() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for k := range c.missing {
		out = append(out, k)
	}
	return out
}
