package metrics

import (
	"net/netip"
	"testing"
)

func TestAllowed(t *testing.T) {
	def := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	cases := []struct {
		remote string
		want   bool
	}{
		{"127.0.0.1:5000", true},
		{"127.9.8.7:1", true},
		{"[::1]:5000", true},
		{"[::ffff:127.0.0.1]:5000", true}, // IPv4-mapped peer on a dual-stack socket
		{"[fe80::1%lo]:5000", false},
		{"10.0.0.1:5000", false},
		{"[::2]:5000", false},
		{"not-an-address", false},
		{"", false},
	}
	for _, c := range cases {
		if got := Allowed(c.remote, def); got != c.want {
			t.Errorf("Allowed(%q) = %v, want %v", c.remote, got, c.want)
		}
	}
	if Allowed("127.0.0.1:1", nil) {
		t.Error("an empty list must allow nobody")
	}
}

// TestNilSafe: packages record through an optional *Metrics.
func TestNilSafe(t *testing.T) {
	var m *Metrics
	m.ObserveHTTP("GET /x", 200, 0)
	m.PassesCreated(1)
	m.PassUpdated()
	m.Push(PushSent)
	m.WebhookDelivery(WebhookOK)
	m.ObserveSign(0)
}
