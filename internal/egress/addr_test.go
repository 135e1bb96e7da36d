package egress

import (
	"net/netip"
	"strings"
	"testing"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		name   string
		addr   string
		public bool
		reason string // substring of the reason when not public
	}{
		{"public v4", "8.8.8.8", true, ""},
		{"public v4 next to private", "172.32.0.1", true, ""},
		{"public v4 next to CGNAT", "100.128.0.1", true, ""},
		{"this network", "0.1.2.3", false, "0.0.0.0/8"},
		{"unspecified v4", "0.0.0.0", false, "unspecified"},
		{"rfc1918 10", "10.1.2.3", false, "private 10.0.0.0/8"},
		{"rfc1918 172.16", "172.16.0.1", false, "private 172.16.0.0/12"},
		{"rfc1918 172.31", "172.31.255.255", false, "private 172.16.0.0/12"},
		{"rfc1918 192.168", "192.168.1.1", false, "private 192.168.0.0/16"},
		{"CGNAT", "100.64.0.1", false, "CGNAT"},
		{"CGNAT top", "100.127.255.255", false, "CGNAT"},
		{"loopback", "127.0.0.1", false, "loopback"},
		{"loopback other", "127.255.0.9", false, "loopback"},
		{"link-local", "169.254.1.1", false, "link-local"},
		{"cloud metadata", "169.254.169.254", false, "cloud metadata"},
		{"IETF assignments", "192.0.0.8", false, "IETF"},
		{"doc TEST-NET-1", "192.0.2.1", false, "documentation"},
		{"doc TEST-NET-2", "198.51.100.1", false, "documentation"},
		{"doc TEST-NET-3", "203.0.113.1", false, "documentation"},
		{"benchmarking", "198.18.0.1", false, "benchmarking"},
		{"benchmarking top", "198.19.255.255", false, "benchmarking"},
		{"multicast v4", "224.0.0.1", false, "multicast"},
		{"multicast v4 top", "239.255.255.255", false, "multicast"},
		{"reserved 240/4", "240.0.0.1", false, "reserved"},
		{"broadcast", "255.255.255.255", false, "broadcast"},

		{"public v6", "2606:4700::1111", true, ""},
		{"unspecified v6", "::", false, "unspecified"},
		{"loopback v6", "::1", false, "loopback"},
		{"unique-local fc", "fc00::1", false, "unique-local"},
		{"unique-local fd", "fd12:3456::1", false, "unique-local"},
		{"link-local v6", "fe80::1", false, "link-local"},
		{"link-local v6 zone", "fe80::1%eth0", false, "link-local"},
		{"site-local v6", "fec0::1", false, "site-local"},
		{"multicast v6", "ff02::1", false, "multicast"},
		{"doc v6", "2001:db8::1", false, "documentation"},
		{"doc v6 3fff", "3fff::1", false, "documentation"},
		{"benchmarking v6", "2001:2::1", false, "benchmarking"},
		{"discard-only", "100::1", false, "discard"},
		{"outside global unicast", "4000::1", false, "reserved"},

		{"mapped loopback", "::ffff:127.0.0.1", false, "loopback 127.0.0.0/8 (IPv4-mapped)"},
		{"mapped private", "::ffff:10.0.0.1", false, "private 10.0.0.0/8 (IPv4-mapped)"},
		{"mapped metadata", "::ffff:169.254.169.254", false, "cloud metadata"},
		{"mapped CGNAT", "::ffff:100.64.1.1", false, "CGNAT"},
		{"mapped public", "::ffff:8.8.8.8", true, ""},
		{"compatible loopback", "::127.0.0.1", false, "IPv4-compatible"},
		{"compatible private", "::10.0.0.1", false, "private 10.0.0.0/8 (IPv4-compatible)"},
		{"compatible public still refused", "::8.8.8.8", false, "deprecated"},
		{"NAT64 loopback", "64:ff9b::127.0.0.1", false, "loopback 127.0.0.0/8 (NAT64)"},
		{"NAT64 private", "64:ff9b::192.168.0.1", false, "NAT64"},
		{"NAT64 metadata", "64:ff9b::a9fe:a9fe", false, "cloud metadata"},
		{"NAT64 public", "64:ff9b::8.8.8.8", true, ""},
		{"NAT64 local-use", "64:ff9b:1::8.8.8.8", false, "local-use NAT64"},
		{"6to4 private", "2002:0a00:0001::1", false, "private 10.0.0.0/8 (6to4)"},
		{"6to4 loopback", "2002:7f00:1::", false, "loopback"},
		{"6to4 public", "2002:0808:0808::1", true, ""},
		{"Teredo private client", "2001:0:0808:0808::" + "f5ff:fffe", false, "private 10.0.0.0/8 (Teredo client)"},
		{"Teredo loopback server", "2001:0:7f00:1::f7f7:f7f7", false, "Teredo server"},
		{"Teredo public", "2001:0:0808:0808::f7f7:f7f7", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			public, reason := Classify(netip.MustParseAddr(tt.addr))
			if public != tt.public {
				t.Fatalf("Classify(%s) public = %v (%q), want %v", tt.addr, public, reason, tt.public)
			}
			if !public && !strings.Contains(reason, tt.reason) {
				t.Errorf("Classify(%s) reason = %q, want it to contain %q", tt.addr, reason, tt.reason)
			}
		})
	}
	t.Run("invalid", func(t *testing.T) {
		if public, _ := Classify(netip.Addr{}); public {
			t.Error("the zero Addr is public")
		}
	})
}

