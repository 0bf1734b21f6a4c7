// Package domain holds Rasad's nouns and rules: national codes, mobiles,
// Persian text, Solar Hijri dates, users, agencies and sign-up. It does no I/O.
package domain

import (
	"errors"
	"fmt"
)

// Kind says what sort of failure an error is, so the bot can turn it into a
// sentence and storage can report conflicts without exposing SQL.
type Kind int

const (
	KindInternal Kind = iota
	KindInvalid
	KindConflict
	KindNotFound
	KindForbidden
)

func (k Kind) String() string {
	switch k {
	case KindInvalid:
		return "invalid"
	case KindConflict:
		return "conflict"
	case KindNotFound:
		return "not found"
	case KindForbidden:
		return "forbidden"
	default:
		return "internal"
	}
}

// Error is a failure with a kind and a reason code. The code names the
// sentence the user sees (the bot's catalogue has one per code), so it is
// stable: "nationalid.checksum", "invite.used".
type Error struct {
	Kind Kind
	Code string
	// Args are name, value pairs the code's sentence names ({year}), a
	// number in ASCII digits: what the user typed and how to type it.
	Args []string
	Err  error // optional cause
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Kind, e.Code, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Kind, e.Code)
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, &Error{Kind: k, Code: c}) match on kind and code;
// an empty code in the target matches any code of that kind.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	return e.Kind == t.Kind && (t.Code == "" || e.Code == t.Code)
}

// Invalid, Conflict, NotFound and Forbidden build an *Error of their kind.
func Invalid(code string) error   { return &Error{Kind: KindInvalid, Code: code} }
func Conflict(code string) error  { return &Error{Kind: KindConflict, Code: code} }
func NotFound(code string) error  { return &Error{Kind: KindNotFound, Code: code} }
func Forbidden(code string) error { return &Error{Kind: KindForbidden, Code: code} }

// Wrap gives cause a kind and code while keeping it for errors.Is/As and logs.
func Wrap(kind Kind, code string, cause error) error {
	return &Error{Kind: kind, Code: code, Err: cause}
}

// KindOf reports the kind of the first *Error in err's chain, or KindInternal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// CodeOf reports the code of the first *Error in err's chain, or "".
func CodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// ArgsOf reports the Args of the first *Error in err's chain.
func ArgsOf(err error) []string {
	var e *Error
	if errors.As(err, &e) {
		return e.Args
	}
	return nil
}

// IsKind reports whether err's chain holds an *Error of kind k.
func IsKind(err error, k Kind) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == k
}
