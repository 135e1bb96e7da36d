package egress

import (
	"net/netip"
	"strconv"
	"strings"
)

// addrRange is one non-public range and the words used to name it in errors.
type addrRange struct {
	prefix netip.Prefix
	reason string
}

func mustRanges(pairs ...string) []addrRange {
	out := make([]addrRange, 0, len(pairs)/2)
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, addrRange{netip.MustParsePrefix(pairs[i]), pairs[i+1]})
	}
	return out
}

// v4Ranges is ordered most specific first, so that the metadata address and
// the broadcast address get their own names before their enclosing blocks.
var v4Ranges = mustRanges(
	"169.254.169.254/32", "link-local 169.254.0.0/16 (cloud metadata)",
	"255.255.255.255/32", "broadcast",
	"0.0.0.0/32", "unspecified",
	"0.0.0.0/8", "this-network 0.0.0.0/8",
	"10.0.0.0/8", "private 10.0.0.0/8",
	"100.64.0.0/10", "shared CGNAT 100.64.0.0/10",
	"127.0.0.0/8", "loopback 127.0.0.0/8",
	"169.254.0.0/16", "link-local 169.254.0.0/16",
	"172.16.0.0/12", "private 172.16.0.0/12",
	"192.0.0.0/24", "IETF protocol assignments 192.0.0.0/24",
	"192.0.2.0/24", "documentation 192.0.2.0/24",
	"192.88.99.0/24", "6to4 relay anycast 192.88.99.0/24",
	"192.168.0.0/16", "private 192.168.0.0/16",
	"198.18.0.0/15", "benchmarking 198.18.0.0/15",
	"198.51.100.0/24", "documentation 198.51.100.0/24",
	"203.0.113.0/24", "documentation 203.0.113.0/24",
	"224.0.0.0/4", "multicast 224.0.0.0/4",
	"240.0.0.0/4", "reserved 240.0.0.0/4",
)

// v6Ranges are refused outright. Ranges that embed an IPv4 address (mapped,
// compatible, NAT64, 6to4, Teredo) are handled in Classify before these.
var v6Ranges = mustRanges(
	"::/128", "unspecified",
	"::1/128", "loopback ::1",
	"64:ff9b:1::/48", "local-use NAT64 64:ff9b:1::/48",
	"100::/64", "discard-only 100::/64",
	"2001:2::/48", "benchmarking 2001:2::/48",
	"2001:10::/28", "ORCHID 2001:10::/28",
	"2001:20::/28", "ORCHIDv2 2001:20::/28",
	"2001:db8::/32", "documentation 2001:db8::/32",
	"3fff::/20", "documentation 3fff::/20",
	"fc00::/7", "unique-local fc00::/7",
	"fe80::/10", "link-local fe80::/10",
	"fec0::/10", "site-local fec0::/10",
	"ff00::/8", "multicast ff00::/8",
)

var (
	mappedPrefix  = netip.MustParsePrefix("::ffff:0:0/96")
	compatPrefix  = netip.MustParsePrefix("::/96")
	nat64Prefix   = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour     = netip.MustParsePrefix("2002::/16")
	teredoPrefix  = netip.MustParsePrefix("2001::/32")
	globalUnicast = netip.MustParsePrefix("2000::/3")
)

