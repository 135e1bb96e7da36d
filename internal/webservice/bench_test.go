package webservice_test

import (
	"io"
	"net/http"
	"testing"
	"time"
)

// BenchmarkPassFetch measures GET /v1/passes over loopback HTTP with the
// blob stored: "full" downloads a 64 KiB pass, "not-modified" answers 304.
func BenchmarkPassFetch(b *testing.B) {
	e := newEnv(b)
	e.seed(passType, "s", base, make([]byte, 64<<10))
	cases := []struct {
		name string
		ims  string
		want int
	}{
		{"full", "", http.StatusOK},
		{"not-modified", httpDate(base.Truncate(time.Second)), http.StatusNotModified},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req, _ := http.NewRequest(http.MethodGet, e.srv.URL+passPath("s"), nil)
					req.Header.Set("Authorization", goodAuth[0])
					if c.ims != "" {
						req.Header.Set("If-Modified-Since", c.ims)
					}
					resp, err := e.srv.Client().Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != c.want {
						b.Errorf("status %d, want %d", resp.StatusCode, c.want)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
	}
}
