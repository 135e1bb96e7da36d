package pkpass

import (
	"regexp"
	"strings"
)

// Schema is a JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1) as
// plain data. The request schema is written here, beside the rules, from the
// same limits, enumeration tables and patterns the validator applies, so
// that the published description cannot drift from what is enforced; the
// limits test in internal/openapi sends values at and past every limit to
// the server to prove the two agree.
type Schema = map[string]any

// An optional member may be sent as null, which means absent.
func optional(t string) []string { return []string{t, "null"} }

func optString(max int) Schema {
	return Schema{"type": optional("string"), "maxLength": max}
}

func enumOf[V any](m map[string]V) []string { return sortedKeys(m) }

// withNull adds null to an enumeration of an optional member (a JSON Schema
// enum is checked besides type, so null must be listed in both).
func withNull(vals []string) []any {
	out := make([]any, 0, len(vals)+1)
	for _, v := range vals {
		out = append(out, v)
	}
	return append(out, nil)
}

// optEnum is an optional enumerated string; "" is listed because the
// validator, like every optional string, takes it as absent.
func optEnum(vals []string) Schema {
	return Schema{"type": optional("string"), "enum": append(withNull(vals), "")}
}

// optPattern is an optional string of a shape, or "" (absent).
func optPattern(p string) Schema {
	return Schema{"type": optional("string"), "pattern": "^$|" + p}
}

// pattern turns a Go regexp the validator uses into a schema pattern. The
// validator's patterns stay within the syntax RE2 and ECMA 262 share.
func pattern(re *regexp.Regexp) string { return re.String() }

