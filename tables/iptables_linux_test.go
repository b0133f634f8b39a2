package tables

import (
	"encoding/binary"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// testIptEntry is one rule of a test blob: a standard verdict, a jump to a
// chain, a fall-through ("next") or a target extension.
type testIptEntry struct {
	verdict     int32
	jump        string
	fallThrough bool
	module      string
	proto       uint16
	match       []byte // one xt_entry_match, complete
	packets     uint64
}

type testIptChain struct {
	name   string
	hook   int // -1: user chain
	rules  []testIptEntry
	policy int32
	pcnt   uint64
}

func testIptXt(size int, name string, data []byte) []byte {
	b := binary.NativeEndian.AppendUint16(nil, uint16(size))
	n := make([]byte, 30)
	copy(n, name)
	b = append(b, n...)
	b = append(b, data...)
	for len(b) < size {
		b = append(b, 0)
	}
	return b
}

func (e testIptEntry) size() int {
	if e.module != "" {
		return iptEntryLen + len(e.match) + 32
	}
	return iptEntryLen + len(e.match) + iptStandardTarget
}

// buildTestIptBlob lays out chains as the kernel returns them.
func buildTestIptBlob(chains []testIptChain) []byte {
	const errSize = iptEntryLen + 64
	heads := map[string]int{}
	hookEntry, underflow := [5]uint32{}, [5]uint32{}
	var valid uint32
	off := 0
	for _, c := range chains {
		if c.hook < 0 {
			heads[c.name] = off
			off += errSize
		} else {
			valid |= 1 << c.hook
			hookEntry[c.hook] = uint32(off)
		}
		for _, r := range c.rules {
			off += r.size()
		}
		if c.hook >= 0 {
			underflow[c.hook] = uint32(off)
		}
		off += iptEntryLen + iptStandardTarget
	}
	size := off + errSize
	entry := func(e testIptEntry, at int, errName string) []byte {
		b := make([]byte, iptEntryLen)
		binary.NativeEndian.PutUint16(b[80:], e.proto)
		next := e.size()
		if errName != "" {
			next = errSize
		}
		binary.NativeEndian.PutUint16(b[88:], uint16(iptEntryLen+len(e.match)))
		binary.NativeEndian.PutUint16(b[90:], uint16(next))
		binary.NativeEndian.PutUint64(b[96:], e.packets)
		b = append(b, e.match...)
		switch {
		case errName != "":
			b = append(b, testIptXt(64, "ERROR", []byte(errName))...)
		case e.module != "":
			b = append(b, testIptXt(32, e.module, nil)...)
		default:
			v := e.verdict
			if e.jump != "" {
				v = int32(heads[e.jump] + errSize)
			}
			if e.fallThrough {
				v = int32(at + next)
			}
			b = append(b, testIptXt(iptStandardTarget, "", binary.NativeEndian.AppendUint32(nil, uint32(v)))...)
		}
		return b
	}
	var data []byte
	for _, c := range chains {
		if c.hook < 0 {
			data = append(data, entry(testIptEntry{}, len(data), c.name)...)
		}
		for _, r := range c.rules {
			data = append(data, entry(r, len(data), "")...)
		}
		data = append(data, entry(testIptEntry{verdict: c.policy, packets: c.pcnt}, len(data), "")...)
	}
	data = append(data, entry(testIptEntry{}, len(data), "ERROR")...)
	if len(data) != size {
		panic("layout")
	}
	info := make([]byte, iptInfoLen+iptEntriesHdrLen)
	copy(info, "filter")
	binary.NativeEndian.PutUint32(info[32:], valid)
	for h := range 5 {
		binary.NativeEndian.PutUint32(info[36+4*h:], hookEntry[h])
		binary.NativeEndian.PutUint32(info[56+4*h:], underflow[h])
	}
	binary.NativeEndian.PutUint32(info[80:], uint32(size))
	copy(info[iptInfoLen:], "filter")
	binary.NativeEndian.PutUint32(info[iptInfoLen+32:], uint32(size))
	return append(info, data...)
}

func testTCPMatch(sp0, sp1, dp0, dp1 uint16) []byte {
	d := binary.NativeEndian.AppendUint16(nil, sp0)
	d = binary.NativeEndian.AppendUint16(d, sp1)
	d = binary.NativeEndian.AppendUint16(d, dp0)
	d = binary.NativeEndian.AppendUint16(d, dp1)
	return testIptXt(48, "tcp", d)
}

// iptSummary renders chains as "chain policy/packets: target,target".
func iptSummary(chains []*iptChain) []string {
	var out []string
	for _, c := range chains {
		var targets []string
		for _, r := range c.rules {
			t := r.target
			if r.ports {
				t += "(" + string(rune('0'+r.dstPorts[0]%10)) + ")"
			}
			targets = append(targets, t)
		}
		out = append(out, c.name+" "+c.policy+"/"+string(rune('0'+c.packets))+": "+strings.Join(targets, ","))
	}
	return out
}

func TestParseIptBlob(t *testing.T) {
	blob := buildTestIptBlob([]testIptChain{
		{name: "INPUT", hook: 1, policy: -1, pcnt: 7, rules: []testIptEntry{
			{verdict: -2, proto: 6, match: testTCPMatch(0, 65535, 22, 22)},
			{jump: "zeta"},
			{jump: "alpha"},
			{fallThrough: true},
			{module: "LOG"},
			{verdict: -4},
			{verdict: -5},
			{verdict: -2, proto: 6, match: testIptXt(40, "multiport", make([]byte, 8))},
		}},
		{name: "OUTPUT", hook: 3, policy: -2, pcnt: 3},
		{name: "zeta", hook: -1, policy: -5, rules: []testIptEntry{{verdict: -1}}},
		{name: "alpha", hook: -1, policy: -5},
		{name: "FORWARD", hook: 2, policy: -1},
	})
	chains, err := parseIptBlob(blob)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"INPUT DROP/7: ACCEPT(2),zeta,alpha,,LOG,QUEUE,RETURN,ACCEPT",
		"OUTPUT ACCEPT/3: ",
		"alpha /0: ", // libiptc keeps user chains sorted
		"zeta /0: DROP",
		"FORWARD DROP/0: ",
	}
	if diff := cmp.Diff(want, iptSummary(chains)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestParseIptBlobFixture(t *testing.T) {
	b, err := os.ReadFile("testdata/hosts/debian12/.kernel/ip_tables/filter")
	if err != nil {
		t.Fatal(err)
	}
	chains, err := parseIptBlob(b)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range chains {
		names = append(names, c.name)
	}
	if diff := cmp.Diff([]string{"INPUT", "FORWARD", "OUTPUT", "DOCKER", "DOCKER-USER"}, names); diff != "" {
		t.Errorf("chains (-want +got):\n%s", diff)
	}
}

func TestParseIptBlobMalformed(t *testing.T) {
	good := buildTestIptBlob([]testIptChain{
		{name: "INPUT", hook: 1, policy: -1, rules: []testIptEntry{{jump: "user"}, {verdict: -2}}},
		{name: "user", hook: -1, policy: -5},
	})
	const first = iptInfoLen + iptEntriesHdrLen // the first entry
	mutate := func(f func(b []byte) []byte) []byte {
		return f(append([]byte(nil), good...))
	}
	ne := binary.NativeEndian
	tests := map[string][]byte{
		"short":         good[:100],
		"size too big":  mutate(func(b []byte) []byte { ne.PutUint32(b[iptInfoLen+32:], 1<<20); return b }),
		"entry cut":     mutate(func(b []byte) []byte { ne.PutUint32(b[iptInfoLen+32:], 50); return b }),
		"next 2":        mutate(func(b []byte) []byte { ne.PutUint16(b[first+90:], 2); return b }),
		"next too far":  mutate(func(b []byte) []byte { ne.PutUint16(b[first+90:], 60000); return b }),
		"target inside": mutate(func(b []byte) []byte { ne.PutUint16(b[first+88:], 20); return b }),
		"target size":   mutate(func(b []byte) []byte { ne.PutUint16(b[first+iptEntryLen:], 4); return b }),
		"standard size": mutate(func(b []byte) []byte { ne.PutUint16(b[first+iptEntryLen:], 36); return b }),
		"bad jump":      mutate(func(b []byte) []byte { ne.PutUint32(b[first+iptEntryLen+32:], 100000); return b }),
		"no hooks":      mutate(func(b []byte) []byte { ne.PutUint32(b[32:], 0); return b }),
	}
	for name, b := range tests {
		if _, err := parseIptBlob(b); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := parseIptBlob(good); err != nil {
		t.Errorf("good blob: %v", err)
	}
}

func TestParseIptTableNames(t *testing.T) {
	got, bad, err := parseIptTableNames(strings.NewReader("nat\nfilter\n\n  mangle \n../x\n" + strings.Repeat("a", 40) + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"nat", "filter", "mangle"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if bad != 2 {
		t.Errorf("bad = %d, want 2", bad)
	}
}

func FuzzParseIptBlob(f *testing.F) {
	for _, name := range []string{"filter", "nat"} {
		if b, err := os.ReadFile("testdata/hosts/debian12/.kernel/ip_tables/" + name); err == nil {
			f.Add(b)
		}
	}
	f.Add(buildTestIptBlob([]testIptChain{{name: "INPUT", hook: 1, policy: -1, rules: []testIptEntry{{jump: "u"}}}, {name: "u", hook: -1, policy: -5}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		chains, err := parseIptBlob(b)
		if err != nil {
			return
		}
		for _, c := range chains {
			if len(c.rules) != len(c.entries) {
				t.Fatalf("chain %s: %d rules, %d entries", c.name, len(c.rules), len(c.entries))
			}
		}
	})
}
