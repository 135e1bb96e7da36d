package walletwallet

import (
	"crypto/rand"
	"encoding/base64"
	"time"
)

// Templates: one design with {{placeholder}} markers, many passes made from
// it, each with its own values. A template pass's body is always the
// template's current design rendered with the pass's values and the
// template's defaults (internal/templates renders it); the store keeps the
// design, the values and, per pass, the hash of its current rendered body.

// ErrTemplateChanged is returned by a write computed from a template
// revision that is no longer current: the caller renders again and retries
// (compare with errors.Is).
var ErrTemplateChanged = &Error{Code: ECONFLICT, Message: "the template changed while this request was made from it; retry"}

// Template is a pass design of one account.
type Template struct {
	ID        string
	AccountID int64
	Name      string
	// Design is the canonical JSON of the design: a POST body whose string
	// values may hold placeholders.
	Design []byte
	// Defaults is the canonical JSON object of default values ({} when none).
	Defaults []byte
	// Rev numbers the template's designs: 1 at creation, one more per
	// UpdateTemplate. A pass made or changed from revision R stores R.
	Rev       int64
	CreatedAt time.Time
	UpdatedAt time.Time
	// Deleted templates are kept (their voided passes still render from
	// them) but name nothing to the API.
	Deleted bool
	// Passes counts the active passes made from it, Devices their current
	// registrations (read-only: the store computes them).
	Passes, Devices int
}

// TemplateChange replaces a template's design in one transaction (PUT and
// PATCH /api/templates/{id}). It writes no pass: it counts the passes whose
// rendered body changes and enqueues one TemplatePushJob, which folds the
// new revision into the pass rows (FoldTemplate) and pushes their devices.
type TemplateChange struct {
	ID        string
	AccountID int64 // the caller; a different owner is EFORBIDDEN
	// PrevRev is the revision the change was computed from; a template that
	// has moved on since is ECONFLICT (the caller retries).
	PrevRev  int64
	Name     string
	Design   []byte
	Defaults []byte
	// At stamps the change; each changed pass's new version is stamped at
	// or after it, in a later second than its previous version.
	At time.Time
	// Rehash gives the hash of an active pass's body rendered from the new
	// design with its values (the pass's stored Values). A pass whose hash
	// is unchanged keeps its version. An error aborts the change, nothing
	// written, and is returned as is (the first failing pass's, in the
	// store's reading order). The store may call it from several
	// goroutines at once.
	Rehash func(serial string, values []byte) (hash string, err error)
}

// TemplateUpdateResult is what a TemplateChange did.
type TemplateUpdateResult struct {
	Rev int64
	// UpdatedPasses get a new version (each counted once, when the change
	// commits); NotifiedDevices are their registrations, pushed by one
	// TemplatePushJob once their pass is folded.
	UpdatedPasses, NotifiedDevices int
}

// TemplateFold brings passes of a template whose stored version is behind
// its current revision Rev up to it, one transaction: a pass whose Rehash
// differs from its stored hash gets a new version (hash, a stamp at or
// after At in a later second than its previous one, no blob, Rev) and its
// pass.updated event; the others only record Rev. A pass already at Rev or
// later is left alone, so a fold is idempotent and two may race.
type TemplateFold struct {
	TemplateID string
	PassTypeID string
	// Rev is the revision Rehash renders; a template that has moved on is
	// ErrTemplateChanged (the caller renders again).
	Rev int64
	// Serial folds that one pass; "" folds the next Limit active passes of
	// the template after serial After, in serial order.
	Serial string
	After  string
	Limit  int
	At     time.Time
	Rehash func(serial string, values []byte) (hash string, err error)
}

// TemplateFoldResult is what a TemplateFold did.
type TemplateFoldResult struct {
	// Scanned counts the template's active passes looked at (folded or
	// already current); Last is the greatest of their serials. Every active
	// pass of the template up to Last is at Rev or later.
	Scanned, Changed int
	Last             string
}

// TemplatePushJob is one durable fan-out of a template change: fold the
// template's passes in serial order, and push every device registered for
// a pass whose version came from revision Rev or later and is no older
// than the change (CreatedAt), paging by (serial, registration id).
type TemplatePushJob struct {
	ID         int64
	TemplateID string
	Rev        int64
	PassTypeID string
	// CursorSerial and CursorID are the last (serial, registration id)
	// already pushed ("", 0 = none).
	CursorSerial string
	CursorID     int64
	CreatedAt    time.Time
	Attempts     int
}

// TemplatePushTarget is one device token of a template fan-out page.
type TemplatePushTarget struct {
	Serial         string
	RegistrationID int64
	PushToken      string
}

// templateIDBytes random bytes make the id's 22 characters after "tpl_".
const templateIDBytes = 16

// NewTemplateID returns a fresh template id: "tpl_" and 128 random bits
// in URL-safe base64.
func NewTemplateID() string {
	var b [templateIDBytes]byte
	rand.Read(b[:])
	return "tpl_" + base64.RawURLEncoding.EncodeToString(b[:])
}

// ValidTemplateID reports whether s has the shape of a template id;
// anything else names no template.
func ValidTemplateID(s string) bool {
	const prefix = "tpl_"
	if len(s) != len(prefix)+base64.RawURLEncoding.EncodedLen(templateIDBytes) || s[:len(prefix)] != prefix {
		return false
	}
	for i := len(prefix); i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
