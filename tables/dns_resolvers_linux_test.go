package tables

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestInetAton(t *testing.T) {
	tests := []struct {
		in   string
		want [4]byte
		ok   bool
	}{
		{"192.0.2.53", [4]byte{192, 0, 2, 53}, true},
		{"10.1", [4]byte{10, 0, 0, 1}, true},
		{"10.1.258", [4]byte{10, 1, 1, 2}, true},
		{"0x7f.1", [4]byte{127, 0, 0, 1}, true},
		{"010.0.0.1", [4]byte{8, 0, 0, 1}, true},
		{"0x", [4]byte{}, false},
		{"0", [4]byte{}, true},
		{"4294967295", [4]byte{255, 255, 255, 255}, true},
		{"4294967296", [4]byte{}, false},
		{"1.2.3.256", [4]byte{}, false},
		{"256.1", [4]byte{}, false},
		{"1.2.3.4.", [4]byte{}, false},
		{"1.2.3.4.5", [4]byte{}, false},
		{"08", [4]byte{}, false},
		{"", [4]byte{}, false},
		{"a.b.c.d", [4]byte{}, false},
		{"+1", [4]byte{}, false},
		{"1 ", [4]byte{}, false},
	}
	for _, tt := range tests {
		got, ok := inetAton(tt.in)
		if ok != tt.ok || got != tt.want {
			t.Errorf("inetAton(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseResolvConf(t *testing.T) {
	v4 := func(a, b, c, d byte) resolvNameserver { return resolvNameserver{v4: [4]byte{a, b, c, d}} }
	tests := []struct {
		name     string
		in, host string
		want     resolvConf
	}{
		{
			name: "empty file: loopback server, domain from the host name",
			host: "web1.corp.example",
			want: resolvConf{nameservers: []resolvNameserver{v4(127, 0, 0, 1)}, search: []string{"corp.example"}, options: 705},
		},
		{
			name: "host name without a domain",
			in:   "nameserver 192.0.2.1\n", host: "web1",
			want: resolvConf{nameservers: []resolvNameserver{v4(192, 0, 2, 1)}, options: 705},
		},
		{
			name: "last of domain and search wins",
			in:   "search a.example b.example\ndomain c.example trailing\n",
			want: resolvConf{nameservers: []resolvNameserver{v4(127, 0, 0, 1)}, search: []string{"c.example"}, options: 705},
		},
		{
			name: "servers: IPv6, scope, junk, at most three",
			in: "nameserver 192.0.2.1 # trailing\n" +
				"nameserver fe80::1%eth0\n" +
				"nameserver bogus\n" +
				"nameserver\n" +
				"nameserver\t\n" +
				"nameservers 1.1.1.1\n" +
				" nameserver 1.1.1.1\n" +
				"nameserver 2001:db8::1\n" +
				"nameserver 198.51.100.1\n",
			want: resolvConf{nameservers: []resolvNameserver{v4(192, 0, 2, 1), {v6: true}, {v6: true}}, options: 705},
		},
		{
			name: "comments and options",
			in:   "# nameserver 1.1.1.1\n; nameserver 1.1.1.2\noptions rotate edns0 ndots:3 timeout:1\noptions\tsingle-request-reopen no-aaaa no-tld-query trust-ad use-vc no-reload bogus\n",
			want: resolvConf{
				nameservers: []resolvNameserver{v4(127, 0, 0, 1)},
				options:     705 | resRotate | resUseEDNS0 | resSnglKupReop | resNoAAAA | resNoTLDQuery | resTrustAD | resUseVC | resNoReload,
			},
		},
		{
			name: "search list is cut at six names",
			in:   "search a b c d e f g h\n",
			want: resolvConf{nameservers: []resolvNameserver{v4(127, 0, 0, 1)}, search: []string{"a", "b", "c", "d", "e", "f"}, options: 705},
		},
		{
			name: "search list is cut at 256 bytes",
			in:   "search " + strings.Repeat("x", 200) + " " + strings.Repeat("y", 60) + " z\n",
			want: resolvConf{nameservers: []resolvNameserver{v4(127, 0, 0, 1)}, search: []string{strings.Repeat("x", 200)}, options: 705},
		},
		{
			// glibc keeps a CR in the search names and rejects
			// "192.0.2.1\r" as an address, so the loopback default applies.
			name: "CRLF line ends",
			in:   "search corp.example\r\nnameserver 192.0.2.1\r\n",
			want: resolvConf{nameservers: []resolvNameserver{v4(127, 0, 0, 1)}, search: []string{"corp.example\r"}, options: 705},
		},
		{
			name: "sortlist",
			in:   "sortlist 130.155.160.0/255.255.240.0 130.155.0.0 10.0.0.0&255.0.0.0;192.168.0.0\nsortlist 192.0.2.0/bogus bad/1.2.3.4 9.9.9.9\n",
			want: resolvConf{
				nameservers: []resolvNameserver{v4(127, 0, 0, 1)},
				sortlist: []resolvSort{
					{[4]byte{130, 155, 160, 0}, [4]byte{255, 255, 240, 0}},
					{[4]byte{130, 155, 0, 0}, [4]byte{255, 255, 0, 0}},
					{[4]byte{10, 0, 0, 0}, [4]byte{255, 0, 0, 0}},
					{[4]byte{192, 0, 2, 0}, [4]byte{255, 255, 255, 0}},
				},
				options: 705,
			},
		},
		{
			name: "NUL ends a line",
			in:   "nameserver 192.0.2.9\x00junk\n",
			want: resolvConf{nameservers: []resolvNameserver{v4(192, 0, 2, 9)}, options: 705},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseResolvConf(tt.in, tt.host)
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(resolvConf{}, resolvNameserver{}, resolvSort{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestResolvRows(t *testing.T) {
	rc := parseResolvConf("nameserver 192.0.2.1\nnameserver ::1\nsearch a.example b.example\nsortlist 130.155.160.0/255.255.240.0 2.0.0.0 10.0.0.0\n", "")
	want := []resolvRow{
		{id: 0, typ: "nameserver", address: "192.0.2.1", netmask: "32", hasNetmask: true},
		{id: 1, typ: "nameserver", address: "", netmask: "32", hasNetmask: true},
		{id: 0, typ: "sortlist", address: "", netmask: "15794175", hasNetmask: true},
		{id: 1, typ: "sortlist", address: "255.0.0.0", netmask: "255", hasNetmask: true},
		{id: 2, typ: "sortlist", address: "::", netmask: "255", hasNetmask: true}, // 10.0.x.x reads as AF_INET6 over zeros
		{id: 0, typ: "search", address: "a.example"},
		{id: 1, typ: "search", address: "a.example"}, // osquery prints dnsrch[0] for each
	}
	if diff := cmp.Diff(want, resolvRows(rc), cmp.AllowUnexported(resolvRow{})); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func FuzzParseResolvConf(f *testing.F) {
	f.Add("nameserver 192.0.2.1\nsearch a b\nsortlist 1.2.3.4/255.0.0.0\noptions edns0\n", "h.example")
	f.Add("sortlist a/\xff& ; /\nnameserver ::1%1\ndomain\t\n", "")
	f.Fuzz(func(t *testing.T, s, host string) {
		done := make(chan resolvConf, 1)
		go func() { done <- parseResolvConf(s, host) }()
		select {
		case rc := <-done:
			if len(rc.nameservers) == 0 || len(rc.nameservers) > resMaxNS || len(rc.sortlist) > resMaxSort || len(rc.search) > resMaxSrch {
				t.Fatalf("limits not applied: %+v", rc)
			}
			resolvRows(rc)
		case <-time.After(5 * time.Second):
			t.Fatalf("parseResolvConf(%q) does not return", s)
		}
	})
}

// TestResolvSortAddress checks the sortlist addresses against what glibc
// 2.36's getnameinfo printed for the same _res state (osquery's call, run
// on Debian 12 with each line as /etc/resolv.conf).
func TestResolvSortAddress(t *testing.T) {
	tests := []struct {
		line string
		want []string
	}{
		{"sortlist 10.0.0.0/0.0.0.0 0.0.0.0/0.0.0.0 0.0.0.0/1.2.3.4", []string{"::1.2.3.4", "", ""}},
		{"sortlist 10.0.0.0/0.0.0.0 0.0.0.0/0.0.0.0 0.0.255.255/1.2.3.4 5.6.7.8", []string{"::ffff:1.2.3.4%134678021", "", "", ""}},
		{"sortlist 10.0.0.0/0.0.0.0 0.0.0.1/0.0.0.0 0.0.0.0/0.0.0.1", []string{"0:1::1", "", ""}},
		{"sortlist 10.0.1.1/255.255.0.0 0.1.0.0/0.0.0.0 0.0.0.0/0.0.0.0 1.0.0.0", []string{"1::%1", "", "", "localhost"}},
		{"sortlist 2.0.1.2/255.255.0.0 130.155.160.0/255.255.240.0", []string{"255.255.0.0", ""}},
		{
			"sortlist 1.1.1.1 1.1.1.2 1.1.1.3 1.1.1.4 1.1.1.5 1.1.1.6 1.1.1.7 10.0.0.8/1.2.3.4 10.0.0.9/5.6.7.8 10.0.0.10/9.10.11.12",
			[]string{"", "", "", "", "", "", "", "a00:9:506:708:a00:a:90a:b0c", "a00:a:90a:b0c::", "::"},
		},
	}
	for _, tt := range tests {
		rc := parseResolvConf(tt.line+"\n", "")
		var got []string
		for i := range rc.sortlist {
			got = append(got, resolvSortAddress(rc.sortlist, i))
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.line, diff)
		}
	}
}
