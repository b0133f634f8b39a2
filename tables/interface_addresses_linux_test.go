package tables

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func testIfAddrMsg(family, plen byte, index uint32, attrs ...[]byte) []byte {
	hdr := append([]byte{family, plen, 0, 0}, testU32(index)...)
	return testNlmsg(rtmNewAddr, append([][]byte{hdr}, attrs...)...)
}

func TestParseIfAddrDump(t *testing.T) {
	ip := func(s string) []byte { return netip.MustParseAddr(s).AsSlice() }
	var dump []byte
	for _, m := range [][]byte{
		// lo: IFA_ADDRESS then IFA_LOCAL, the address is its own peer.
		testIfAddrMsg(2, 8, 1, testNlattr(ifaAddress, ip("127.0.0.1")), testNlattr(ifaLocal, ip("127.0.0.1")), testNlattr(ifaLabel, []byte("lo\x00"))),
		// broadcast replaces the peer; the label names an alias.
		testIfAddrMsg(2, 24, 2, testNlattr(ifaAddress, ip("10.0.2.100")), testNlattr(ifaLocal, ip("10.0.2.100")),
			testNlattr(ifaBroadcast, ip("10.0.2.255")), testNlattr(ifaLabel, []byte("eth0:1\x00"))),
		// point-to-point: IFA_LOCAL is the address, IFA_ADDRESS the peer.
		testIfAddrMsg(2, 32, 4, testNlattr(ifaAddress, ip("10.8.0.1")), testNlattr(ifaLocal, ip("10.8.0.2"))),
		// IPv6 with a peer: IFA_LOCAL first, then IFA_ADDRESS.
		testIfAddrMsg(10, 128, 4, testNlattr(ifaLocal, ip("fd00::2")), testNlattr(ifaAddress, ip("fd00::1"))),
		testIfAddrMsg(10, 64, 2, testNlattr(ifaAddress, ip("fe80::a00:27ff:fe4e:66a1")), testNlattr(6, make([]byte, 16))),
		// skipped: wrong address size, no address, other family; prefix clamped.
		testIfAddrMsg(2, 24, 2, testNlattr(ifaAddress, ip("fe80::1"))),
		testIfAddrMsg(2, 24, 2, testNlattr(ifaLabel, []byte("eth0"))),
		testIfAddrMsg(17, 24, 2, testNlattr(ifaAddress, []byte{1, 2, 3, 4, 5, 6})),
		testIfAddrMsg(2, 99, 2, testNlattr(ifaAddress, ip("192.0.2.1"))),
		testNlDone(),
	} {
		dump = append(dump, m...)
	}
	got, err := parseIfAddrDump(dump)
	if err != nil {
		t.Fatal(err)
	}
	a := netip.MustParseAddr
	want := []ifAddr{
		{index: 1, prefixLen: 8, label: "lo", addr: a("127.0.0.1"), dst: a("127.0.0.1")},
		{index: 2, prefixLen: 24, label: "eth0:1", addr: a("10.0.2.100"), dst: a("10.0.2.255")},
		{index: 4, prefixLen: 32, addr: a("10.8.0.2"), dst: a("10.8.0.1")},
		{index: 4, prefixLen: 128, addr: a("fd00::2"), dst: a("fd00::1")},
		{index: 2, prefixLen: 64, addr: a("fe80::a00:27ff:fe4e:66a1")},
		{index: 2, prefixLen: 32, addr: a("192.0.2.1")},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(ifAddr{}), cmp.Comparer(func(x, y netip.Addr) bool { return x == y })); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := parseIfAddrDump(dump[:len(dump)-30]); err == nil {
		t.Error("truncated dump: no error")
	}
}

func TestNetPrefixMask(t *testing.T) {
	tests := []struct {
		v4   bool
		bits int
		want string
	}{
		{true, 0, "0.0.0.0"}, {true, 8, "255.0.0.0"}, {true, 20, "255.255.240.0"}, {true, 32, "255.255.255.255"},
		{false, 64, "ffff:ffff:ffff:ffff::"}, {false, 128, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"}, {false, 10, "ffc0::"},
	}
	for _, tt := range tests {
		if got := netPrefixMask(tt.v4, tt.bits); got.String() != tt.want {
			t.Errorf("netPrefixMask(%v, %d) = %s, want %s", tt.v4, tt.bits, got, tt.want)
		}
	}
}

func TestNetAddrText(t *testing.T) {
	names := map[uint32]string{2: "eth0"}
	tests := []struct {
		addr  string
		index uint32
		want  string
	}{
		{"10.0.2.15", 2, "10.0.2.15"},
		{"fe80::1", 2, "fe80::1%eth0"},
		{"fe80::1", 7, "fe80::1%7"},
		{"ff02::1", 2, "ff02::1%eth0"},
		{"ff05::1", 2, "ff05::1"},
		{"2001:db8::1", 2, "2001:db8::1"},
		{"::ffff:10.0.0.1", 2, "::ffff:10.0.0.1"},
		{"::10.0.0.1", 2, "::10.0.0.1"},
	}
	for _, tt := range tests {
		if got := netAddrText(netip.MustParseAddr(tt.addr), tt.index, names); got != tt.want {
			t.Errorf("netAddrText(%s, %d) = %q, want %q", tt.addr, tt.index, got, tt.want)
		}
	}
}

func FuzzParseIfAddrDump(f *testing.F) {
	f.Add(testIfAddrMsg(2, 8, 1, testNlattr(ifaAddress, []byte{127, 0, 0, 1}), testNlattr(ifaLocal, []byte{127, 0, 0, 1})))
	f.Fuzz(func(t *testing.T, b []byte) {
		addrs, _ := parseIfAddrDump(b)
		for _, a := range addrs {
			if a.prefixLen > a.addr.BitLen() {
				t.Errorf("prefix %d for %s", a.prefixLen, a.addr)
			}
		}
	})
}