// Classify reports whether an address is publicly routable, and if not, which
// range it is in. IPv6 forms that carry an IPv4 address (mapped, compatible,
// NAT64, 6to4, Teredo) are judged by the IPv4 address they would reach.
func Classify(a netip.Addr) (public bool, reason string) {
	if !a.IsValid() {
		return false, "invalid address"
	}
	a = a.WithZone("")
	if a.Is4() {
		for _, r := range v4Ranges {
			if r.prefix.Contains(a) {
				return false, r.reason
			}
		}
		return true, ""
	}
	b := a.As16()
	switch {
	case mappedPrefix.Contains(a):
		return embedded(a.Unmap(), "IPv4-mapped")
	case a == netip.IPv6Unspecified(), a == netip.IPv6Loopback():
		// Inside ::/96 but not IPv4-compatible addresses: fall through to the table.
	case compatPrefix.Contains(a):
		v4 := netip.AddrFrom4([4]byte(b[12:16]))
		if ok, why := embedded(v4, "IPv4-compatible"); !ok {
			return ok, why
		}
		// Deprecated (RFC 4291) and routed nowhere: never a legitimate image host.
		return false, "IPv4-compatible ::/96 (deprecated)"
	case nat64Prefix.Contains(a):
		return embedded(netip.AddrFrom4([4]byte(b[12:16])), "NAT64")
	case sixToFour.Contains(a):
		return embedded(netip.AddrFrom4([4]byte(b[2:6])), "6to4")
	case teredoPrefix.Contains(a):
		server := netip.AddrFrom4([4]byte(b[4:8]))
		client := netip.AddrFrom4([4]byte{^b[12], ^b[13], ^b[14], ^b[15]})
		if ok, why := embedded(server, "Teredo server"); !ok {
			return ok, why
		}
		return embedded(client, "Teredo client")
	}
	for _, r := range v6Ranges {
		if r.prefix.Contains(a) {
			return false, r.reason
		}
	}
	if !globalUnicast.Contains(a) {
		return false, "reserved IPv6 (outside 2000::/3)"
	}
	return true, ""
}

func embedded(v4 netip.Addr, form string) (bool, string) {
	if ok, why := Classify(v4); !ok {
		return false, why + " (" + form + ")"
	}
	return true, ""
}

// ParseHost turns a URL host that is an IP literal, in any form the C
// library's inet_aton accepts ("2130706433", "0x7f.1", "127.1",
// "0177.0.0.1") or bracketed/plain IPv6, into the address it means;
// ok=false for a hostname. Treating these forms as addresses means they are
// checked literally and never handed to a resolver that might read them
// differently.
func ParseHost(host string) (netip.Addr, bool) {
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
	}
	if strings.Contains(host, ":") {
		a, err := netip.ParseAddr(host)
		return a, err == nil
	}
	host = strings.TrimSuffix(host, ".")
	if host == "" {
		return netip.Addr{}, false
	}
	parts := strings.Split(host, ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	vals := make([]uint64, len(parts))
	for i, p := range parts {
		v, ok := atonPart(p)
		if !ok {
			return netip.Addr{}, false
		}
		vals[i] = v
	}
	// The last part fills all the bytes the earlier parts did not.
	last := len(vals) - 1
	for i := 0; i < last; i++ {
		if vals[i] > 0xff {
			return netip.Addr{}, false
		}
	}
	if vals[last] >= 1<<(8*(4-last)) {
		return netip.Addr{}, false
	}
	var n uint64
	for i := 0; i < last; i++ {
		n |= vals[i] << (8 * (3 - i))
	}
	n |= vals[last]
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}), true
}

// atonPart parses one dotted part: 0x-prefixed hex, 0-prefixed octal or decimal.
func atonPart(p string) (uint64, bool) {
	if p == "" {
		return 0, false
	}
	base := 10
	switch {
	case len(p) >= 2 && (p[:2] == "0x" || p[:2] == "0X"):
		base, p = 16, p[2:]
		if p == "" {
			// inet_aton reads a bare "0x" as zero.
			return 0, true
		}
	case len(p) > 1 && p[0] == '0':
		base, p = 8, p[1:]
	}
	for _, c := range p {
		// ParseUint would accept a sign or underscores; inet_aton does not.
		if d := digitValue(c); d < 0 || d >= base {
			return 0, false
		}
	}
	v, err := strconv.ParseUint(p, base, 32)
	if err != nil {
		return 0, false
	}
	return v, true
}

func digitValue(c rune) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
