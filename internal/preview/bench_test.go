package preview

import (
	"encoding/base64"
	"os"
	"strconv"
	"testing"
)

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
func itoa(i int) string   { return strconv.Itoa(i) }

// BenchmarkRenderBayroast is the preview of the API page's example, front,
// PNG-encoded: what POST /api/preview spends after validation.
func BenchmarkRenderBayroast(b *testing.B) {
	body, err := os.ReadFile("../../examples/bayroast.json")
	if err != nil {
		b.Fatal(err)
	}
	p := passFor(b, string(body))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Render(p, Front); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "renders/s")
}
