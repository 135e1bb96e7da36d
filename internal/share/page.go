package share

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html/template"
	"image/png"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"
)

// Page is what the share page shows: only what the pass's holder sees on
// the pass anyway, never the serial number or the authentication token.
type Page struct {
	LogoText, Organization, Description string
	// URL is the share URL (the QR code's content); PassURL the download.
	URL, PassURL string
	Voided       bool
}

// qrModulePixels is the size of one QR module in the PNG: 6 px keeps a
// ~100-character URL (version 5–6, 37–41 modules plus the quiet zone)
// around 270 px, readable from a phone held at a desktop screen.
const qrModulePixels = 6

// QRCode renders s as a PNG QR code with a four-module quiet zone, which
// scanners need to find the code.
func QRCode(s string) ([]byte, error) {
	code, err := qr.Encode(s, qr.M, qr.Auto)
	if err != nil {
		return nil, fmt.Errorf("share: QR code: %w", err)
	}
	n := code.Bounds().Dx()
	scaled, err := barcode.Scale(code, n*qrModulePixels, n*qrModulePixels)
	if err != nil {
		return nil, fmt.Errorf("share: QR code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, withQuietZone(scaled, 4*qrModulePixels)); err != nil {
		return nil, fmt.Errorf("share: QR code: %w", err)
	}
	return buf.Bytes(), nil
}

// pageTemplate escapes every value it prints (html/template): logoText,
// organizationName and description are written by the pass's issuer and
// shown to anyone holding the link. The QR code is a data: URI so the page
// needs nothing but itself.
var pageTemplate = template.Must(template.New("share").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{if .Voided}}Pass no longer valid{{else}}{{.Description}}{{end}}</title>
<link rel="stylesheet" href="/assets/app.css">
<link rel="icon" href="/assets/icon.svg" type="image/svg+xml">
</head>
<body>
<main class="share">
<div class="pass-card">
{{- if .Voided}}
<h1>This pass is no longer valid</h1>
<p class="org">{{.Organization}}</p>
<p>The issuer has withdrawn it. If you think this is a mistake, contact {{.Organization}}.</p>
{{- else}}
<p class="org">{{.Organization}}</p>
<h1>{{.LogoText}}</h1>
<p>{{.Description}}</p>
<a class="add add-to-wallet" href="{{.PassURL}}">Add to Apple Wallet</a>
<div class="qr"><img alt="QR code of this page's link" src="{{.QR}}"></div>
<p class="hint qr-hint">On a computer? Scan the code with your iPhone's camera to open this page there.</p>
{{- end}}
</div>
</main>
</body>
</html>
`))

// Render writes the share page.
func Render(p Page) ([]byte, error) {
	data := struct {
		Page
		QR template.URL
	}{Page: p}
	if !p.Voided {
		png, err := QRCode(p.URL)
		if err != nil {
			return nil, err
		}
		// A data: URI of our own PNG bytes: safe to mark as a URL.
		data.QR = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
	}
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, data); err != nil {
		return nil, fmt.Errorf("share: render: %w", err)
	}
	return buf.Bytes(), nil
}
