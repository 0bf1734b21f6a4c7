package domain

import (
	"strings"
	"testing"
)

func TestParsePersonName(t *testing.T) {
	tests := []struct {
		name, in, want, code string
	}{
		{"persian", "علی رضایی", "علی رضایی", ""},
		{"arabic letters folded", "علي كريمي", "علی کریمی", ""},
		{"zwnj kept", "عبدالله\u200cزاده", "عبدالله\u200cزاده", ""},
		{"spaces collapsed", "  زهرا   \t محمدی ", "زهرا محمدی", ""},
		{"rlm dropped", "\u200fمریم احمدی\u200f", "مریم احمدی", ""},
		{"tatweel dropped", "محـــمد", "محمد", ""},
		{"harakat", "مُحَمَّد", "مُحَمَّد", ""},
		{"hamza above", "فاطمهٔ زهرا", "فاطمهٔ زهرا", ""},
		{"latin", "Ali Rezaei", "Ali Rezaei", ""},
		{"hyphen apostrophe dot", "Mary-Jane O'Neil Jr.", "Mary-Jane O'Neil Jr.", ""},
		{"typographic apostrophe", "D’Souza", "D’Souza", ""},
		{"two letters", "لی", "لی", ""},
		{"accented", "José Müller", "José Müller", ""},
		{"combining accent", "Jose\u0301", "Jose\u0301", ""},
		{"100 runes", strings.Repeat("ب", 100), strings.Repeat("ب", 100), ""},
		{"empty", "", "", "name.short"},
		{"one letter", "ع", "", "name.short"},
		{"one letter padded", "  ع \u200f", "", "name.short"},
		{"punctuation only", "-.", "", "name.short"},
		{"one letter and dot", "ع.", "", "name.short"},
		{"101 runes", strings.Repeat("ب", 101), "", "name.long"},
		{"persian digit", "علی ۲", "", "name.chars"},
		{"ascii digit", "Ali 2", "", "name.chars"},
		{"arabic-indic digit", "علی ٣", "", "name.chars"},
		{"at sign", "@ali_rezaei", "", "name.chars"},
		{"emoji", "علی 😀", "", "name.chars"},
		{"comma", "رضایی، علی", "", "name.chars"},
		{"control", "علی\x00رضا", "", "name.chars"},
		{"stray mark", "علی \u064e", "", "name.chars"},
		{"leading mark", "\u0301Ali", "", "name.chars"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePersonName(tt.in)
			wantCode(t, err, tt.code)
			if got != tt.want {
				t.Errorf("ParsePersonName(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseTitle(t *testing.T) {
	tests := []struct {
		name, in, want, code string
	}{
		{"position", "کارشناس اشتغال", "کارشناس اشتغال", ""},
		{"arabic letters folded", "مدير كل", "مدیر کل", ""},
		{"with digits", "منطقه ۱۲ شهرداری", "منطقه 12 شهرداری", ""},
		{"punctuation", "شرکت «نان‌آوران» (سهامی خاص)", "شرکت «نان\u200cآوران» (سهامی خاص)", ""},
		{"newlines collapsed", "کارشناس\nارشد", "کارشناس ارشد", ""},
		{"english", "IT", "IT", ""},
		{"100 runes", strings.Repeat("ک", 100), strings.Repeat("ک", 100), ""},
		{"empty", "", "", "title.short"},
		{"one rune", "ک", "", "title.short"},
		{"only marks", "\u200f\u200e", "", "title.short"},
		{"101 runes", strings.Repeat("ک", 101), "", "title.long"},
		{"control", "کارشناس\x07", "", "title.chars"},
		{"nul", "ab\x00cd", "", "title.chars"},
		{"del", "ab\x7f", "", "title.chars"},
		{"replacement char", "ab\ufffd", "", "title.chars"},
		{"no letter", "۱۲۳", "", "title.chars"},
		{"symbols", "---", "", "title.chars"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTitle(tt.in)
			wantCode(t, err, tt.code)
			if got != tt.want {
				t.Errorf("ParseTitle(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
