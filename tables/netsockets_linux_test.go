package tables

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const testTCPHeader = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"

func TestParseProcNetInet(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		family   int64
		protocol int64
		want     []procSocket
		bad      int
		wantErr  bool
	}{
		{
			name: "tcp listen and established", family: sockFamilyInet, protocol: 6,
			in: testTCPHeader +
				"   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 17230 1 0000000000000000 100 0 0 10 0\n" +
				"   1: 0F02000A:BEAC 077100CB:01BB 01 00000000:00000000 02:000A7D2B 00000000  1000        0 21877 2 0000000000000000 20 4 30 10 -1\n",
			want: []procSocket{
				{inode: 17230, family: 2, protocol: 6, localAddr: "0.0.0.0", localPort: 22, remoteAddr: "0.0.0.0", state: "LISTEN"},
				{inode: 21877, family: 2, protocol: 6, localAddr: "10.0.2.15", localPort: 48812, remoteAddr: "203.0.113.7", remotePort: 443, state: "ESTABLISHED"},
			},
		},
		{
			name: "tcp states out of range are UNKNOWN", family: sockFamilyInet, protocol: 6,
			in: testTCPHeader +
				"   0: 0100007F:0016 00000000:0000 00 00000000:00000000 00:00000000 00000000     0        0 1 1\n" +
				"   1: 0100007F:0016 00000000:0000 0C 00000000:00000000 00:00000000 00000000     0        0 2 1\n" +
				"   2: 0100007F:0016 00000000:0000 zz 00000000:00000000 00:00000000 00000000     0        0 3 1\n",
			want: []procSocket{
				{inode: 1, family: 2, protocol: 6, localAddr: "127.0.0.1", localPort: 22, remoteAddr: "0.0.0.0", state: "UNKNOWN"},
				{inode: 2, family: 2, protocol: 6, localAddr: "127.0.0.1", localPort: 22, remoteAddr: "0.0.0.0", state: "UNKNOWN"},
				{inode: 3, family: 2, protocol: 6, localAddr: "127.0.0.1", localPort: 22, remoteAddr: "0.0.0.0", state: "UNKNOWN"},
			},
		},
		{
			name: "udp has no state", family: sockFamilyInet, protocol: 17,
			in: "   sl  local_address rem_address   st\n" +
				"    0: 0100007F:0143 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 16800 2 0000000000000000 0\n",
			want: []procSocket{{inode: 16800, family: 2, protocol: 17, localAddr: "127.0.0.1", localPort: 323, remoteAddr: "0.0.0.0"}},
		},
		{
			name: "ipv6", family: sockFamilyInet6, protocol: 6,
			in: testTCPHeader +
				"   0: 00000000000000000000000001000000:0016 0000000000000000FFFF00000100007F:C74E 01 00000000:00000000 00:00000000 00000000     0        0 9 1\n",
			want: []procSocket{{inode: 9, family: 10, protocol: 6, localAddr: "::1", localPort: 22, remoteAddr: "::ffff:127.0.0.1", remotePort: 51022, state: "ESTABLISHED"}},
		},
		{
			name: "malformed lines are skipped", family: sockFamilyInet, protocol: 6,
			in: testTCPHeader +
				"   0: 0F02000A:0016 garbage\n" +
				"   1: 0F02000A 00000000:0000 0A 0 0 0 0 0 5\n" +
				"   2: 0F02000A:0016:1 00000000:0000 0A 0 0 0 0 0 5\n" +
				"   3: 0F02000A:0016 00000000:0000 0A 0 0 0 0 0 notanumber\n" +
				"\n" +
				"   4: 0F0200:0016 00000000:00000 0A 0 0 0 0 0 6\n",
			want: []procSocket{{inode: 6, family: 2, protocol: 6, localAddr: "", localPort: 22, remoteAddr: "0.0.0.0", remotePort: 0, state: "LISTEN"}},
			bad:  4,
		},
		{name: "bad header", family: sockFamilyInet, protocol: 6, in: "Num RefCount\n", wantErr: true},
		{name: "empty", family: sockFamilyInet, protocol: 6, in: "", wantErr: true},
		{name: "header only", family: sockFamilyInet, protocol: 6, in: testTCPHeader},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, bad, err := parseProcNetInet(strings.NewReader(tt.in), tt.family, tt.protocol)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(procSocket{})); diff != "" {
				t.Errorf("sockets (-want +got):\n%s", diff)
			}
			if bad != tt.bad {
				t.Errorf("bad = %d, want %d", bad, tt.bad)
			}
		})
	}
}

