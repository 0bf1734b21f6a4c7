package domain

import (
	"errors"
	"fmt"
	"io"
	"testing"
)

func TestErrorKinds(t *testing.T) {
	tests := []struct {
		err  error
		kind Kind
		code string
		text string
	}{
		{Invalid("nationalid.checksum"), KindInvalid, "nationalid.checksum", "invalid: nationalid.checksum"},
		{Conflict("invite.used"), KindConflict, "invite.used", "conflict: invite.used"},
		{NotFound("agency"), KindNotFound, "agency", "not found: agency"},
		{Forbidden("role"), KindForbidden, "role", "forbidden: role"},
		{Wrap(KindInternal, "db", io.EOF), KindInternal, "db", "internal: db: EOF"},
		{fmt.Errorf("saving: %w", Invalid("mobile.format")), KindInvalid, "mobile.format", "saving: invalid: mobile.format"},
		{io.EOF, KindInternal, "", "EOF"},
		{nil, KindInternal, "", ""},
	}
	for _, tt := range tests {
		if got := KindOf(tt.err); got != tt.kind {
			t.Errorf("KindOf(%v) = %v, want %v", tt.err, got, tt.kind)
		}
		if got := CodeOf(tt.err); got != tt.code {
			t.Errorf("CodeOf(%v) = %q, want %q", tt.err, got, tt.code)
		}
		if tt.err != nil && tt.err.Error() != tt.text {
			t.Errorf("Error() = %q, want %q", tt.err.Error(), tt.text)
		}
		if tt.code != "" && !IsKind(tt.err, tt.kind) {
			t.Errorf("IsKind(%v, %v) = false", tt.err, tt.kind)
		}
	}
	if IsKind(io.EOF, KindInternal) {
		t.Error("IsKind of a plain error should be false")
	}
}

func TestErrorIs(t *testing.T) {
	err := fmt.Errorf("step: %w", Invalid("date.range"))
	if !errors.Is(err, Invalid("date.range")) {
		t.Error("same kind and code should match")
	}
	if !errors.Is(err, &Error{Kind: KindInvalid}) {
		t.Error("empty code should match any code of the kind")
	}
	if errors.Is(err, Invalid("date.format")) {
		t.Error("other code matched")
	}
	if errors.Is(err, Conflict("date.range")) {
		t.Error("other kind matched")
	}
	wrapped := Wrap(KindConflict, "placement.duplicate", io.ErrUnexpectedEOF)
	if !errors.Is(wrapped, io.ErrUnexpectedEOF) {
		t.Error("Wrap lost its cause")
	}
	if errors.Unwrap(wrapped) != io.ErrUnexpectedEOF {
		t.Error("Unwrap")
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{
		KindInternal: "internal", KindInvalid: "invalid", KindConflict: "conflict",
		KindNotFound: "not found", KindForbidden: "forbidden", Kind(99): "internal",
	} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", k, got, want)
		}
	}
}
