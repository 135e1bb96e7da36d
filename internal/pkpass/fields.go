package pkpass

import (
	"slices"
	"strings"
)

// reqField is one request field, or one rule that spans fields: the single
// place that says how the field is decoded, which rules and limits apply,
// whether it needs Pro, which styles have it, and what it writes into
// pass.json. A new field is a new row; nothing else lists fields.
type reqField struct {
	// name is the JSON member name; "" marks a rule row that only checks.
	name string
	// decode stores v into d (nil never: every named row decodes). Type
	// mistakes go to m.typeError, unknown nested names are returned.
	decode func(m *mapper, v value, path string) error
	// given reports whether the field is set, for the plan and style gates.
	given func(r *Request) bool
	// check applies the field's rules in table order; nil = none.
	check func(d *decoded) error
	pro   bool
	// styles lists the styles that have the field; nil = all. Refusals
	// name the field and the style.
	styles []string
	// image is the slot an image field fills ("" = not an image).
	image string
	// text points at a string field's member (nil for other kinds).
	text func(r *Request) *string
	// passKey and pass write the field into pass.json under passKey (nil
	// value = key omitted); fields that only feed other keys have none.
	passKey string
	pass    func(r *Request) any
	// doc is the rule in a line, for generated documentation and schemas.
	doc string
	// schema is the field's JSON Schema (schema.go), built from the same
	// limits and tables as check; every named row has one.
	schema func() Schema
}

// Style names.
const (
	StyleGeneric      = "generic"
	StyleStoreCard    = "storeCard"
	StyleEventTicket  = "eventTicket"
	StyleCoupon       = "coupon"
	StyleBoardingPass = "boardingPass"
)

// Styles lists the pass styles in the order the contract names them.
var Styles = []string{StyleGeneric, StyleStoreCard, StyleEventTicket, StyleCoupon, StyleBoardingPass}

