// Package pkpass is the pass engine without I/O: it turns a request body into
// a validated Request, renders pass.json, and zips a signed bundle from files
// and a signing function that the caller supplies.
package pkpass

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/walletwallet/walletwallet"
)

// Field is one entry of a field array: label, value and changeMessage, and
// the display options of issue 11 (empty = not given).
type Field struct {
	Label, Value, ChangeMessage string
	// TextAlignment is left, center, right or natural.
	TextAlignment string
	// DateStyle and TimeStyle (none, short, medium, long, full) make Value
	// an ISO 8601 date-time that Wallet formats.
	DateStyle, TimeStyle        string
	IsRelative, IgnoresTimeZone bool
	// NumberStyle (decimal, percent, scientific, spellOut) or CurrencyCode
	// (ISO 4217) make Value a decimal number, written as a JSON number.
	NumberStyle, CurrencyCode string
	// DataDetectorTypes and AttributedValue: back fields only.
	DataDetectorTypes []string
	AttributedValue   string
}

// Numeric reports whether the field's value is written as a JSON number.
func (f Field) Numeric() bool { return f.NumberStyle != "" || f.CurrencyCode != "" }

// Location is one geofence that makes Wallet surface the pass.
type Location struct {
	Latitude, Longitude float64
	Altitude            *float64
	RelevantText        string
}

// RelevantDate is a moment (Date) or an interval (StartDate, EndDate) in
// which Wallet surfaces the pass; ISO 8601 with offset, as sent.
type RelevantDate struct {
	Date, StartDate, EndDate string
}

// Beacon is one iBeacon region near which Wallet surfaces the pass.
type Beacon struct {
	ProximityUUID string
	Major, Minor  *int // nil = any
	RelevantText  string
}

// NFC is the Value Added Services payload of a Pro pass.
type NFC struct {
	Message string
	// EncryptionPublicKey is base64 of a P-256 SubjectPublicKeyInfo.
	EncryptionPublicKey    string
	RequiresAuthentication bool
}

// Request is a validated request body. Legacy title/cardLabel/label/value are
// kept as sent, and their effect is already applied to the field arrays and
// LogoText, so rendering needs no knowledge of them. Every member is declared
// once, as a row of the field table (fields.go), which drives decoding,
// validation, the plan gate and pass.json.
type Request struct {
	BarcodeValue, BarcodeFormat, LogoText, Description, OrganizationName string
	PrimaryFields, SecondaryFields, HeaderFields, BackFields             []Field
	Locations                                                            []Location
	ColorPreset                                                          string // "" means dark
	ExpirationDays                                                       int    // 0 = none
	Color, LogoURL, ThumbnailURL, StripURL, IconURL                      string
	Title, CardLabel, Label, Value                                       string // legacy, as sent

	// Part 2 (issue 11). RequestedStyle is the style as sent ("" = the
	// Part 1 default); Style() resolves it.
	RequestedStyle, TransitType           string
	AuxiliaryFields, AdditionalInfoFields []Field
	RelevantDates                         []RelevantDate
	Beacons                               []Beacon
	MaxDistance                           int // metres, 0 = none
	GroupingIdentifier                    string
	SharingProhibited                     bool
	AppLaunchURL                          string
	AssociatedStoreIdentifiers            []int64
	UserInfo, Semantics                   []byte // canonical JSON objects, nil = none
	Poster                                bool
	Localizations                         map[string]map[string]string
	NFC                                   *NFC
	ForegroundColor, LabelColor           string
	BackgroundURL, FooterURL, ArtworkURL  string
	AltText                               string
}

// Limits of the request, in characters (runes) or items.
const (
	MaxBarcodeValue     = 512
	MaxLogoText         = 64
	MaxDescription      = 128
	MaxOrganizationName = 64
	MaxTitle            = 64
	MaxCardLabel        = 32
	MaxFieldLabel       = 64
	MaxFieldValue       = 256
	MaxChangeMessage    = 128
	MaxRelevantText     = 128
	MaxFields           = 10
	MaxLocations        = 10
	MaxExpirationDays   = 3650
)

