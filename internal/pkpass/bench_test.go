package pkpass

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"fmt"
	"regexp"
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

// BenchmarkParseCanonicalPosterDataURIs is the same body with its four
// image URLs as 2.3 KB base64 data URIs, as the issuer's poster benchmark
// sends it: most of its 12 KB are then string bytes to scan and copy.
func BenchmarkParseCanonicalPosterDataURIs(b *testing.B) {
	uri := "data:image/png;base64," + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("pixels\x00\xff"), 200))
	body := regexp.MustCompile(`"https://img\.example\.com/[^"]*"`).ReplaceAll(examples(b)["concert-poster"], []byte(`"`+uri+`"`))
	if _, err := Parse(body); err != nil {
		b.Fatal(err)
	}
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

// BenchmarkBundlePosterSize is Bundle at the poster ticket's size: 18 files
// of 650 KB in all whose sums are known (cached images), as the issuer
// passes them, and a fake signature. It is the zip and manifest alone.
func BenchmarkBundlePosterSize(b *testing.B) {
	sizes := []int{250_000, 120_000, 60_000, 60_000, 40_000, 30_000, 20_000, 20_000, 15_000, 10_000, 8_000, 5_000, 3_000, 2_000, 1_000, 1_000, 1_000}
	files := []File{{Name: "pass.json", Data: bytes.Repeat([]byte("{}"), 3000)}}
	for i, n := range sizes {
		data := make([]byte, n)
		for j := range data {
			data[j] = byte(j*7 + i)
		}
		f := File{Name: fmt.Sprintf("image%d.png", i), Data: data}
		s := f.sums()
		f.Sums = &s
		files = append(files, f)
	}
	sign := func([]byte) ([]byte, error) { return make([]byte, 3000), nil }
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Bundle(files, sign); err != nil {
			b.Fatal(err)
		}
	}
}
