package tables

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseEtcProtocols(t *testing.T) {
	in := "# Internet (IP) protocols\n" +
		"ip\t0\tIP\t\t# internet protocol, pseudo protocol number\n" +
		"ipv6-icmp 58\tIPv6-ICMP IPV6ICMP\t# ICMP for IPv6\n" +
		"ethernet 143\t\t\t# Ethernet [RFC8986] # two\n" +
		"plain 5\n" +
		"bogus\n" +
		"notanumber x X\n" +
		"#\n" +
		"bad\xfe 9\n"
	want := []etcProtocol{
		{name: "ip", number: "0", alias: "IP", hasAlias: true, comment: "internet protocol, pseudo protocol number", hasComment: true},
		{name: "ipv6-icmp", number: "58", alias: "IPv6-ICMP", hasAlias: true, comment: "ICMP for IPv6", hasComment: true},
		{name: "ethernet", number: "143", comment: "Ethernet [RFC8986] # two", hasComment: true},
		{name: "plain", number: "5"},
		{name: "notanumber", number: "x", alias: "X", hasAlias: true},
	}
	got, skipped := parseEtcProtocols(in)
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(etcProtocol{})); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if skipped != 1 {
		t.Errorf("skipped = %d, want 1", skipped)
	}
}

func FuzzParseEtcProtocols(f *testing.F) {
	f.Add("tcp 6 TCP # c\n")
	f.Add("#\n#x\n a\tb c d#e#f\n\xff")
	f.Fuzz(func(t *testing.T, s string) {
		protocols, _ := parseEtcProtocols(s)
		for _, p := range protocols {
			etcInteger(p.number)
		}
	})
}