// Parse strictly decodes and validates a request body (POST and PUT bodies
// alike). Errors are *walletwallet.Error with Code EINVALID and a message that
// names the field path and the rule.
func Parse(body []byte) (*Request, error) {
	req, _, _, err := parse(body, false)
	return req, err
}

// ParseCanonical is Parse and Canonical on one decoding of the body, for the
// API, which needs both for every POST and PUT.
func ParseCanonical(body []byte) (req *Request, canon []byte, hash string, err error) {
	return parse(body, true)
}

func parse(body []byte, canonical bool) (*Request, []byte, string, error) {
	root, truncated, err := decodeStrict(body)
	if err != nil {
		return nil, nil, "", err
	}
	d, err := mapRequest(root)
	if err != nil {
		return nil, nil, "", err
	}
	if err := d.validate(); err != nil {
		return nil, nil, "", err
	}
	// Only the rules read the trees; the request returned holds d, and the
	// trees' containers are cut from arena chunks shared with the whole
	// body's tree, which must not live as long as the request does.
	d.raw = nil
	if truncated {
		// Unreachable for any body within the schema; a backstop so a partly
		// stored tree can never pass as a whole request.
		return nil, nil, "", tooManyValues()
	}
	d.resolveLegacy()
	if !canonical {
		return &d.req, nil, "", nil
	}
	canon, hash := canonicalOf(root, len(body))
	return &d.req, canon, hash, nil
}

func tooManyValues() error {
	return invalid("request body has more values than any valid request (over %d in one array or object, or %d in all)", maxChildren, maxValues)
}

// Canonical re-encodes an already-Parsed body with sorted object keys, no
// insignificant whitespace, null members dropped and numbers as their literal
// text, and returns it with the lowercase hex SHA-256 of it, so that key order
// and spacing never count as a change.
func Canonical(body []byte) (canon []byte, hash string, err error) {
	root, truncated, err := decodeStrict(body)
	if err != nil {
		return nil, "", err
	}
	if truncated {
		return nil, "", tooManyValues()
	}
	canon, hash = canonicalOf(root, len(body))
	return canon, hash, nil
}

func canonicalOf(root value, size int) ([]byte, string) {
	canon := appendCanonical(make([]byte, 0, size), root)
	sum := sha256.Sum256(canon)
	return canon, hex.EncodeToString(sum[:])
}

// CheckPlan refuses Pro-only fields unless plan is walletwallet.PlanPro
// (callers resolve a trial to pro or free first); the first in field-table
// order is named.
func (r *Request) CheckPlan(plan walletwallet.Plan) error {
	if plan == walletwallet.PlanPro {
		return nil
	}
	for i := range requestFields {
		if f := &requestFields[i]; f.pro && f.given(r) {
			return invalid("%s is only available on the Pro plan", f.name)
		}
	}
	return nil
}

// Slug is the Content-Disposition file name stem: Title, else LogoText,
// lowercased, each run of characters outside [a-z0-9] turned into one "-",
// trimmed of "-"; "pass" when nothing is left.
func (r *Request) Slug() string {
	src := r.Title
	if src == "" {
		src = r.LogoText
	}
	src = strings.ToLower(src)
	var sb strings.Builder
	dash := false
	for i := 0; i < len(src); i++ {
		c := src[i]
		if (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') {
			if dash && sb.Len() > 0 {
				sb.WriteByte('-')
			}
			dash = false
			sb.WriteByte(c)
			continue
		}
		dash = true
	}
	if sb.Len() == 0 {
		return "pass"
	}
	return sb.String()
}

// itoa keeps error-path formatting short at call sites.
func itoa(i int) string { return strconv.Itoa(i) }
