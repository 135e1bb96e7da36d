package pkpass

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"time"
	"unicode/utf8"
)

// Limits of the Part 2 fields.
const (
	MaxGroupingID      = 64
	MaxAltText         = 64
	MaxAttributedValue = 512
	MaxAppLaunchURL    = 512
	MaxUserInfoBytes   = 4096
	MaxRelevantDates   = 10
	MaxBeacons         = 10
	MaxStoreIDs        = 10
	MaxLanguages       = 20
	MaxStrings         = 200
	MaxStringLen       = 256
	MaxNFCMessage      = 64
)

// transitTypes maps transitType to PassKit's constants.
var transitTypes = map[string]string{"air": "PKTransitTypeAir", "boat": "PKTransitTypeBoat",
	"bus": "PKTransitTypeBus", "train": "PKTransitTypeTrain", "generic": "PKTransitTypeGeneric"}

func checkTransitType(d *decoded) error {
	if t := d.req.TransitType; t != "" {
		if _, ok := transitTypes[t]; !ok {
			return invalid("transitType must be one of: air, boat, bus, train, generic")
		}
	}
	return nil
}

// isoDate parses an ISO 8601 date-time with an offset (RFC 3339).
func isoDate(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339, s)
	return t, err == nil
}

var relevantDateKeys = map[string]bool{"date": true, "startDate": true, "endDate": true}

func decodeRelevantDates(m *mapper, v value, path string) error {
	items, ok := m.array(v, path)
	if !ok {
		return nil
	}
	out := make([]RelevantDate, len(items))
	for i, it := range items {
		p := path + "[" + strconv.Itoa(i) + "]"
		if it.kind != kindObject {
			m.typeError(p, "an object")
			continue
		}
		for _, mb := range it.obj {
			switch mb.key {
			case "date":
				m.str(&out[i].Date, mb.val, p+".date")
			case "startDate":
				m.str(&out[i].StartDate, mb.val, p+".startDate")
			case "endDate":
				m.str(&out[i].EndDate, mb.val, p+".endDate")
			default:
				return unknownField(p+"."+mb.key, mb.key, relevantDateKeys)
			}
		}
	}
	m.d.req.RelevantDates = out
	return nil
}

func checkRelevantDates(d *decoded) error {
	ds := d.req.RelevantDates
	if len(ds) > MaxRelevantDates {
		return invalid("relevantDates must have at most %d items", MaxRelevantDates)
	}
	for i, rd := range ds {
		p := "relevantDates[" + strconv.Itoa(i) + "]"
		switch {
		case rd.Date != "" && (rd.StartDate != "" || rd.EndDate != ""):
			return invalid("%s must have either date or startDate and endDate, not both", p)
		case rd.Date != "":
			if _, ok := isoDate(rd.Date); !ok {
				return invalid("%s.date must be an ISO 8601 date-time with offset, like 2026-05-11T20:00:00+02:00", p)
			}
		case rd.StartDate == "" || rd.EndDate == "":
			return invalid("%s must have date, or startDate and endDate", p)
		default:
			start, ok1 := isoDate(rd.StartDate)
			end, ok2 := isoDate(rd.EndDate)
			if !ok1 || !ok2 {
				return invalid("%s.startDate and endDate must be ISO 8601 date-times with offset, like 2026-05-11T20:00:00+02:00", p)
			}
			if !end.After(start) {
				return invalid("%s.endDate must be after startDate", p)
			}
		}
	}
	return nil
}

type passRelevantDate struct {
	Date      string `json:"date,omitempty"`
	StartDate string `json:"startDate,omitempty"`
	EndDate   string `json:"endDate,omitempty"`
}

func passRelevantDates(r *Request) any {
	if len(r.RelevantDates) == 0 {
		return nil
	}
	out := make([]passRelevantDate, len(r.RelevantDates))
	for i, d := range r.RelevantDates {
		out[i] = passRelevantDate(d)
	}
	return out
}

// relevantDate is the first date or start date, for iOS before 18.
func relevantDate(r *Request) any {
	if len(r.RelevantDates) == 0 {
		return nil
	}
	return firstNonEmpty(r.RelevantDates[0].Date, r.RelevantDates[0].StartDate)
}

var beaconKeys = map[string]bool{"proximityUUID": true, "major": true, "minor": true, "relevantText": true}

func decodeBeacons(m *mapper, v value, path string) error {
	items, ok := m.array(v, path)
	if !ok {
		return nil
	}
	out := make([]Beacon, len(items))
	for i, it := range items {
		p := path + "[" + strconv.Itoa(i) + "]"
		if it.kind != kindObject {
			m.typeError(p, "an object")
			continue
		}
		for _, mb := range it.obj {
			switch mb.key {
			case "proximityUUID":
				m.str(&out[i].ProximityUUID, mb.val, p+".proximityUUID")
			case "major", "minor":
				var n int
				if m.integer(&n, mb.val, p+"."+mb.key) {
					if mb.key == "major" {
						out[i].Major = &n
					} else {
						out[i].Minor = &n
					}
				}
			case "relevantText":
				m.str(&out[i].RelevantText, mb.val, p+".relevantText")
			default:
				return unknownField(p+"."+mb.key, mb.key, beaconKeys)
			}
		}
	}
	m.d.req.Beacons = out
	return nil
}

