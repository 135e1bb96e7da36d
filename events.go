package walletwallet

import (
	"strconv"
	"time"
)

// EventType names what happened to a pass, as webhooks deliver it.
type EventType string

// The event types. Each is recorded by the store in the same transaction as
// the change that causes it, so an event exists exactly when its change
// committed.
const (
	EventPassCreated     EventType = "pass.created"     // CreatePasses, one per pass
	EventPassUpdated     EventType = "pass.updated"     // UpdatePass that wrote a new version
	EventPassVoided      EventType = "pass.voided"      // VoidPass that voided the pass
	EventPassInstalled   EventType = "pass.installed"   // Register of a device that did not hold the pass
	EventPassUninstalled EventType = "pass.uninstalled" // Unregister, or DeleteRegistrationsByToken (APNs said gone)
)

// Event is one recorded event.
type Event struct {
	ID         int64
	Type       EventType
	AccountID  int64
	PassTypeID string
	Serial     string
	// DeviceID is the deviceLibraryIdentifier of install and uninstall events ("" otherwise).
	DeviceID string
	// TemplateID names the template of a template pass ("" otherwise).
	TemplateID string
	CreatedAt  time.Time // millisecond precision
}

// PublicID is the event's id in webhook bodies and headers: "evt_" and the
// row id, unique per database.
func (e *Event) PublicID() string { return "evt_" + strconv.FormatInt(e.ID, 10) }
