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

// Delivery is one event due to one webhook: a durable job of the webhook
// delivery kind. The store creates it in the transaction that records the
// event, for each webhook of the event's account that takes its type.
type Delivery struct {
	ID    int64
	Event Event
	// Webhook is the endpoint as stored (ID, AccountID, URL, SealedSecret).
	Webhook Webhook
	// Attempts counts the claims of the delivery, this one included.
	Attempts int
}

// DeliveryStatus is where a delivery ended.
type DeliveryStatus string

// Final delivery states (a delivery not yet in one is pending).
const (
	DeliveryDelivered DeliveryStatus = "delivered" // the endpoint answered 2xx
	DeliveryFailed    DeliveryStatus = "failed"    // given up: retries exhausted, or it can never succeed
)

// Stats are an account's maintained counters (GET /api/stats). The store
// updates them in the transaction of each change, from its event.
type Stats struct {
	Active, Voided int64 // passes
	Devices        int64 // current registrations
	// Installs and Uninstalls count pass.installed and pass.uninstalled
	// events, so Devices = Installs - Uninstalls.
	Installs, Uninstalls int64
	Month                MonthStats
}

// MonthStats are the events of one UTC month.
type MonthStats struct {
	Created, Updated, Installs, Uninstalls int64
}
