package domain

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestParseMobile(t *testing.T) {
	const want = Mobile("+989121234567")
	ok := []string{
		"09121234567",
		"9121234567",
		"+989121234567",
		"989121234567",
		"00989121234567",
		"۰۹۱۲۱۲۳۴۵۶۷",
		"٠٩١٢١٢٣٤٥٦٧",
		"۰۹۱۲ ۱۲۳ ۴۵۶۷",
		"0912-123-4567",
		"(0912) 123 4567",
		"0912.123.4567",
		"+98 912 123 4567",
		"+98 (912) 123-4567",
		"(+98) 912 123 4567",
		"+98 (0)912 123 4567",
		"0098 912 123 4567",
		"0098 0912 123 4567",
		"\u200f+۹۸ ۹۱۲ ۱۲۳ ۴۵۶۷\u200f",
		"\u202a+989121234567\u202c",
		" 09121234567\n",
		"0912–123–4567",
	}
	for _, in := range ok {
		got, err := ParseMobile(in)
		if err != nil || got != want {
			t.Errorf("ParseMobile(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if got, err := ParseMobile("09901234567"); err != nil || got != "+989901234567" {
		t.Errorf("ParseMobile(0990…) = %q, %v", got, err)
	}
	bad := []string{
		"",
		"+",
		"0912123456",      // 10 digits starting with 0
		"091212345678",    // 12 digits
		"912123456",       // 9 digits
		"02112345678",     // Tehran landline
		"2112345678",      // landline without trunk zero
		"+982112345678",   // landline, international
		"+14155552671",    // another country
		"+0989121234567",  // plus before 0098
		"+00989121234567", // plus and 00
		"0912+1234567",    // plus inside
		"09121234567+",    // plus at the end
		"++989121234567",  // two pluses
		"0912123456a",     // letter
		"0912/123/4567",   // slash
		"tel:09121234567", // scheme
		"09121234567 ext 2",
		"٠٩١٢١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦٧",
		strings.Repeat("9", 1000),
		"9891212345678", // 98 + 11 digits
	}
	for _, in := range bad {
		if got, err := ParseMobile(in); CodeOf(err) != "mobile.format" || KindOf(err) != KindInvalid || got != "" {
			t.Errorf("ParseMobile(%q) = %q, %v; want mobile.format", in, got, err)
		}
	}
}

func TestMobileForms(t *testing.T) {
	m := Mobile("+989121234567")
	if m.String() != "+989121234567" {
		t.Errorf("String = %q", m.String())
	}
	if got := m.Local(); got != "09121234567" {
		t.Errorf("Local = %q", got)
	}
	if got := m.International(); got != "989121234567" {
		t.Errorf("International = %q", got)
	}
	if got := Mobile("garbage").International(); got != "garbage" {
		t.Errorf("International of non-canonical = %q", got)
	}
	if got := m.Masked(); got != "+98912***4567" {
		t.Errorf("Masked = %q", got)
	}
	if got := Mobile("garbage").Local(); got != "garbage" {
		t.Errorf("Local of non-canonical = %q", got)
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("contact", "phone", m)
	if strings.Contains(buf.String(), "1234567") || !strings.Contains(buf.String(), "+98912***4567") {
		t.Errorf("log line = %q", buf.String())
	}
}
