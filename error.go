package walletwallet

import (
	"context"
	"errors"
	"fmt"
)

// Error codes. Each maps to one HTTP status in internal/api.
const (
	EINVALID       = "invalid"       // 400: the client's input breaks a rule
	EUNAUTHORIZED  = "unauthorized"  // 401
	EFORBIDDEN     = "forbidden"     // 403
	ENOTFOUND      = "not_found"     // 404
	EMETHOD        = "method"        // 405
	ECONFLICT      = "conflict"      // 409 (internal retry signal for stale updates)
	EGONE          = "gone"          // 410: the object existed and was withdrawn (a voided pass's share link)
	EUNPROCESSABLE = "unprocessable" // 422: well-formed but contradicts an earlier request (an Idempotency-Key reused with another body)
	ETOOLARGE      = "too_large"     // 413
	EMEDIATYPE     = "media_type"    // 415
	EQUOTA         = "quota"         // 429
	EINTERNAL      = "internal"      // 500
	EUNAVAILABLE   = "unavailable"   // 503
)

// Error is an error meant for the client: a code and a message that says
// exactly what to fix. Anything that is not an *Error is internal.
type Error struct {
	Code    string
	Message string
	// Extra holds additional members of the JSON error body (e.g. resetDate on 429).
	Extra map[string]string
}

func (e *Error) Error() string { return e.Message }

// Errorf builds an *Error.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other error and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return EUNAVAILABLE
	}
	return EINTERNAL
}

// Wrap annotates *errp with the operation name when it is non-nil, keeping the
// chain for errors.As. Use as: defer walletwallet.Wrap(&err, "Store.Pass(%q)", serial).
func Wrap(errp *error, format string, args ...any) {
	if *errp != nil {
		*errp = fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), *errp)
	}
}