var uuidPattern = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`)

func checkBeacons(d *decoded) error {
	bs := d.req.Beacons
	if len(bs) > MaxBeacons {
		return invalid("beacons must have at most %d items", MaxBeacons)
	}
	for i, b := range bs {
		p := "beacons[" + strconv.Itoa(i) + "]."
		if b.ProximityUUID == "" {
			return invalid("%sproximityUUID is required", p)
		}
		if !uuidPattern.MatchString(b.ProximityUUID) {
			return invalid("%sproximityUUID must be a UUID like E2C56DB5-DFFB-48D2-B060-D0F5A71096E0", p)
		}
		for _, c := range []struct {
			name string
			v    *int
		}{{"major", b.Major}, {"minor", b.Minor}} {
			if c.v != nil && (*c.v < 0 || *c.v > 65535) {
				return invalid("%s%s must be between 0 and 65535", p, c.name)
			}
		}
		if err := maxLen(p+"relevantText", b.RelevantText, MaxRelevantText); err != nil {
			return err
		}
	}
	return nil
}

type passBeacon struct {
	ProximityUUID string `json:"proximityUUID"`
	Major         *int   `json:"major,omitempty"`
	Minor         *int   `json:"minor,omitempty"`
	RelevantText  string `json:"relevantText,omitempty"`
}

func passBeacons(r *Request) any {
	if len(r.Beacons) == 0 {
		return nil
	}
	out := make([]passBeacon, len(r.Beacons))
	for i, b := range r.Beacons {
		out[i] = passBeacon(b)
	}
	return out
}

func checkMaxDistance(d *decoded) error {
	if d.req.MaxDistance < 0 || (d.given("maxDistance") && d.req.MaxDistance == 0) {
		return invalid("maxDistance must be a positive integer (metres)")
	}
	return nil
}

func checkAppLaunchURL(d *decoded) error {
	s := d.req.AppLaunchURL
	if s == "" {
		return nil
	}
	if err := maxLen("appLaunchURL", s, MaxAppLaunchURL); err != nil {
		return err
	}
	if u, err := url.Parse(s); err != nil || u.Scheme == "" {
		return invalid("appLaunchURL must be a URL with a scheme, like myapp://open")
	}
	return nil
}

func decodeStoreIDs(m *mapper, v value, path string) error {
	items, ok := m.array(v, path)
	if !ok {
		return nil
	}
	out := make([]int64, len(items))
	for i, it := range items {
		p := path + "[" + strconv.Itoa(i) + "]"
		n := 0
		if m.integer(&n, it, p) {
			out[i] = int64(n)
		} else if it.kind == kindNull {
			m.typeError(p, "an integer")
		}
	}
	m.d.req.AssociatedStoreIdentifiers = out
	return nil
}

func checkStoreIDs(d *decoded) error {
	ids := d.req.AssociatedStoreIdentifiers
	if len(ids) > MaxStoreIDs {
		return invalid("associatedStoreIdentifiers must have at most %d items", MaxStoreIDs)
	}
	for i, id := range ids {
		if id < 1 {
			return invalid("associatedStoreIdentifiers[%d] must be a positive integer", i)
		}
	}
	return nil
}

func checkUserInfo(d *decoded) error {
	if n := len(d.req.UserInfo); n > MaxUserInfoBytes {
		return invalid("userInfo must be at most %d bytes as compact JSON (it is %d)", MaxUserInfoBytes, n)
	}
	return nil
}

func rawOrNil(b []byte) any {
	if b == nil {
		return nil
	}
	return json.RawMessage(b)
}

func checkPoster(d *decoded) error {
	if !d.req.Poster {
		return nil
	}
	sem := d.raw["semantics"]
	for _, tag := range []string{"eventName", "venueName"} {
		if !hasKey(sem.obj, tag) {
			return invalid("poster needs semantics.%s (a poster ticket shows the event and venue names)", tag)
		}
	}
	return nil
}

var languageTag = regexp.MustCompile(`^[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?$`)

func decodeLocalizations(m *mapper, v value, path string) error {
	switch v.kind {
	case kindNull:
		return nil
	case kindObject:
	default:
		m.typeError(path, "an object")
		return nil
	}
	out := make(map[string]map[string]string, len(v.obj))
	for _, lang := range v.obj {
		p := path + "." + lang.key
		if lang.val.kind != kindObject {
			m.typeError(p, "an object of strings")
			continue
		}
		strs := make(map[string]string, len(lang.val.obj))
		for _, mb := range lang.val.obj {
			if mb.val.kind != kindString {
				m.typeError(p+"."+mb.key, "a string")
				continue
			}
			strs[mb.key] = mb.val.str
		}
		out[lang.key] = strs
	}
	m.d.req.Localizations = out
	return nil
}

func checkLocalizations(d *decoded) error {
	locs := d.req.Localizations
	if len(locs) > MaxLanguages {
		return invalid("localizations must have at most %d languages", MaxLanguages)
	}
	for _, lang := range sortedKeys(locs) {
		p := "localizations." + lang
		if !languageTag.MatchString(lang) {
			return invalid("%s: %q is not a language tag like fr, pt-BR or zh-Hans", p, lang)
		}
		strs := locs[lang]
		if len(strs) > MaxStrings {
			return invalid("%s must have at most %d strings", p, MaxStrings)
		}
		for _, k := range sortedKeys(strs) {
			if k == "" || utf8.RuneCountInString(k) > MaxStringLen {
				return invalid("%s: keys must be 1 to %d characters", p, MaxStringLen)
			}
			if v := strs[k]; len(v) > MaxStringLen { // else within the rune limit
				if err := maxLen(p+"."+k, v, MaxStringLen); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Strings renders one language's pass.strings: UTF-8, one `"key" = "value";`
// line per string in key order, with quotes, backslashes and line breaks
// escaped.
func Strings(strs map[string]string) []byte {
	keys := sortedKeys(strs)
	size := 0
	for _, k := range keys {
		size += len(k) + len(strs[k]) + len(`"" = "";`+"\n")
	}
	// Written straight into one buffer of about the right size (a
	// strings.Builder, a Replacer per string and a final copy cost a
	// localized pass a dozen allocations).
	b := make([]byte, 0, size+size/16)
	for _, k := range keys {
		b = appendStringsQuoted(b, k)
		b = append(b, " = "...)
		b = appendStringsQuoted(b, strs[k])
		b = append(b, ";\n"...)
	}
	return b
}

// appendStringsQuoted appends s in double quotes with backslash, quote and
// line-break characters escaped as a .strings file wants them.
func appendStringsQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '\\':
			esc = `\\`
		case '"':
			esc = `\"`
		case '\n':
			esc = `\n`
		case '\r':
			esc = `\r`
		case '\t':
			esc = `\t`
		default:
			continue
		}
		b = append(append(b, s[start:i]...), esc...)
		start = i + 1
	}
	return append(append(b, s[start:]...), '"')
}