func TestParseProcNetUnix(t *testing.T) {
	in := "Num       RefCount Protocol Flags    Type St Inode Path\n" +
		"0000000000000000: 00000002 00000000 00010000 0001 01 15011 /run/systemd/private\n" +
		"0000000000000000: 00000003 00000000 00000000 0001 03 17101\n" +
		"0000000000000000: 00000002 00000000 00010000 0001 01 16900 @/org/kernel/linux/storage/multipathd\n" +
		"0000000000000000: 00000002 00000000 00010000 0001 01 16960 /run/user/1000/my  socket \n" +
		"0000000000000000: 00000002 bad\n" +
		"0000000000000000: 00000002 00000000 00010000 0001 01 x /tmp/s\n"
	got, bad, err := parseProcNetUnix(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []procSocket{
		{inode: 15011, family: 1, path: "/run/systemd/private"},
		{inode: 17101, family: 1},
		{inode: 16900, family: 1, path: "@/org/kernel/linux/storage/multipathd"},
		{inode: 16960, family: 1, path: "/run/user/1000/my  socket"},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(procSocket{})); diff != "" {
		t.Errorf("sockets (-want +got):\n%s", diff)
	}
	if bad != 2 {
		t.Errorf("bad = %d, want 2", bad)
	}
	if _, _, err := parseProcNetUnix(strings.NewReader("  sl local\n")); err == nil {
		t.Error("wrong header: no error")
	}
}

func TestParseProcNetPacket(t *testing.T) {
	in := "sk       RefCnt Type Proto  Iface R Rmem   User   Inode\n" +
		"0000000000000000 3      3    0003   2     1 0      0      16205 \n" +
		"0000000000000000 3      3    88cc   2     1 0      0      16206\n" +
		"0000000000000000 3      3    zz     2     1 0      0      16207\n" +
		"0000000000000000 3      3    0800\n"
	got, bad, err := parseProcNetPacket(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []procSocket{
		{inode: 16205, family: 17, protocol: 3, state: "NONE"},
		{inode: 16206, family: 17, protocol: 0x88cc, state: "NONE"},
		{inode: 16207, family: 17, protocol: 0, state: "NONE"},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(procSocket{})); diff != "" {
		t.Errorf("sockets (-want +got):\n%s", diff)
	}
	if bad != 1 {
		t.Errorf("bad = %d, want 1", bad)
	}
}

func TestDecodeProcNetAddr(t *testing.T) {
	tests := []struct {
		hex    string
		family int64
		want   string
	}{
		{"0100007F", sockFamilyInet, "127.0.0.1"},
		{"00000000", sockFamilyInet, "0.0.0.0"},
		{"0100007", sockFamilyInet, ""},
		{"0100007G", sockFamilyInet, ""},
		{"0100007F", sockFamilyInet6, ""},
		{"00000000000000000000000000000000", sockFamilyInet6, "::"},
		{"B80D0120000010000000000015000000", sockFamilyInet6, "2001:db8:10::15"},
		{"000080FE00000000FF27000AA1664EFE", sockFamilyInet6, "fe80::a00:27ff:fe4e:66a1"},
		{"0000000000000000000000000403020A", sockFamilyInet6, "::10.2.3.4"},
		{"00000000000000000000000002000000", sockFamilyInet6, "::2"},
		{"0000000000000000FFFF0000", sockFamilyInet6, ""},
		{"0100007F", sockFamilyUnix, ""},
	}
	for _, tt := range tests {
		if got := decodeProcNetAddr([]byte(tt.hex), tt.family); got != tt.want {
			t.Errorf("decodeProcNetAddr(%q, %d) = %q, want %q", tt.hex, tt.family, got, tt.want)
		}
	}
}

func TestDecodeProcNetPort(t *testing.T) {
	for in, want := range map[string]int64{"0016": 22, "FFFF": 65535, "016": 0, "00016": 0, "zzzz": 0, "": 0} {
		if got := decodeProcNetPort([]byte(in)); got != want {
			t.Errorf("decodeProcNetPort(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestParseSocketLink(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"socket:[17230]", 17230, true},
		{"socket:[]", 0, false},
		{"socket:[12", 0, false},
		{"pipe:[12]", 0, false},
		{"/tmp/socket:[12]", 0, false},
		{"socket:[-1]", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseSocketLink(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseSocketLink(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseNamespaceLink(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
	}{
		{"net:[4026531840]", 4026531840},
		{"mnt:[4026531840]", 0},
		{"net:[0x1]", 0},
		{"net:[4026531840", 0},
		{"net:4026531840]", 0},
		{"", 0},
	}
	for _, tt := range tests {
		if got := parseNamespaceLink(tt.in, "net"); got != tt.want {
			t.Errorf("parseNamespaceLink(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestProcNetFields(t *testing.T) {
	line := []byte(" a\tb  c \xc2\xa0d  e f ")
	got := procNetFields(line)
	var s []string
	for _, f := range got {
		s = append(s, string(f))
	}
	if diff := cmp.Diff([]string{"a", "b", "c", "\xc2\xa0d", "e", "f"}, s); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	if got := string(procNetFieldRest(line, 3)); got != "\xc2\xa0d  e f" {
		t.Errorf("procNetFieldRest = %q", got)
	}
	if got := procNetFieldRest(line, 6); got != nil && len(got) != 0 {
		t.Errorf("procNetFieldRest past the end = %q", got)
	}
	if got := procNetFieldRest([]byte("a b"), 5); got != nil {
		t.Errorf("procNetFieldRest of a short line = %q", got)
	}
}

func TestIsListeningSocket(t *testing.T) {
	tests := []struct {
		s    procSocket
		want bool
	}{
		{procSocket{family: sockFamilyInet, remotePort: 0}, true},
		{procSocket{family: sockFamilyInet, remotePort: 443}, false},
		{procSocket{family: sockFamilyUnix, path: "/run/x"}, true},
		{procSocket{family: sockFamilyUnix}, false},
		{procSocket{family: sockFamilyPacket}, true},
	}
	for _, tt := range tests {
		if got := isListeningSocket(tt.s); got != tt.want {
			t.Errorf("isListeningSocket(%+v) = %v, want %v", tt.s, got, tt.want)
		}
	}
}

func FuzzParseProcNetInet(f *testing.F) {
	f.Add(testTCPHeader+"   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 17230 1\n", true)
	f.Add(testTCPHeader+"   0: 00000000000000000000000001000000:0016 00000000000000000000000000000000:0000 0A 0 0 0 0 0 0 1\n", false)
	f.Add("sl\n: : : : : : : : : :\n", true)
	f.Fuzz(func(t *testing.T, in string, v4 bool) {
		family := int64(sockFamilyInet6)
		if v4 {
			family = sockFamilyInet
		}
		socks, _, _ := parseProcNetInet(strings.NewReader(in), family, 6)
		for _, s := range socks {
			if s.localPort < 0 || s.localPort > 65535 || s.remotePort < 0 || s.remotePort > 65535 {
				t.Errorf("port out of range: %+v", s)
			}
		}
	})
}

func FuzzParseProcNetUnix(f *testing.F) {
	f.Add("Num       RefCount Protocol Flags    Type St Inode Path\n0000000000000000: 00000002 00000000 00010000 0001 01 15011 /run/systemd/private\n")
	f.Add("Num\n1 2 3 4 5 6 7 8 9\n1 2 3 4 5 6 7 \t \n")
	f.Fuzz(func(t *testing.T, in string) {
		socks, _, _ := parseProcNetUnix(strings.NewReader(in))
		for _, s := range socks {
			if s.path != strings.Trim(s.path, " \t") {
				t.Errorf("untrimmed path %q", s.path)
			}
		}
	})
}

func FuzzParseProcNetPacket(f *testing.F) {
	f.Add("sk       RefCnt Type Proto  Iface R Rmem   User   Inode\n0000000000000000 3      3    0003   2     1 0      0      16205\n")
	f.Fuzz(func(t *testing.T, in string) {
		parseProcNetPacket(strings.NewReader(in))
	})
}
