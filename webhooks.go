package walletwallet

import (
	"crypto/rand"
	"encoding/hex"
	"time"
)

// Webhook is an account's endpoint for events. The secret is kept sealed
// (internal/sealbox): the store never holds it in the clear.
type Webhook struct {
	ID           string // "wh_" + 24 hex digits
	AccountID    int64
	URL          string
	Events       []EventType // never empty: the API fills in every type when none is asked for
	SealedSecret []byte
	CreatedAt    time.Time // millisecond precision
}

// AllEventTypes lists every event type, in the contract's order.
var AllEventTypes = []EventType{EventPassCreated, EventPassUpdated, EventPassVoided, EventPassInstalled, EventPassUninstalled}

// ParseEventType accepts an event type's name.
func ParseEventType(s string) (EventType, bool) {
	for _, t := range AllEventTypes {
		if string(t) == s {
			return t, true
		}
	}
	return "", false
}

// NewWebhookID returns a fresh webhook id.
func NewWebhookID() string {
	var b [12]byte
	rand.Read(b[:])
	return "wh_" + hex.EncodeToString(b[:])
}