// requestFields is the field table, in validation order: Part 1's order
// first (its messages and their precedence are fixed), then Part 2's fields.
var requestFields = []reqField{
	{name: "barcodeValue", decode: decodeBarcodeValue, given: func(r *Request) bool { return r.BarcodeValue != "" },
		check: checkBarcodeValue, schema: barcodeValueSchema, doc: "required; non-empty, at most 512 characters, encodable in barcodeFormat"},
	{name: "barcodeFormat", decode: decodeBarcodeFormat, given: func(r *Request) bool { return r.BarcodeFormat != "" },
		check: checkBarcodeFormat, schema: barcodeFormatSchema, doc: "required; QR, PDF417, Aztec or Code128"},
	{check: checkAtLeastOne},
	strRow("logoText", func(r *Request) *string { return &r.LogoText }, MaxLogoText),
	strRow("description", func(r *Request) *string { return &r.Description }, MaxDescription),
	strRow("organizationName", func(r *Request) *string { return &r.OrganizationName }, MaxOrganizationName),
	fieldsRow("primaryFields", func(r *Request) *[]Field { return &r.PrimaryFields }, nil),
	fieldsRow("secondaryFields", func(r *Request) *[]Field { return &r.SecondaryFields }, nil),
	fieldsRow("headerFields", func(r *Request) *[]Field { return &r.HeaderFields }, nil),
	fieldsRow("backFields", func(r *Request) *[]Field { return &r.BackFields }, nil),
	fieldsRow("auxiliaryFields", func(r *Request) *[]Field { return &r.AuxiliaryFields }, nil),
	fieldsRow("additionalInfoFields", func(r *Request) *[]Field { return &r.AdditionalInfoFields }, []string{StyleEventTicket}),
	{name: "locations", decode: decodeLocations, given: func(r *Request) bool { return len(r.Locations) > 0 },
		check: (*decoded).validateLocations, schema: locationsSchema, doc: "at most 10 of {latitude, longitude, altitude?, relevantText?}"},
	{name: "colorPreset", decode: strDecoder(func(r *Request) *string { return &r.ColorPreset }),
		given: func(r *Request) bool { return r.ColorPreset != "" }, check: checkColorPreset, schema: colorPresetSchema,
		doc: "dark, blue, green, red, purple or orange"},
	{name: "expirationDays", decode: decodeExpiration, given: func(r *Request) bool { return r.ExpirationDays != 0 },
		check: checkExpiration, schema: expirationSchema, doc: "integer 1–3650, counted from the first issue"},
	colorRow("color", func(r *Request) *string { return &r.Color }),
	imageRow("logoURL", func(r *Request) *string { return &r.LogoURL }, "logo", nil),
	imageRow("thumbnailURL", func(r *Request) *string { return &r.ThumbnailURL }, "thumbnail", []string{StyleGeneric, StyleEventTicket}),
	imageRow("stripURL", func(r *Request) *string { return &r.StripURL }, "strip", []string{StyleStoreCard, StyleCoupon, StyleEventTicket}),
	imageRow("iconURL", func(r *Request) *string { return &r.IconURL }, "icon", nil),
	imageRow("backgroundURL", func(r *Request) *string { return &r.BackgroundURL }, "background", []string{StyleEventTicket}),
	imageRow("footerURL", func(r *Request) *string { return &r.FooterURL }, "footer", []string{StyleBoardingPass}),
	imageRow("artworkURL", func(r *Request) *string { return &r.ArtworkURL }, "artwork", []string{StyleEventTicket}),
	{name: "style", decode: strDecoder(func(r *Request) *string { return &r.RequestedStyle }),
		given: func(r *Request) bool { return r.RequestedStyle != "" }, check: checkStyle, schema: styleSchema,
		doc: "generic, storeCard, eventTicket, coupon or boardingPass; default storeCard with stripURL, else generic"},
	{check: checkStyles},
	strRow("title", func(r *Request) *string { return &r.Title }, MaxTitle),
	strRow("cardLabel", func(r *Request) *string { return &r.CardLabel }, MaxCardLabel),
	{name: "label", decode: strDecoder(func(r *Request) *string { return &r.Label }),
		given: func(r *Request) bool { return r.Label != "" }, check: checkLegacyLabel,
		schema: func() Schema { return optString(MaxFieldLabel) },
		doc:    "legacy: with value, a secondary field put first"},
	{name: "value", decode: strDecoder(func(r *Request) *string { return &r.Value }),
		given: func(r *Request) bool { return r.Value != "" }, schema: func() Schema { return optString(MaxFieldValue) },
		check: func(d *decoded) error { return maxLen("value", d.req.Value, MaxFieldValue) }, doc: "legacy: see label"},

	// Part 2 (contract, "Every pass style").
	{name: "transitType", decode: strDecoder(func(r *Request) *string { return &r.TransitType }),
		given: func(r *Request) bool { return r.TransitType != "" }, check: checkTransitType, schema: transitTypeSchema,
		styles: []string{StyleBoardingPass}, doc: "required with boardingPass: air, boat, bus, train or generic"},
	{name: "relevantDates", decode: decodeRelevantDates, given: func(r *Request) bool { return len(r.RelevantDates) > 0 },
		check: checkRelevantDates, schema: relevantDatesSchema, passKey: "relevantDates", pass: passRelevantDates,
		doc: "at most 10 of {date} or {startDate, endDate}, ISO 8601 with offset"},
	{name: "beacons", decode: decodeBeacons, given: func(r *Request) bool { return len(r.Beacons) > 0 },
		check: checkBeacons, schema: beaconsSchema, passKey: "beacons", pass: passBeacons,
		doc: "at most 10 of {proximityUUID, major?, minor?, relevantText?}"},
	{name: "maxDistance", decode: intDecoder("maxDistance", func(r *Request) *int { return &r.MaxDistance }),
		given: func(r *Request) bool { return r.MaxDistance != 0 }, check: checkMaxDistance, schema: positiveIntSchema,
		passKey: "maxDistance", pass: func(r *Request) any { return nonZero(r.MaxDistance) },
		doc: "positive integer, metres"},
	{name: "groupingIdentifier", decode: strDecoder(func(r *Request) *string { return &r.GroupingIdentifier }),
		given:  func(r *Request) bool { return r.GroupingIdentifier != "" },
		check:  func(d *decoded) error { return maxLen("groupingIdentifier", d.req.GroupingIdentifier, MaxGroupingID) },
		styles: []string{StyleEventTicket, StyleBoardingPass}, passKey: "groupingIdentifier",
		schema: func() Schema { return optString(MaxGroupingID) },
		pass:   func(r *Request) any { return nonEmpty(r.GroupingIdentifier) }, doc: "at most 64 characters"},
	{name: "sharingProhibited", decode: boolDecoder(func(r *Request) *bool { return &r.SharingProhibited }),
		given: func(r *Request) bool { return r.SharingProhibited }, passKey: "sharingProhibited", schema: boolSchema,
		pass: func(r *Request) any { return trueOrNil(r.SharingProhibited) }, doc: "boolean"},
	{name: "appLaunchURL", decode: strDecoder(func(r *Request) *string { return &r.AppLaunchURL }),
		given: func(r *Request) bool { return r.AppLaunchURL != "" }, check: checkAppLaunchURL, schema: appLaunchURLSchema,
		passKey: "appLaunchURL", pass: func(r *Request) any { return nonEmpty(r.AppLaunchURL) }, doc: "URL, at most 512 characters"},
	{name: "associatedStoreIdentifiers", decode: decodeStoreIDs, given: func(r *Request) bool { return len(r.AssociatedStoreIdentifiers) > 0 },
		check: checkStoreIDs, schema: storeIDsSchema, passKey: "associatedStoreIdentifiers",
		pass: func(r *Request) any {
			if len(r.AssociatedStoreIdentifiers) == 0 {
				return nil
			}
			return r.AssociatedStoreIdentifiers
		}, doc: "at most 10 positive integers (App Store ids)"},
	{name: "userInfo", decode: objectDecoder("userInfo", func(r *Request) *[]byte { return &r.UserInfo }),
		given: func(r *Request) bool { return r.UserInfo != nil }, check: checkUserInfo, schema: userInfoSchema,
		passKey: "userInfo", pass: func(r *Request) any { return rawOrNil(r.UserInfo) }, doc: "JSON object, compact encoding at most 4 KiB"},
	{name: "semantics", decode: objectDecoder("semantics", func(r *Request) *[]byte { return &r.Semantics }),
		given: func(r *Request) bool { return r.Semantics != nil }, check: checkSemantics, schema: semanticsSchema,
		passKey: "semantics", pass: func(r *Request) any { return rawOrNil(r.Semantics) }, doc: "Apple's semantic tags, type-checked"},
	{name: "poster", decode: boolDecoder(func(r *Request) *bool { return &r.Poster }),
		given: func(r *Request) bool { return r.Poster }, check: checkPoster, schema: boolSchema, styles: []string{StyleEventTicket},
		doc: "boolean; needs semantics.eventName and semantics.venueName"},
	{name: "localizations", decode: decodeLocalizations, given: func(r *Request) bool { return len(r.Localizations) > 0 },
		check: checkLocalizations, schema: localizationsSchema, doc: "at most 20 languages of at most 200 strings, keys and values at most 256"},
	{name: "nfc", decode: decodeNFC, given: func(r *Request) bool { return r.NFC != nil }, check: checkNFC, schema: nfcSchema, pro: true,
		passKey: "nfc", pass: passNFC, doc: "{message (1–64 bytes), encryptionPublicKey (P-256 SPKI, base64), requiresAuthentication?}"},
	colorRow("foregroundColor", func(r *Request) *string { return &r.ForegroundColor }),
	colorRow("labelColor", func(r *Request) *string { return &r.LabelColor }),
	{name: "altText", decode: strDecoder(func(r *Request) *string { return &r.AltText }),
		given:  func(r *Request) bool { return r.AltText != "" },
		check:  func(d *decoded) error { return maxLen("altText", d.req.AltText, MaxAltText) },
		schema: func() Schema { return optString(MaxAltText) }, doc: "at most 64 characters"},
}

