package pkpass

import (
	"strconv"
	"unicode/utf8"
)

// barcodeFormat is what a request's barcodeFormat names: PassKit's constant
// and what the symbology can hold, so that a value Wallet could not draw is
// refused when the pass is made rather than shown as a blank barcode.
type barcodeFormat struct {
	passKit string
	// asciiOnly: every character must be in 0–127.
	asciiOnly bool
	// maxBytes is the most message bytes (in the barcode's messageEncoding)
	// the largest symbol holds at the error correction the generators use;
	// 0 means the 512-character limit always fits.
	maxBytes int
}

// barcodeFormats maps the request's names to their formats. The capacities
// (docs/decisions.md, "Barcode capacity"):
//   - QR: version 40 at level M (Core Image's default) holds 2331 bytes, more
//     than 512 characters of up to 4 UTF-8 bytes each; kept as data so the
//     rule is stated, not assumed.
//   - Aztec: 32 layers at the recommended 23 % + 3 codewords hold 1914 bytes.
//   - PDF417: 863 data codewords at the recommended level 5 (64 error
//     codewords) minus the length descriptor and the byte-mode latch leave
//     861, which byte compaction fills with 6 bytes per 5 codewords: 1033.
//   - Code128: code sets A and B cover ASCII; anything else needs FNC4
//     extensions that scanners and Wallet do not agree on.
var barcodeFormats = map[string]barcodeFormat{
	"QR":      {passKit: "PKBarcodeFormatQR", maxBytes: 2331},
	"PDF417":  {passKit: "PKBarcodeFormatPDF417", maxBytes: 1033},
	"Aztec":   {passKit: "PKBarcodeFormatAztec", maxBytes: 1914},
	"Code128": {passKit: "PKBarcodeFormatCode128", asciiOnly: true},
}

// checkBarcode refuses a value the chosen format cannot encode, naming the
// format and the reason.
func checkBarcode(format, value string) error {
	f := barcodeFormats[format]
	if f.asciiOnly {
		for i, c := range []rune(value) {
			if c > 0x7f {
				return invalid("barcodeValue cannot be encoded as %s: %s holds ASCII characters only, and character %d is %s",
					format, format, i+1, strconv.QuoteRune(c))
			}
		}
	}
	if f.maxBytes > 0 {
		enc := barcodeEncoding(value)
		n := len(value)
		if enc == "iso-8859-1" {
			n = utf8.RuneCountInString(value) // one byte per character
		}
		if n > f.maxBytes {
			return invalid("barcodeValue cannot be encoded as %s: it is %d bytes in %s and %s holds at most %d",
				format, n, enc, format, f.maxBytes)
		}
	}
	return nil
}

// barcodeEncoding is iso-8859-1, the encoding scanners expect, unless the
// message has characters Latin-1 cannot represent; then utf-8, which keeps
// them instead of making the pass unrenderable.
func barcodeEncoding(msg string) string {
	for _, c := range msg {
		if c > 0xff {
			return "utf-8"
		}
	}
	return "iso-8859-1"
}
