// Package preview draws a pass the way Wallet lays it out, as a PNG at @2x
// (750 px wide): the front with its colours, logo, fields, images and a
// scannable barcode, or the back with its back fields. It reads the same
// pass.json and image files that go into the signed bundle, so what it draws
// is what the pass engine produced for a request, for every style the engine
// writes; it knows nothing of HTTP, storage or signing.
package preview

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"strconv"
	"strings"
)

// Width is the preview's width in pixels: 375 pt at @2x.
const Width = 750

// Side says which face of the pass to draw.
type Side int

// The two sides of a pass.
const (
	Front Side = iota
	Back
)

// ParseSide reads the ?side= query value: "" or "front", or "back".
func ParseSide(s string) (Side, bool) {
	switch s {
	case "", "front":
		return Front, true
	case "back":
		return Back, true
	}
	return Front, false
}

// Pass is what the renderer draws: pass.json as the engine wrote it and the
// bundle's other files by name ("logo@2x.png", "strip@2x.png", …). Only the
// @2x images are used; a missing one leaves its slot empty.
type Pass struct {
	JSON  []byte
	Files map[string][]byte
}

// FromBundle reads a .pkpass zip (signed or not) into a Pass.
func FromBundle(pkpass []byte) (*Pass, error) {
	zr, err := zip.NewReader(bytes.NewReader(pkpass), int64(len(pkpass)))
	if err != nil {
		return nil, fmt.Errorf("preview: reading bundle: %w", err)
	}
	p := &Pass{Files: map[string][]byte{}}
	for _, f := range zr.File {
		if f.Name != "pass.json" && !strings.HasSuffix(f.Name, "@2x.png") {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("preview: reading %s: %w", f.Name, err)
		}
		// Bundles are produced by us and hold slot-sized images; the cap is
		// a backstop against a corrupt blob.
		data, err := io.ReadAll(io.LimitReader(rc, 16<<20))
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("preview: reading %s: %w", f.Name, err)
		}
		if f.Name == "pass.json" {
			p.JSON = data
		} else {
			p.Files[f.Name] = data
		}
	}
	if p.JSON == nil {
		return nil, errors.New("preview: bundle has no pass.json")
	}
	return p, nil
}

// Render draws one side of p and encodes it as PNG.
func Render(p *Pass, side Side) ([]byte, error) {
	img, err := Draw(p, side)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.Grow(64 << 10)
	if err := encodePNG(&buf, img); err != nil {
		return nil, fmt.Errorf("preview: encoding PNG: %w", err)
	}
	return buf.Bytes(), nil
}

// Draw draws one side of p as an image Width pixels wide.
func Draw(p *Pass, side Side) (*image.RGBA, error) {
	doc, err := parseDoc(p.JSON)
	if err != nil {
		return nil, err
	}
	r := newRenderer(doc, p.Files)
	defer r.release()
	if side == Back {
		return r.back(), nil
	}
	return r.front(), nil
}

// passDoc is the part of pass.json the preview draws.
type passDoc struct {
	OrganizationName string        `json:"organizationName"`
	Description      string        `json:"description"`
	LogoText         string        `json:"logoText"`
	BackgroundColor  string        `json:"backgroundColor"`
	ForegroundColor  string        `json:"foregroundColor"`
	LabelColor       string        `json:"labelColor"`
	Barcodes         []passBarcode `json:"barcodes"`
	Barcode          *passBarcode  `json:"barcode"`
	Voided           bool          `json:"voided"`
	Generic          *styleFields  `json:"generic"`
	StoreCard        *styleFields  `json:"storeCard"`
	EventTicket      *styleFields  `json:"eventTicket"`
	Coupon           *styleFields  `json:"coupon"`
	BoardingPass     *styleFields  `json:"boardingPass"`

	style  string
	fields *styleFields
}

type passBarcode struct {
	Format          string `json:"format"`
	Message         string `json:"message"`
	MessageEncoding string `json:"messageEncoding"`
	AltText         string `json:"altText"`
}

type styleFields struct {
	HeaderFields         []passField `json:"headerFields"`
	PrimaryFields        []passField `json:"primaryFields"`
	SecondaryFields      []passField `json:"secondaryFields"`
	AuxiliaryFields      []passField `json:"auxiliaryFields"`
	BackFields           []passField `json:"backFields"`
	AdditionalInfoFields []passField `json:"additionalInfoFields"`
	TransitType          string      `json:"transitType"`
}

type passField struct {
	Label         string          `json:"label"`
	Value         json.RawMessage `json:"value"`
	TextAlignment string          `json:"textAlignment"`
	DateStyle     string          `json:"dateStyle"`
	TimeStyle     string          `json:"timeStyle"`
	CurrencyCode  string          `json:"currencyCode"`
	NumberStyle   string          `json:"numberStyle"`
}

func parseDoc(data []byte) (*passDoc, error) {
	var d passDoc
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("preview: pass.json: %w", err)
	}
	for _, s := range []struct {
		name string
		f    *styleFields
	}{
		{"boardingPass", d.BoardingPass},
		{"coupon", d.Coupon},
		{"eventTicket", d.EventTicket},
		{"storeCard", d.StoreCard},
		{"generic", d.Generic},
	} {
		if s.f != nil {
			d.style, d.fields = s.name, s.f
			break
		}
	}
	if d.fields == nil {
		return nil, errors.New("preview: pass.json has no style key")
	}
	return &d, nil
}

// barcode is the pass's first barcode (what Wallet shows), or nil.
func (d *passDoc) barcode() *passBarcode {
	if len(d.Barcodes) > 0 {
		return &d.Barcodes[0]
	}
	return d.Barcode
}

// text is the field's value as Wallet would show it: strings as given,
// numbers as written (with the currency code when there is one), and dates
// formatted by their dateStyle/timeStyle.
func (f passField) text() string {
	v := bytes.TrimSpace(f.Value)
	if len(v) == 0 || string(v) == "null" {
		return ""
	}
	if v[0] == '"' {
		var s string
		if json.Unmarshal(v, &s) != nil {
			return ""
		}
		if f.DateStyle != "" || f.TimeStyle != "" {
			if t, ok := formatDate(s, f.DateStyle, f.TimeStyle); ok {
				return t
			}
		}
		return s
	}
	num := string(v)
	if _, err := strconv.ParseFloat(num, 64); err != nil {
		return ""
	}
	switch {
	case f.CurrencyCode != "":
		return f.CurrencyCode + " " + num
	case f.NumberStyle == "PKNumberStylePercent":
		if x, err := strconv.ParseFloat(num, 64); err == nil {
			return strconv.FormatFloat(x*100, 'f', -1, 64) + "%"
		}
	}
	return num
}
