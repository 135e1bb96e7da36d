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
}

// The structs below fix pass.json's key order, so equal requests render to
// equal bytes.
type passDoc struct {
	FormatVersion       int           `json:"formatVersion"`
	PassTypeIdentifier  string        `json:"passTypeIdentifier"`
	TeamIdentifier      string        `json:"teamIdentifier"`
	SerialNumber        string        `json:"serialNumber"`
	AuthenticationToken string        `json:"authenticationToken,omitempty"`
	WebServiceURL       string        `json:"webServiceURL,omitempty"`
	OrganizationName    string        `json:"organizationName"`
	Description         string        `json:"description"`
	LogoText            string        `json:"logoText,omitempty"`
	BackgroundColor     string        `json:"backgroundColor"`
	ForegroundColor     string        `json:"foregroundColor"`
	LabelColor          string        `json:"labelColor"`
	Barcodes            []passBarcode `json:"barcodes"`
	Locations           []passLoc     `json:"locations,omitempty"`
	ExpirationDate      string        `json:"expirationDate,omitempty"`
	Generic             *passFields   `json:"generic,omitempty"`
	StoreCard           *passFields   `json:"storeCard,omitempty"`
}

type passBarcode struct {
	Format          string `json:"format"`
	Message         string `json:"message"`
	MessageEncoding string `json:"messageEncoding"`
}

type passLoc struct {
	Latitude     float64  `json:"latitude"`
	Longitude    float64  `json:"longitude"`
	Altitude     *float64 `json:"altitude,omitempty"`
	RelevantText string   `json:"relevantText,omitempty"`
}

type passFields struct {
	HeaderFields    []passField `json:"headerFields,omitempty"`
	PrimaryFields   []passField `json:"primaryFields,omitempty"`
	SecondaryFields []passField `json:"secondaryFields,omitempty"`
	BackFields      []passField `json:"backFields,omitempty"`
}

type passField struct {
	Key           string `json:"key"`
	Label         string `json:"label,omitempty"`
	Value         string `json:"value"`
	ChangeMessage string `json:"changeMessage,omitempty"`
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
	bf, ok := barcodeFormats[r.BarcodeFormat]
	if !ok {
		return nil, errors.New("pkpass: PassJSON: request was not Parsed: unknown barcode format")
	}
	pal := r.paletteFor()
	doc := passDoc{
		FormatVersion:      1,
		PassTypeIdentifier: info.PassTypeID,
		TeamIdentifier:     info.TeamID,
		SerialNumber:       info.Serial,
		OrganizationName:   firstNonEmpty(r.OrganizationName, info.DefaultOrg, DefaultOrganization),
		Description:        firstNonEmpty(r.Description, r.LogoText, r.Title, "Pass"),
		LogoText:           r.LogoText,
		BackgroundColor:    pal.Background.String(),
		ForegroundColor:    pal.Foreground.String(),
		LabelColor:         pal.Label.String(),
		Barcodes: []passBarcode{{
			Format:          bf.passKit,
			Message:         r.BarcodeValue,
			MessageEncoding: barcodeEncoding(r.BarcodeValue),
		}},
	}
	if info.WebServiceURL != "" {
		doc.WebServiceURL = info.WebServiceURL
		doc.AuthenticationToken = info.AuthToken
	}
	for _, l := range r.Locations {
		doc.Locations = append(doc.Locations, passLoc(l))
	}
	if r.ExpirationDays > 0 {
		if info.FirstIssued.IsZero() {
			return nil, errors.New("pkpass: PassJSON: FirstIssued is required with expirationDays")
		}
		exp := info.FirstIssued.UTC().Add(time.Duration(r.ExpirationDays) * 24 * time.Hour)
		doc.ExpirationDate = exp.Truncate(time.Second).Format(time.RFC3339)
	}
	fields := &passFields{
		HeaderFields:    passFieldsOf("header", r.HeaderFields),
		PrimaryFields:   passFieldsOf("primary", r.PrimaryFields),
		SecondaryFields: passFieldsOf("secondary", r.SecondaryFields),
		BackFields:      passFieldsOf("back", r.BackFields),
	}
	if r.Style() == "storeCard" {
		doc.StoreCard = fields
	} else {
		doc.Generic = fields
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	// Field values are shown as text by Wallet; \u003c escapes would only make
	// the file harder to read.
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
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
		out[i] = passField{
			Key:           prefix + strconv.Itoa(i),
			Label:         f.Label,
			Value:         f.Value,
			ChangeMessage: f.ChangeMessage,
		}
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