// fieldIndex finds a named row by name.
var fieldIndex = func() map[string]*reqField {
	m := make(map[string]*reqField, len(requestFields))
	for i := range requestFields {
		if f := &requestFields[i]; f.name != "" {
			m[f.name] = f
		}
	}
	return m
}()

// knownFields is the allow-list for "did you mean" suggestions.
var knownFields = func() map[string]bool {
	m := make(map[string]bool, len(fieldIndex))
	for name := range fieldIndex {
		m[name] = true
	}
	return m
}()

func strDecoder(ptr func(*Request) *string) func(*mapper, value, string) error {
	return func(m *mapper, v value, path string) error {
		m.str(ptr(&m.d.req), v, path)
		return nil
	}
}

func boolDecoder(ptr func(*Request) *bool) func(*mapper, value, string) error {
	return func(m *mapper, v value, path string) error {
		m.boolean(ptr(&m.d.req), v, path)
		return nil
	}
}

func intDecoder(name string, ptr func(*Request) *int) func(*mapper, value, string) error {
	return func(m *mapper, v value, path string) error {
		m.integer(ptr(&m.d.req), v, path)
		return nil
	}
}

// strRow is a plain optional string with a length limit.
func strRow(name string, ptr func(*Request) *string, max int) reqField {
	return reqField{name: name, decode: strDecoder(ptr),
		given:  func(r *Request) bool { return *ptr(r) != "" },
		check:  func(d *decoded) error { return maxLen(name, *ptr(&d.req), max) },
		schema: func() Schema { return optString(max) },
		doc:    "at most " + itoa(max) + " characters"}
}

// colorRow is a Pro "#rrggbb" colour.
func colorRow(name string, ptr func(*Request) *string) reqField {
	return reqField{name: name, decode: strDecoder(ptr), pro: true,
		schema: func() Schema { return optPattern(hexColourPattern) },
		given:  func(r *Request) bool { return *ptr(r) != "" },
		check: func(d *decoded) error {
			if c := *ptr(&d.req); c != "" {
				if _, ok := parseHex(c); !ok {
					return invalid("%s must be a hex colour like #1e40af", name)
				}
			}
			return nil
		}, doc: "hex colour like #1e40af"}
}

