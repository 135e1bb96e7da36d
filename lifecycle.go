package walletwallet

import (
	"crypto/rand"
	"encoding/base64"
	"time"
)

// The life of a pass after its creation: listing, voiding, share links and
// idempotent creation. The Store methods that act on these types are
// declared with the others in the Store interface.

// ErrPassVoided is returned (wrapped) by writes to a voided pass. It is a
// conflict with the pass's state, not a retry signal: compare with errors.Is.
var ErrPassVoided = &Error{Code: ECONFLICT, Message: "this pass is voided: a voided pass cannot be updated or patched"}

// shareIDBytes random bytes make a 24-character share id (the contract asks
// for at least 22 URL-safe characters).
const shareIDBytes = 18

// NewShareID returns a fresh share id: 144 random bits in URL-safe base64,
// derived from neither the serial nor the authentication token.
func NewShareID() string {
	var b [shareIDBytes]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// ValidShareID reports whether s can be a share id (24 URL-safe base64
// characters; the ids given to passes that existed before share links are
// 24 hex digits, a subset). Anything else names no pass.
func ValidShareID(s string) bool {
	if len(s) != base64.RawURLEncoding.EncodedLen(shareIDBytes) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// PassStatus filters a listing: "" lists every pass.
type PassStatus string

// Pass statuses.
const (
	StatusActive PassStatus = "active"
	StatusVoided PassStatus = "voided"
)

// PassCursor is a position in an account's listing, newest first: the
// listing continues with passes strictly older than (FirstIssued, Serial).
type PassCursor struct {
	FirstIssued time.Time
	Serial      string
}

// PassQuery asks for one page of an account's passes, newest first (by
// FirstIssued, then Serial, both descending: a total order over immutable
// values, so a page boundary never moves when passes are added).
type PassQuery struct {
	AccountID int64
	Status    PassStatus
	After     *PassCursor // nil: from the newest
	Limit     int
}

// PassSummary is one row of a listing.
type PassSummary struct {
	Serial       string
	Voided       bool
	FirstIssued  time.Time
	LastModified time.Time
	Devices      int
	TemplateID   string // "" when not made from a template
	TemplateRev  int64  // the template revision of the current version
}

// PassVoid voids a pass: its new version (Blob, built with "voided": true
// from the request whose hash is PrevHash) replaces the current one.
type PassVoid struct {
	PassTypeID   string
	Serial       string
	AccountID    int64 // the caller; a different owner is EFORBIDDEN
	PrevHash     string
	LastModified time.Time
	Blob         []byte
}

// VoidResult is what a PassVoid did.
type VoidResult struct {
	AlreadyVoided   bool // nothing written, nothing pushed
	LastModified    time.Time
	NotifiedDevices int
}

// How long an Idempotency-Key is remembered, and how long a claim whose
// request never finished (its process died) blocks the key before another
// request may take it over: longer than any request can run.
const (
	IdempotencyTTL          = 24 * time.Hour
	IdempotencyClaimTimeout = 2 * time.Minute
)

// IdempotencyClaim reserves an account's Idempotency-Key for one request.
type IdempotencyClaim struct {
	AccountID int64
	Key       string
	// Fingerprint identifies the request (route and canonical body).
	Fingerprint string
	// Token is the claimer's random id; only it may complete or release the claim.
	Token string
	Now   time.Time
}

// IdempotencyRecord is a key already claimed by an earlier request.
type IdempotencyRecord struct {
	Fingerprint string
	Done        bool     // the request succeeded; Serials are its passes
	Serials     []string // in the order the request created them
	CreatedAt   time.Time
}

// IdempotencyDone completes a claim in the same transaction as the passes
// it created, so a remembered answer and its passes exist together or not at all.
type IdempotencyDone struct {
	AccountID int64
	Key       string
	Token     string
}
