// Package events turns recorded events into webhook deliveries: the body
// the contract fixes, its WalletWallet-Signature, and the retry schedule of
// a delivery. The store records the events (walletwallet.Event) in the
// transaction of each change; the delivery job kind builds on this package.
package events

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	mrand "math/rand/v2"
	"strconv"
	"time"

	"github.com/walletwallet/walletwallet"
)

// Header names of a delivery.
const (
	HeaderEventID   = "WalletWallet-Event-Id"
	HeaderSignature = "WalletWallet-Signature"
)

// body is the JSON of one delivery, field for field as the contract lists it.
type body struct {
	ID        string    `json:"id"`
	Type      string    `json:"type"`
	CreatedAt int64     `json:"createdAt"` // Unix milliseconds
	Data      eventData `json:"data"`
}

type eventData struct {
	SerialNumber       string  `json:"serialNumber"`
	PassTypeIdentifier string  `json:"passTypeIdentifier"`
	TemplateID         *string `json:"templateId"` // null for a pass made without a template
	DeviceID           string  `json:"deviceLibraryIdentifier,omitempty"`
}

// Body is the delivery body of e. templateID is the pass's template ("" =
// none: null). The device is named on install and uninstall events only.
func Body(e walletwallet.Event, templateID string) ([]byte, error) {
	b := body{
		ID:        e.PublicID(),
		Type:      string(e.Type),
		CreatedAt: e.CreatedAt.UnixMilli(),
		Data:      eventData{SerialNumber: e.Serial, PassTypeIdentifier: e.PassTypeID},
	}
	if templateID != "" {
		b.Data.TemplateID = &templateID
	}
	if e.Type == walletwallet.EventPassInstalled || e.Type == walletwallet.EventPassUninstalled {
		b.Data.DeviceID = e.DeviceID
	}
	return json.Marshal(b)
}

// Sign is the WalletWallet-Signature value of body sent at t: the Unix
// seconds and the lowercase hex HMAC-SHA256 of "<t>.<body>" keyed with the
// webhook's secret. The time inside the signed text lets a receiver refuse
// replays of old deliveries.
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(ts))
	mac.Write([]byte("."))
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

// The retry schedule of a delivery: the contract asks for a first retry
// within 60 s and attempts for at least 24 hours.
const (
	RetryFirst   = 30 * time.Second // ceiling of the wait after the first failure
	RetryCeiling = time.Hour        // no wait is longer
	RetryWindow  = 24 * time.Hour   // attempts go on at least this long after the event
	Timeout      = 10 * time.Second // an answer must come within this
)

// RetryAfter is how long to wait after the failed attempt number attempts
// (1 = the first): RetryFirst doubling per attempt up to RetryCeiling, with
// jitter in [d/2, d) so that receivers that failed together are not retried
// together.
func RetryAfter(attempts int) time.Duration {
	d := RetryCeiling
	if n := max(attempts-1, 0); n < 16 {
		if e := RetryFirst << n; e < RetryCeiling {
			d = e
		}
	}
	return d/2 + mrand.N(d/2)
}

// GiveUp reports whether a delivery of an event created at created that
// just failed should be marked failed instead of retried: only once
// RetryWindow has passed, so attempts span at least that long.
func GiveUp(created, now time.Time) bool { return now.Sub(created) >= RetryWindow }
