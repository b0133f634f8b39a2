package osaudit

import (
	"errors"
	"fmt"
)

// Error codes: stable, machine-readable, mapped to HTTP statuses in one
// place (the http package) and shown to API clients.
const (
	EINVALID      = "invalid"      // bad input
	ENOTFOUND     = "not_found"    // no such object, or not visible to the caller
	ECONFLICT     = "conflict"     // already exists, or changed meanwhile
	EUNAUTHORIZED = "unauthorized" // no or bad credentials
	EFORBIDDEN    = "forbidden"    // credentials without the right
	ETOOLARGE     = "too_large"    // body or value over a limit
	ERATELIMIT    = "rate_limited" // too many attempts
	EUNAVAILABLE  = "unavailable"  // a dependency is down; retry later
	EINTERNAL     = "internal"     // a bug or an unexpected failure
)

// Error is a domain error: a code and a message meant for the user.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Errorf returns a domain error.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of a domain error in err's chain, or EINTERNAL.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	}
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of err: a domain error's
// message, or a generic one for anything else (whose details stay in the
// server's log).
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
