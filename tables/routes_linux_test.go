package tables

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func testRouteMsg(family, dstLen, table, typ byte, flags uint32, attrs ...[]byte) []byte {
	hdr := append([]byte{family, dstLen, 0, 0, table, 2, 0, typ}, testU32(flags)...)
	return testNlmsg(rtmNewRoute, append([][]byte{hdr}, attrs...)...)
}

func TestParseRouteDump(t *testing.T) {
	ip := func(s string) []byte { return netip.MustParseAddr(s).AsSlice() }
	metrics := testNlattr(rtaMetrics|0x8000, append(testNlattr(rtaxMTU, testU32(1400)), testNlattr(rtaxHopLimit, testU32(64))...))
	var dump []byte
	for _, m := range [][]byte{
		testRouteMsg(2, 0, 254, 1, 0, testNlattr(15, testU32(254)), testNlattr(rtaPriority, testU32(100)),
			testNlattr(rtaPrefSrc, ip("10.0.2.15")), testNlattr(rtaGateway, ip("10.0.2.2")), testNlattr(rtaOIF, testU32(2))),
		testRouteMsg(2, 24, 254, 1, 0x10, testNlattr(rtaDst, ip("172.17.0.0")), testNlattr(rtaOIF, testU32(3))),
		testRouteMsg(2, 32, 255, 2, 0, testNlattr(rtaDst, ip("127.0.0.1")), testNlattr(rtaOIF, testU32(1))),
		testRouteMsg(2, 24, 254, 6, 0, testNlattr(rtaDst, ip("203.0.113.0"))),
		testRouteMsg(10, 0, 254, 1, 0, testNlattr(rtaGateway, ip("fe80::2")), metrics, testNlattr(rtaOIF, testU32(2))),
		testRouteMsg(10, 32, 254, 1, 0, testNlattr(rtaDst, ip("2001:db8::")), testNlattr(rtaOIF, testU32(9))),
		testRouteMsg(10, 8, 255, 5, 0, testNlattr(rtaDst, ip("ff00::"))),
		testRouteMsg(10, 64, 254, 4, 0, testNlattr(rtaDst, ip("10.0.0.1")), testNlattr(rtaPriority, []byte{1})),
		testRouteMsg(128, 0, 254, 1, 0),
		testNlDone(),
	} {
		dump = append(dump, m...)
	}
	got, err := parseRouteDump(dump)
	if err != nil {
		t.Fatal(err)
	}
	want := []netRoute{
		{destination: "0.0.0.0", gateway: "10.0.2.2", source: "10.0.2.15", typ: "gateway", oif: 2, hasOIF: true, metric: 100},
		{destination: "172.17.0.0", netmask: 24, typ: "gateway", flags: 16, oif: 3, hasOIF: true},
		{destination: "127.0.0.1", typ: "local", oif: 1, hasOIF: true},
		{destination: "203.0.113.0", netmask: 24, typ: "other"},
		{destination: "::", gateway: "fe80::2", typ: "gateway", oif: 2, hasOIF: true, mtu: 1400, hopcount: 64},
		{destination: "2001:db8::", typ: "gateway", oif: 9, hasOIF: true}, // osquery zeroes /32 whatever the family
		{destination: "::", netmask: 8, typ: "other"},
		{destination: "::", netmask: 64, typ: "anycast"}, // RTA_DST of the wrong size and a short RTA_PRIORITY are ignored
	}
	want[6].destination = "ff00::"
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(netRoute{})); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func FuzzParseRouteDump(f *testing.F) {
	f.Add(testRouteMsg(2, 24, 254, 1, 0, testNlattr(rtaDst, []byte{10, 0, 0, 0}), testNlattr(rtaMetrics, testNlattr(rtaxMTU, testU32(1)))))
	f.Fuzz(func(t *testing.T, b []byte) {
		routes, _ := parseRouteDump(b)
		for _, r := range routes {
			if r.destination == "" {
				t.Errorf("empty destination: %+v", r)
			}
		}
	})
}
