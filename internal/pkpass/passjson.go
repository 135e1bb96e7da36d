package pkpass

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
)

// DefaultOrganization is the organizationName of last resort, so a pass is
// never rendered without the key Apple requires.
const DefaultOrganization = "WalletWallet"

// PassInfo is what the server, not the client, puts into pass.json.
type PassInfo struct {
	PassTypeID, TeamID, Serial, AuthToken string
	// WebServiceURL already ends with "/"; empty omits the web service keys
	// (an offline build that will never be updated).
	WebServiceURL string
	// DefaultOrg is the account default or WW_DEFAULT_ORG, already resolved.
	DefaultOrg string
	// FirstIssued anchors expirationDate = FirstIssued + ExpirationDays*24h.
	FirstIssued time.Time
	// Voided marks the pass withdrawn: Wallet shows it as void.
	Voided bool
}

// passKeys is pass.json's top-level key order, so equal requests render to
// equal bytes. Part 1's keys keep their order; Part 2's come before the
// style dictionary, which stays last. Each key's value comes from exactly
// one producer: a field-table row (reqField.passKey) or derivedKeys.
var passKeys = []string{
	"formatVersion", "passTypeIdentifier", "teamIdentifier", "serialNumber",
	"authenticationToken", "webServiceURL", "organizationName", "description", "logoText",
	"backgroundColor", "foregroundColor", "labelColor", "barcodes", "locations", "expirationDate",
	"relevantDate", "relevantDates", "beacons", "maxDistance", "groupingIdentifier",
	"sharingProhibited", "appLaunchURL", "associatedStoreIdentifiers", "userInfo", "semantics",
	"preferredStyleSchemes", "eventLogoText", "nfc", "voided",
	StyleGeneric, StyleStoreCard, StyleEventTicket, StyleCoupon, StyleBoardingPass,
}

// passCtx is what the derived keys read.
type passCtx struct {
	r    *Request
	info PassInfo
	pal  palette
}

// derivedKeys produce the keys that are not one request field's value:
// server-owned ones, and those computed from several fields.
var derivedKeys = map[string]func(c *passCtx) any{
	"formatVersion":       func(c *passCtx) any { return 1 },
	"passTypeIdentifier":  func(c *passCtx) any { return c.info.PassTypeID },
	"teamIdentifier":      func(c *passCtx) any { return c.info.TeamID },
	"serialNumber":        func(c *passCtx) any { return c.info.Serial },
	"authenticationToken": func(c *passCtx) any { return nonEmpty(webService(c.info, c.info.AuthToken)) },
	"webServiceURL":       func(c *passCtx) any { return nonEmpty(webService(c.info, c.info.WebServiceURL)) },
	"organizationName": func(c *passCtx) any {
		return firstNonEmpty(c.r.OrganizationName, c.info.DefaultOrg, DefaultOrganization)
	},
	"description":     func(c *passCtx) any { return firstNonEmpty(c.r.Description, c.r.LogoText, c.r.Title, "Pass") },
	"logoText":        func(c *passCtx) any { return nonEmpty(c.r.LogoText) },
	"backgroundColor": func(c *passCtx) any { return c.pal.Background.String() },
	"foregroundColor": func(c *passCtx) any { return c.pal.Foreground.String() },
	"labelColor":      func(c *passCtx) any { return c.pal.Label.String() },
	"barcodes": func(c *passCtx) any {
		return []passBarcode{{
			Format:          barcodeFormats[c.r.BarcodeFormat].passKit,
			Message:         c.r.BarcodeValue,
			MessageEncoding: barcodeEncoding(c.r.BarcodeValue),
			AltText:         c.r.AltText,
		}}
	},
	"locations": func(c *passCtx) any {
		if len(c.r.Locations) == 0 {
			return nil
		}
		out := make([]passLoc, len(c.r.Locations))
		for i, l := range c.r.Locations {
			out[i] = passLoc(l)
		}
		return out
	},
	"expirationDate": func(c *passCtx) any {
		if c.r.ExpirationDays == 0 {
			return nil
		}
		exp := c.info.FirstIssued.UTC().Add(time.Duration(c.r.ExpirationDays) * 24 * time.Hour)
		return exp.Truncate(time.Second).Format(time.RFC3339)
	},
	"relevantDate": func(c *passCtx) any { return relevantDate(c.r) },
	"voided": func(c *passCtx) any {
		if !c.info.Voided {
			return nil
		}
		return true
	},
	"preferredStyleSchemes": func(c *passCtx) any {
		if !c.r.Poster {
			return nil
		}
		return []string{"posterEventTicket", "eventTicket"}
	},
	"eventLogoText": func(c *passCtx) any {
		if !c.r.Poster {
			return nil
		}
		return nonEmpty(c.r.LogoText)
	},
}

func webService(info PassInfo, v string) string {
	if info.WebServiceURL == "" {
		return ""
	}
	return v
}

type passBarcode struct {
	Format          string `json:"format"`
	Message         string `json:"message"`
	MessageEncoding string `json:"messageEncoding"`
	AltText         string `json:"altText,omitempty"`
}

type passLoc struct {
	Latitude     float64  `json:"latitude"`
	Longitude    float64  `json:"longitude"`
	Altitude     *float64 `json:"altitude,omitempty"`
	RelevantText string   `json:"relevantText,omitempty"`
}