// caseless spells s as a pattern matching it in any case ("ab" → "[Aa][Bb]"),
// since ECMA 262 patterns carry no flags.
func caseless(s string) string {
	var b strings.Builder
	for _, c := range s {
		lo, up := strings.ToLower(string(c)), strings.ToUpper(string(c))
		switch {
		case lo != up:
			b.WriteString("[" + up + lo + "]")
		case strings.ContainsRune(`.+*?()[]{}|^$\/`, c):
			b.WriteString(`\` + string(c))
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// dateTimePattern is the shape of an ISO 8601 date-time with an offset as
// time.RFC3339 parses it; the calendar (month 13) is checked by the server only.
const dateTimePattern = `^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$`

func dateTime(t any) Schema {
	return Schema{"type": t, "format": "date-time", "pattern": dateTimePattern}
}

func arrayOf(max int, items Schema) Schema {
	return Schema{"type": optional("array"), "maxItems": max, "items": items}
}

func objectSchema(props Schema, required ...string) Schema {
	s := Schema{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

// imageURLPattern admits what acceptableImageURL admits: an https URL with
// a host, or a base64 PNG or JPEG data URI, in any case.
var imageURLPattern = `^(` + caseless("https://") + `[^/?#]|` +
	caseless("data:image/") + `(` + caseless("png") + `|` + caseless("jpeg") + `)` + caseless(";base64,") + `.)`

const hexColourPattern = `^#[0-9A-Fa-f]{6}$`

func barcodeValueSchema() Schema {
	return Schema{"type": "string", "minLength": 1, "maxLength": MaxBarcodeValue}
}

func barcodeFormatSchema() Schema { return Schema{"type": "string", "enum": enumOf(barcodeFormats)} }

func locationsSchema() Schema {
	return arrayOf(MaxLocations, objectSchema(Schema{
		"latitude":     Schema{"type": "number", "minimum": -90, "maximum": 90},
		"longitude":    Schema{"type": "number", "minimum": -180, "maximum": 180},
		"altitude":     Schema{"type": optional("number")},
		"relevantText": optString(MaxRelevantText),
	}, "latitude", "longitude"))
}

func colorPresetSchema() Schema { return optEnum(enumOf(presets)) }

func expirationSchema() Schema {
	return Schema{"type": optional("integer"), "minimum": 1, "maximum": MaxExpirationDays}
}

func styleSchema() Schema { return optEnum(Styles) }

func transitTypeSchema() Schema { return optEnum(enumOf(transitTypes)) }

func relevantDatesSchema() Schema {
	return arrayOf(MaxRelevantDates, Schema{"oneOf": []Schema{
		objectSchema(Schema{"date": dateTime("string")}, "date"),
		objectSchema(Schema{"startDate": dateTime("string"), "endDate": dateTime("string")}, "startDate", "endDate"),
	}})
}

func beaconsSchema() Schema {
	return arrayOf(MaxBeacons, objectSchema(Schema{
		"proximityUUID": Schema{"type": "string", "format": "uuid", "pattern": pattern(uuidPattern)},
		"major":         Schema{"type": optional("integer"), "minimum": 0, "maximum": 65535},
		"minor":         Schema{"type": optional("integer"), "minimum": 0, "maximum": 65535},
		"relevantText":  optString(MaxRelevantText),
	}, "proximityUUID"))
}

func positiveIntSchema() Schema { return Schema{"type": optional("integer"), "minimum": 1} }

func boolSchema() Schema { return Schema{"type": optional("boolean")} }

func appLaunchURLSchema() Schema {
	s := optPattern(`^[A-Za-z][A-Za-z0-9+.-]*:`)
	s["maxLength"] = MaxAppLaunchURL
	return s
}

func storeIDsSchema() Schema {
	return arrayOf(MaxStoreIDs, Schema{"type": "integer", "minimum": 1})
}

func userInfoSchema() Schema {
	return Schema{"type": optional("object"), "description": "compact JSON encoding at most " + itoa(MaxUserInfoBytes) + " bytes"}
}

func localizationsSchema() Schema {
	return Schema{"type": optional("object"), "maxProperties": MaxLanguages,
		"propertyNames": Schema{"pattern": pattern(languageTag)},
		"additionalProperties": Schema{"type": "object", "maxProperties": MaxStrings,
			"propertyNames":        Schema{"minLength": 1, "maxLength": MaxStringLen},
			"additionalProperties": Schema{"type": "string", "maxLength": MaxStringLen}}}
}

func nfcSchema() Schema {
	s := objectSchema(Schema{
		"message": Schema{"type": "string", "minLength": 1, "maxLength": MaxNFCMessage,
			"description": "1 to " + itoa(MaxNFCMessage) + " bytes of UTF-8"},
		"encryptionPublicKey":    Schema{"type": "string", "minLength": 1, "contentEncoding": "base64", "description": "base64 of a P-256 SubjectPublicKeyInfo"},
		"requiresAuthentication": boolSchema(),
	}, "message", "encryptionPublicKey")
	s["type"] = optional("object")
	return s
}

// fieldKeySchema is the schema of one member of a field object; back
// fields have two members the others lack (nil: not on this array).
func fieldKeySchema(name string, back bool) Schema {
	switch name {
	case "label":
		return optString(MaxFieldLabel)
	case "value":
		return Schema{"type": "string", "minLength": 1, "maxLength": MaxFieldValue}
	case "changeMessage":
		return optString(MaxChangeMessage)
	case "textAlignment":
		return optEnum(enumOf(alignments))
	case "dateStyle", "timeStyle":
		return optEnum(enumOf(dateStyles))
	case "isRelative", "ignoresTimeZone":
		return boolSchema()
	case "numberStyle":
		return optEnum(enumOf(numberStyles))
	case "currencyCode":
		return optPattern(pattern(currencyCode))
	case "dataDetectorTypes":
		if back {
			return Schema{"type": optional("array"), "items": Schema{"enum": enumOf(detectors)}}
		}
	case "attributedValue":
		if back {
			return optString(MaxAttributedValue)
		}
	}
	return nil
}

// FieldObjectSchema is the schema of one entry of a field array, from the
// field object's table (fieldKeys); back says whether it is backFields.
func FieldObjectSchema(back bool) Schema {
	props := Schema{}
	for _, k := range fieldKeys {
		if s := fieldKeySchema(k.name, back); s != nil {
			props[k.name] = s
		}
	}
	o := objectSchema(props, "value")
	o["description"] = "dateStyle or timeStyle make value an ISO 8601 date-time with offset; numberStyle or currencyCode make it a decimal number"
	return o
}

func fieldsSchema(name string) Schema {
	return arrayOf(MaxFields, FieldObjectSchema(name == "backFields"))
}

// semanticsSchema lists every tag of the semantic tag table with its type.
func semanticsSchema() Schema {
	props := Schema{}
	for _, tag := range SemanticTagNames() {
		props[tag] = semTypeSchema(semanticTags[tag])
	}
	s := objectSchema(props)
	s["type"] = optional("object")
	return s
}

func strMembers(keys []string) Schema {
	props := Schema{}
	for _, k := range keys {
		props[k] = Schema{"type": "string"}
	}
	return props
}

func semTypeSchema(t semType) Schema {
	nullable := func(s Schema) Schema {
		switch ty := s["type"].(type) {
		case string:
			s["type"] = optional(ty)
		}
		return s
	}
	switch t {
	case semNumber:
		return Schema{"type": optional("number")}
	case semBool:
		return Schema{"type": optional("boolean")}
	case semDate:
		return dateTime(optional("string"))
	case semLocation:
		return nullable(objectSchema(Schema{"latitude": Schema{"type": "number"}, "longitude": Schema{"type": "number"}}, "latitude", "longitude"))
	case semPerson:
		props := strMembers(personKeys)
		props["phoneticRepresentation"] = Schema{"oneOf": []Schema{{"type": "string"}, objectSchema(strMembers(personKeys))}}
		return nullable(objectSchema(props))
	case semCurrency:
		return nullable(objectSchema(Schema{
			"amount":       Schema{"type": "string", "pattern": pattern(decimalNumber)},
			"currencyCode": Schema{"type": "string", "pattern": pattern(currencyCode)},
		}))
	case semSeats:
		return Schema{"type": optional("array"), "items": objectSchema(strMembers(seatKeys))}
	case semStrings:
		return Schema{"type": optional("array"), "items": Schema{"type": "string"}}
	case semWifi:
		return Schema{"type": optional("array"), "items": objectSchema(strMembers(wifiKeys))}
	case semAirplay:
		return Schema{"type": optional("array"), "items": objectSchema(strMembers(airplayKeys))}
	case semDateInfo:
		props := strMembers(dateInfoKeys)
		for _, k := range []string{"ignoreTimeComponents", "unannounced", "undetermined"} {
			props[k] = Schema{"type": "boolean"}
		}
		props["date"] = dateTime("string")
		return nullable(objectSchema(props))
	case semEventType:
		return Schema{"type": optional("string"), "enum": withNull(semEnums[t])}
	case semSecurityPrograms, semCapabilities:
		return Schema{"type": optional("array"), "items": Schema{"enum": semEnums[t]}}
	case semString:
		return Schema{"type": optional("string")}
	}
	return nil // a type without a schema: TestEverySemanticTypeHasASchema fails
}