// imageRow is a Pro image URL that fills a slot.
func imageRow(name string, ptr func(*Request) *string, slot string, styles []string) reqField {
	return reqField{name: name, decode: strDecoder(ptr), pro: true, image: slot, styles: styles, text: ptr,
		schema: func() Schema { return optPattern(imageURLPattern) },
		given:  func(r *Request) bool { return *ptr(r) != "" },
		check: func(d *decoded) error {
			if u := *ptr(&d.req); u != "" && !acceptableImageURL(u) {
				return invalid("URL must use HTTPS protocol (%s): give an https:// URL or a data:image/png;base64, or data:image/jpeg;base64, URI", name)
			}
			return nil
		}, doc: "https URL or PNG/JPEG data URI; slot " + slot}
}

// fieldsRow is a field array. Its pass.json group has the same name and
// its positional keys the prefix fieldKeyPrefix gives.
func fieldsRow(name string, ptr func(*Request) *[]Field, styles []string) reqField {
	return reqField{name: name, styles: styles, schema: func() Schema { return fieldsSchema(name) },
		decode: func(m *mapper, v value, path string) error { return m.fields(ptr(&m.d.req), v, name) },
		given:  func(r *Request) bool { return len(*ptr(r)) > 0 },
		check:  func(d *decoded) error { return d.validateFields(name, *ptr(&d.req)) },
		doc:    "at most 10 of {label?, value, changeMessage?, options}"}
}

// fieldGroups are the field arrays in the order pass.json lists them in the
// style dictionary, with their positional key prefixes.
var fieldGroups = []struct {
	name, prefix string
	get          func(r *Request) []Field
}{
	{"headerFields", "header", func(r *Request) []Field { return r.HeaderFields }},
	{"primaryFields", "primary", func(r *Request) []Field { return r.PrimaryFields }},
	{"secondaryFields", "secondary", func(r *Request) []Field { return r.SecondaryFields }},
	{"auxiliaryFields", "aux", func(r *Request) []Field { return r.AuxiliaryFields }},
	{"backFields", "back", func(r *Request) []Field { return r.BackFields }},
	{"additionalInfoFields", "info", func(r *Request) []Field { return r.AdditionalInfoFields }},
}

func nonEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nonZero(n int) any {
	if n == 0 {
		return nil
	}
	return n
}

func trueOrNil(b bool) any {
	if !b {
		return nil
	}
	return true
}

// Style is the PassKit style key: the requested style, else "storeCard"
// when StripURL is set (Part 1: only that style had a strip), else "generic".
func (r *Request) Style() string {
	switch {
	case r.RequestedStyle != "":
		return r.RequestedStyle
	case r.StripURL != "":
		return StyleStoreCard
	}
	return StyleGeneric
}

// ImageRef is one image URL of a request and the slot it fills.
type ImageRef struct {
	Field string // request field name, e.g. "logoURL"
	Slot  string // "icon", "logo", "thumbnail", "strip", "background", "footer" or "artwork"
	URL   string
}

// Images lists the image URLs the request gives in field-table order (the
// API page's: logo, thumbnail, strip, icon; then background, footer,
// artwork). Images are resolved in this order, so when several fail the
// error names the first field a reader of the request would look at.
func (r *Request) Images() []ImageRef {
	var refs []ImageRef
	for i := range requestFields {
		f := &requestFields[i]
		if f.image == "" || !f.given(r) {
			continue
		}
		refs = append(refs, ImageRef{Field: f.name, Slot: f.image, URL: *f.text(r)})
	}
	return refs
}

// allowedOn reports whether a row's field exists on a style.
func (f *reqField) allowedOn(style string) bool {
	return f.styles == nil || slices.Contains(f.styles, style)
}

// styleList is "a or b" for messages.
func styleList(styles []string) string {
	if len(styles) == 1 {
		return styles[0]
	}
	return strings.Join(styles[:len(styles)-1], ", ") + " or " + styles[len(styles)-1]
}

// FieldInfo describes one request field for documentation and generated
// schemas (the OpenAPI description reads the same table as the decoder).
type FieldInfo struct {
	Name string
	// Rule is the field's rule in a line.
	Rule string
	Pro  bool
	// Styles lists the styles that have the field; nil = every style.
	Styles []string
	// Slot is the image slot an image field fills ("" = not an image).
	Slot string
	// Schema is the field's JSON Schema (2020-12), from the rules' own limits.
	Schema Schema
}

// Fields lists the request fields in the table's (validation) order.
func Fields() []FieldInfo {
	var out []FieldInfo
	for _, f := range requestFields {
		if f.name != "" {
			out = append(out, FieldInfo{Name: f.name, Rule: f.doc, Pro: f.pro, Styles: slices.Clone(f.styles), Slot: f.image, Schema: f.schema()})
		}
	}
	return out
}
