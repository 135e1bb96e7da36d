package pkpass

import (
	"archive/zip"
	"bytes"
	"testing"
)

func BenchmarkParse(b *testing.B) {
	body := examples(b)["bayroast"]
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCanonical(b *testing.B) {
	body := examples(b)["bayroast"]
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Canonical(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPassJSON(b *testing.B) {
	r := mustParse(b, string(examples(b)["bayroast"]))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.PassJSON(testInfo); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPassJSONPoster is pass.json of the largest request: the poster
// ticket with semantics and five field groups.
func BenchmarkPassJSONPoster(b *testing.B) {
	r := mustParse(b, string(examples(b)["concert-poster"]))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.PassJSON(testInfo); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseCanonicalPoster is the server's one decoding of the poster
// ticket's body (validation and canonical hash).
func BenchmarkParseCanonicalPoster(b *testing.B) {
	body := examples(b)["concert-poster"]
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, _, err := ParseCanonical(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBundle(b *testing.B) {
	pj, err := mustParse(b, string(examples(b)["bayroast"])).PassJSON(testInfo)
	if err != nil {
		b.Fatal(err)
	}
	files := []File{{Name: "pass.json", Data: pj}, {Name: "icon.png", Data: testPNG(b, 29, 29)}, {Name: "icon@2x.png", Data: testPNG(b, 58, 58)}, {Name: "icon@3x.png", Data: testPNG(b, 87, 87)}}
	sign := func([]byte) ([]byte, error) { return make([]byte, 3000), nil }
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Bundle(files, sign); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBundleJSON measures the choice Bundle makes for JSON entries:
// deflate against store, on a real pass.json. It reports the stored size.
func BenchmarkBundleJSON(b *testing.B) {
	pj, err := mustParse(b, string(examples(b)["bayroast"])).PassJSON(testInfo)
	if err != nil {
		b.Fatal(err)
	}
	for _, m := range []struct {
		name   string
		method uint16
	}{{"store", zip.Store}, {"deflate", zip.Deflate}} {
		b.Run(m.name, func(b *testing.B) {
			var size int
			b.ReportAllocs()
			for b.Loop() {
				var buf bytes.Buffer
				zw := zip.NewWriter(&buf)
				w, err := zw.CreateHeader(&zip.FileHeader{Name: "pass.json", Method: m.method})
				if err != nil {
					b.Fatal(err)
				}
				w.Write(pj)
				zw.Close()
				size = buf.Len()
			}
			b.ReportMetric(float64(size), "zip-bytes")
			b.ReportMetric(float64(len(pj)), "json-bytes")
		})
	}
}
