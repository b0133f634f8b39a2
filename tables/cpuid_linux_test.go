package tables

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// sysFakeCPU answers CPUID like a small Intel CPU behind KVM.
func sysFakeCPU(eax, ecx uint32) (a, b, c, d uint32) {
	le := func(s string) uint32 { return binary.LittleEndian.Uint32([]byte(s)) }
	brand := "      Intel(R) Core(TM) i7 CPU @ 2.00GHz\x00\x00\x00\x00\x00\x00\x00\x00"
	switch {
	case eax == 0:
		return 0x16, le("Genu"), le("ntel"), le("ineI")
	case eax >= 0x80000002 && eax <= 0x80000004:
		o := int(eax-0x80000002) * 16
		return le(brand[o:]), le(brand[o+4:]), le(brand[o+8:]), le(brand[o+12:])
	case eax == 0x40000000:
		return 0x40000001, le("KVMK"), le("VMKV"), le("M\x00\x00\x00")
	case eax == 1:
		return 0x000906ea, 0x01020800, 1<<31 | 1<<25 | 1, 1<<26 | 1<<6
	case eax == 7:
		return 0, 1<<5 | 1<<29, 0, 1 << 26
	case eax == 0x80000001:
		return 0, 0, 1, 1<<29 | 1<<20
	case eax == 0x12 && ecx == 1:
		return 0xffffffff, 0, 0, 0
	}
	return 0, 0, 0, 0
}

func TestCPUIDRows(t *testing.T) {
	d, err := parseCPUIDDump(dumpCPUID(sysFakeCPU))
	if err != nil {
		t.Fatal(err)
	}
	rows, missing := cpuidRows(d)
	if len(missing) != 0 {
		t.Errorf("missing leaves %v", missing)
	}
	got := map[string]cpuidRow{}
	for _, r := range rows {
		got[r.feature] = r
	}
	if len(rows) != 7+28+25+9 {
		t.Errorf("%d rows", len(rows))
	}
	want := []cpuidRow{
		{"vendor", "GenuineIntel", "ebx,edx,ecx", 0, "0"},
		{"product_name", "      Intel(R) Core(TM) i7 CPU @ 2.00GHz", "eax,ebx,ecx,edx", 0, "0x80000002"},
		{"hypervisor_id", "400000014b4d564b564b4d56", "ebx,ecx,edx", 0, "0x40000000"},
		{"serial", "000906ea0000000000000000", "eax,eax,ecx", 0, "1,3"},
		{"family", "0600", "eax", 0, "1"},
		{"pae", "1", "edx", 6, "1"},
		{"sse2", "1", "edx", 26, "1"},
		{"msr", "0", "edx", 5, "1"},
		{"sse3", "1", "ecx", 0, "1"},
		{"aes", "1", "ecx", 25, "1"},
		{"hypervisor", "1", "ecx", 31, "1"},
		{"avx2", "1", "ebx", 5, "7"},
		{"sha", "1", "ebx", 29, "7"},
		{"spec_ctrl", "1", "edx", 26, "7"},
		{"lahfsahf", "1", "ecx", 0, "2147483649"},
		{"lm", "1", "edx", 29, "2147483649"},
		{"nx", "1", "edx", 20, "2147483649"},
		{"sgx0", "00000000000000000000000000000000", "eax,ebx,ecx,edx", 0, "18"},
		{"sgx1", "ffffffff000000000000000000000000", "eax,ebx,ecx,edx", 0, "18,1"},
	}
	for _, w := range want {
		if diff := cmp.Diff(w, got[w.feature], cmp.AllowUnexported(cpuidRow{})); diff != "" {
			t.Errorf("%s (-want +got):\n%s", w.feature, diff)
		}
	}
	if b, ok := d.brandString(); !ok || strings.TrimSpace(b) != "Intel(R) Core(TM) i7 CPU @ 2.00GHz" {
		t.Errorf("brandString = %q, %v", b, ok)
	}
}

func TestCPUIDEdgeCases(t *testing.T) {
	// No CPUID support: leaf 0 reports a max leaf below 1.
	d, _ := parseCPUIDDump(dumpCPUID(func(uint32, uint32) (a, b, c, d uint32) { return 0, 0, 0, 0 }))
	if rows, _ := cpuidRows(d); rows != nil {
		t.Errorf("rows without CPUID support: %v", rows)
	}
	if _, ok := d.brandString(); ok {
		t.Error("brand without CPUID support")
	}
	// A dump holding only leaf 0: the other leaves read as zero.
	only0 := dumpCPUID(sysFakeCPU)[:cpuidRecordSize]
	d, err := parseCPUIDDump(only0)
	if err != nil {
		t.Fatal(err)
	}
	rows, missing := cpuidRows(d)
	if len(rows) == 0 || len(missing) == 0 {
		t.Errorf("rows %d, missing %d", len(rows), len(missing))
	}
	for _, bad := range [][]byte{nil, make([]byte, 23), make([]byte, 25)} {
		if _, err := parseCPUIDDump(bad); err == nil {
			t.Errorf("parseCPUIDDump(%d bytes) did not fail", len(bad))
		}
	}
}

// TestCPUIDFixtureDump checks the captured dump of the debian12 fixture.
func TestCPUIDFixtureDump(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "hosts", "debian12", ".kernel", "cpuid"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := parseCPUIDDump(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range cpuidLeaves {
		if _, ok := d.regs(l.eax, l.ecx); !ok {
			t.Errorf("fixture dump lacks leaf %#x,%d", l.eax, l.ecx)
		}
	}
}

func FuzzParseCPUIDDump(f *testing.F) {
	f.Add(dumpCPUID(sysFakeCPU))
	f.Add(make([]byte, cpuidRecordSize))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := parseCPUIDDump(b)
		if err != nil {
			return
		}
		cpuidRows(d)
		d.brandString()
	})
}