func TestParseHost(t *testing.T) {
	tests := []struct {
		name string
		host string
		want string // "" = not an address
	}{
		{"dotted", "127.0.0.1", "127.0.0.1"},
		{"single decimal", "2130706433", "127.0.0.1"},
		{"hex two parts", "0x7f.1", "127.0.0.1"},
		{"hex upper", "0X7F.0X0.0X0.0X1", "127.0.0.1"},
		{"short three parts", "127.0.1", "127.0.0.1"},
		{"short two parts", "127.1", "127.0.0.1"},
		{"octal", "0177.0.0.1", "127.0.0.1"},
		{"octal single", "017700000001", "127.0.0.1"},
		{"hex single", "0x7f000001", "127.0.0.1"},
		{"metadata decimal", "2852039166", "169.254.169.254"},
		{"mixed", "10.0x0.00.1", "10.0.0.1"},
		{"three parts wide last", "10.1.65535", "10.1.255.255"},
		{"trailing dot", "127.0.0.1.", "127.0.0.1"},
		{"zero", "0", "0.0.0.0"},
		{"bracketed v6", "[::1]", "::1"},
		{"v6", "::ffff:127.0.0.1", "::ffff:127.0.0.1"},
		{"v6 zone", "fe80::1%eth0", "fe80::1%eth0"},
		{"hostname", "example.com", ""},
		{"numeric-looking hostname", "1.2.3.4.5", ""},
		{"bad octal digit", "08.0.0.1", ""},
		{"part too large", "256.0.0.1", ""},
		{"last part too large", "1.2.3.256", ""},
		{"overflow", "4294967296", ""},
		{"sign", "+1.2.3.4", ""},
		{"underscore", "1_0.0.0.1", ""},
		{"empty part", "1..2", ""},
		{"empty", "", ""},
		{"bad v6", "[::g]", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, ok := ParseHost(tt.host)
			if tt.want == "" {
				if ok {
					t.Fatalf("ParseHost(%q) = %v, want not an address", tt.host, a)
				}
				return
			}
			if !ok || a != netip.MustParseAddr(tt.want) {
				t.Fatalf("ParseHost(%q) = %v, %v; want %s", tt.host, a, ok, tt.want)
			}
		})
	}
}
