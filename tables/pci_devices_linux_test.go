package tables

import (
	"strings"
	"testing"
)

func TestParsePCIIDs(t *testing.T) {
	in := strings.Join([]string{
		"# comment",
		"",
		"8086  Intel Corporation",
		"\t1237  440FX - 82441FX PMC [Natoma]",
		"\t\t1af4 1100  Qemu virtual machine",
		"\t\t1af4 1100  Duplicate subsystem ignored",
		"\t7000  82371SB PIIX3 ISA [Natoma/Triton II]  # trailing comment",
		"\t7000  Duplicate model ignored",
		"\tabc",    // too short
		"\t\t1af4", // too short
		"1af4  Red Hat, Inc.",
		"\t1000  Virtio network device",
		"8086  Intel again (ignored, and models stay with the previous vendor)",
		"\t2000  Attached to Red Hat",
		"\t\t\t\tdeeply indented", // unexpected: skipped
		"ZZZZ  not hex",
		"ffff  Illegal Vendor ID",
		"dead  After the class section marker",
		"C 03  Display controller",
	}, "\n")
	db := parsePCIIDs(strings.NewReader(in))
	check := func(what, got, want string) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %q, want %q", what, got, want)
		}
	}
	check("8086", db["8086"].name, "Intel Corporation")
	check("8086:1237", db["8086"].models["1237"].name, "440FX - 82441FX PMC [Natoma]")
	check("8086:1237 1af4:1100", db["8086"].models["1237"].subsystems["1af4 1100"], "Qemu virtual machine")
	check("8086:7000", db["8086"].models["7000"].name, "82371SB PIIX3 ISA [Natoma/Triton II]")
	check("1af4", db["1af4"].name, "Red Hat, Inc.")
	check("1af4:2000", db["1af4"].models["2000"].name, "Attached to Red Hat")
	if _, ok := db["ffff"]; ok {
		t.Error("ffff kept")
	}
	if _, ok := db["dead"]; ok {
		t.Error("parsing went on after ffff")
	}
	if len(db) != 2 {
		t.Errorf("%d vendors, want 2", len(db))
	}
}

func TestPCISplits(t *testing.T) {
	for _, tt := range []struct {
		in, vendor, model string
		ok                bool
	}{
		{"8086:1237", "8086", "1237", true},
		{"1AF4:1044", "1af4", "1044", true},
		{"8086", "", "", false},
		{"8086:", "", "", false},
		{"a:b:c", "", "", false},
		{"", "", "", false},
	} {
		v, m, ok := pciSplitIDs(tt.in)
		if v != tt.vendor || m != tt.model || ok != tt.ok {
			t.Errorf("pciSplitIDs(%q) = %q %q %v", tt.in, v, m, ok)
		}
	}
	for _, tt := range []struct {
		in, class, sub string
		ok             bool
	}{
		{"30000", "0x03", "0x00", true},
		{"C0330", "0x0c", "0x03", true},
		{"FFFF00", "0xff", "0xff", true},
		{"60400", "0x06", "0x04", true},
		{"1234", "", "", false},
		{"", "", "", false},
	} {
		c, s, ok := pciClassIDs(tt.in)
		if c != tt.class || s != tt.sub || ok != tt.ok {
			t.Errorf("pciClassIDs(%q) = %q %q %v", tt.in, c, s, ok)
		}
	}
}

func FuzzParsePCIIDs(f *testing.F) {
	f.Add("8086  Intel\n\t1237  x\n\t\t1af4 1100  y\nffff  z\n")
	f.Add("\t\t\n\t\n1\n\t1\n\t\t1\n")
	f.Fuzz(func(t *testing.T, s string) {
		for id, v := range parsePCIIDs(strings.NewReader(s)) {
			if len(id) != 4 || v == nil || v.models == nil {
				t.Fatalf("bad vendor %q", id)
			}
		}
		pciSplitIDs(s)
		pciClassIDs(s)
	})
}
