package tables

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseProcModules(t *testing.T) {
	in := `nf_nat 57344 1 nft_chain_nat, Live 0xffffffffc0a2b000
libcrc32c 16384 3 nf_nat,nf_conntrack,nf_tables, Live 0x0000000000000000
ext4   1036288 1 - Live 0xffffffffc0400000
vboxguest 430080 0 - Loading 0xffffffffc0b00000 (OE)

short line 1 2
bad` + "\xff" + ` 1 2 3 4 5
`
	want := []kernelModule{
		{"nf_nat", "57344", "nft_chain_nat", "Live", "0xffffffffc0a2b000"},
		{"libcrc32c", "16384", "nf_nat,nf_conntrack,nf_tables", "Live", "0x0000000000000000"},
		{"ext4", "1036288", "-", "Live", "0xffffffffc0400000"},
		{"vboxguest", "430080", "-", "Loading", "0xffffffffc0b00000"},
	}
	got, skipped := parseProcModules([]byte(in))
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(kernelModule{})); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if skipped != 2 {
		t.Errorf("skipped = %d, want 2", skipped)
	}
	if got, skipped := parseProcModules(nil); len(got) != 0 || skipped != 0 {
		t.Errorf("empty input: %v, %d", got, skipped)
	}
}

func FuzzParseProcModules(f *testing.F) {
	f.Add([]byte("ext4 1036288 1 - Live 0xffffffffc0400000\n"))
	f.Add([]byte(", , , , , ,\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		parseProcModules(b)
	})
}