// LocalizationFiles is the bundle's <lang>.lproj/pass.strings files, in
// language order.
func (r *Request) LocalizationFiles() []File {
	files := make([]File, 0, len(r.Localizations))
	for _, lang := range sortedKeys(r.Localizations) {
		files = append(files, File{Name: lang + ".lproj/pass.strings", Data: Strings(r.Localizations[lang])})
	}
	return files
}

var nfcKeys = map[string]bool{"message": true, "encryptionPublicKey": true, "requiresAuthentication": true}

func decodeNFC(m *mapper, v value, path string) error {
	switch v.kind {
	case kindNull:
		return nil
	case kindObject:
	default:
		m.typeError(path, "an object")
		return nil
	}
	n := &NFC{}
	for _, mb := range v.obj {
		p := path + "." + mb.key
		switch mb.key {
		case "message":
			m.str(&n.Message, mb.val, p)
		case "encryptionPublicKey":
			m.str(&n.EncryptionPublicKey, mb.val, p)
		case "requiresAuthentication":
			m.boolean(&n.RequiresAuthentication, mb.val, p)
		default:
			return unknownField(p, mb.key, nfcKeys)
		}
	}
	m.d.req.NFC = n
	return nil
}

func checkNFC(d *decoded) error {
	n := d.req.NFC
	if n == nil {
		return nil
	}
	if len(n.Message) < 1 || len(n.Message) > MaxNFCMessage {
		return invalid("nfc.message must be 1 to %d bytes", MaxNFCMessage)
	}
	der, err := base64.StdEncoding.DecodeString(n.EncryptionPublicKey)
	if err != nil || len(der) == 0 {
		return invalid("nfc.encryptionPublicKey must be the base64 of a P-256 SubjectPublicKeyInfo")
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return invalid("nfc.encryptionPublicKey is not a SubjectPublicKeyInfo: %v", err)
	}
	if k, ok := pub.(*ecdsa.PublicKey); !ok || k.Curve != elliptic.P256() {
		return invalid("nfc.encryptionPublicKey must be a P-256 (prime256v1) key")
	}
	return nil
}

type passNFCDoc struct {
	Message                string `json:"message"`
	EncryptionPublicKey    string `json:"encryptionPublicKey"`
	RequiresAuthentication bool   `json:"requiresAuthentication,omitempty"`
}

func passNFC(r *Request) any {
	if r.NFC == nil {
		return nil
	}
	return passNFCDoc(*r.NFC)
}