type passField struct {
	Key               string    `json:"key"`
	Label             string    `json:"label,omitempty"`
	Value             any       `json:"value"`
	ChangeMessage     string    `json:"changeMessage,omitempty"`
	TextAlignment     string    `json:"textAlignment,omitempty"`
	DateStyle         string    `json:"dateStyle,omitempty"`
	TimeStyle         string    `json:"timeStyle,omitempty"`
	IsRelative        bool      `json:"isRelative,omitempty"`
	IgnoresTimeZone   bool      `json:"ignoresTimeZone,omitempty"`
	NumberStyle       string    `json:"numberStyle,omitempty"`
	CurrencyCode      string    `json:"currencyCode,omitempty"`
	DataDetectorTypes *[]string `json:"dataDetectorTypes,omitempty"`
	AttributedValue   string    `json:"attributedValue,omitempty"`
}

// object is a JSON object that keeps its members' order.
type object []member2

type member2 struct {
	key string
	val any
}

func (o object) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	buf.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := enc.Encode(m.key); err != nil {
			return nil, err
		}
		buf.Truncate(buf.Len() - 1) // Encode's newline
		buf.WriteByte(':')
		if err := enc.Encode(m.val); err != nil {
			return nil, err
		}
		buf.Truncate(buf.Len() - 1)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// PassJSON renders pass.json for a Parsed request. Errors mean info is
// unusable (a server bug), never a client mistake.
func (r *Request) PassJSON(info PassInfo) ([]byte, error) {
	if info.PassTypeID == "" || info.TeamID == "" || info.Serial == "" {
		return nil, errors.New("pkpass: PassJSON: pass type id, team id and serial are required")
	}
	if info.WebServiceURL != "" {
		if !strings.HasSuffix(info.WebServiceURL, "/") {
			return nil, errors.New("pkpass: PassJSON: webServiceURL must end with /")
		}
		// Apple ignores web service keys with a token under 16 characters.
		if len(info.AuthToken) < 16 {
			return nil, errors.New("pkpass: PassJSON: authenticationToken must have at least 16 characters")
		}
	}
	if _, ok := barcodeFormats[r.BarcodeFormat]; !ok {
		return nil, errors.New("pkpass: PassJSON: request was not Parsed: unknown barcode format")
	}
	if r.ExpirationDays > 0 && info.FirstIssued.IsZero() {
		return nil, errors.New("pkpass: PassJSON: FirstIssued is required with expirationDays")
	}
	c := &passCtx{r: r, info: info, pal: r.paletteFor()}
	style := r.Style()
	w := passWriter{buf: make([]byte, 0, r.passJSONSizeHint())}
	w.open('{')
	first := true
	for i, k := range passKeys {
		var v any
		if p := passProducers[i]; p != nil {
			v = p(c)
		} else if k == style {
			v = r.styleDict()
		}
		if v == nil {
			continue
		}
		w.key(k, first)
		first = false
		if err := w.value(v); err != nil {
			return nil, err
		}
	}
	w.close('}')
	return append(w.buf, '\n'), nil
}

// passProducers[i] produces passKeys[i] (nil for the style keys), from
// derivedKeys or the field table, resolved once instead of on every pass.
var passProducers = func() []func(c *passCtx) any {
	out := make([]func(c *passCtx) any, len(passKeys))
	for i, k := range passKeys {
		if f, ok := derivedKeys[k]; ok {
			out[i] = f
		}
		for j := range requestFields {
			if f := &requestFields[j]; f.pass != nil && f.passKey == k {
				pass := f.pass
				out[i] = func(c *passCtx) any { return pass(c.r) }
			}
		}
	}
	return out
}()

// passJSONSizeHint is a generous guess at pass.json's size, so that its
// buffer is allocated once.
func (r *Request) passJSONSizeHint() int {
	return 2048 + 2*(len(r.Semantics)+len(r.UserInfo))
}

// styleDict is the style key's dictionary: the field groups in Apple's
// order, then transitType for boarding passes.
func (r *Request) styleDict() object {
	d := object{}
	for _, g := range fieldGroups {
		if fs := passFieldsOf(g.prefix, g.get(r)); fs != nil {
			d = append(d, member2{g.name, fs})
		}
	}
	if t, ok := transitTypes[r.TransitType]; ok {
		d = append(d, member2{"transitType", t})
	}
	return d
}

// passFieldsOf gives positional keys (primary0, primary1, …) so a PUT that
// changes the value at the same place is the same field to Wallet, which is
// what fires its changeMessage.
func passFieldsOf(prefix string, fields []Field) []passField {
	if len(fields) == 0 {
		return nil
	}
	out := make([]passField, len(fields))
	for i, f := range fields {
		pf := passField{
			Key:             prefix + strconv.Itoa(i),
			Label:           f.Label,
			Value:           f.Value,
			ChangeMessage:   f.ChangeMessage,
			TextAlignment:   alignments[f.TextAlignment],
			DateStyle:       dateStyles[f.DateStyle],
			TimeStyle:       dateStyles[f.TimeStyle],
			IsRelative:      f.IsRelative,
			IgnoresTimeZone: f.IgnoresTimeZone,
			NumberStyle:     numberStyles[f.NumberStyle],
			CurrencyCode:    f.CurrencyCode,
			AttributedValue: f.AttributedValue,
		}
		if f.Numeric() {
			pf.Value = json.Number(f.Value)
		}
		if f.DataDetectorTypes != nil {
			ds := make([]string, len(f.DataDetectorTypes))
			for j, t := range f.DataDetectorTypes {
				ds[j] = detectors[t]
			}
			pf.DataDetectorTypes = &ds
		}
		out[i] = pf
	}
	return out
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
