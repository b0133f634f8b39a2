package tables

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// smbiosStruct builds a structure: header, formatted area, strings.
func smbiosStruct(typ uint8, handle uint16, formatted []byte, strs ...string) []byte {
	b := []byte{typ, byte(4 + len(formatted)), byte(handle), byte(handle >> 8)}
	b = append(b, formatted...)
	for _, s := range strs {
		b = append(append(b, s...), 0)
	}
	if len(strs) == 0 {
		b = append(b, 0)
	}
	return append(b, 0)
}

func TestParseSMBIOSTables(t *testing.T) {
	bios := smbiosStruct(0, 0, []byte{1, 2, 0, 0xe0}, "Vendor", "1.0")
	sys := smbiosStruct(1, 1, []byte{1, 2, 3, 4})
	end := smbiosStruct(127, 0xfeff, nil)
	type row struct {
		Typ    uint8
		Len    uint8
		Handle uint16
		Size   int
	}
	rows := func(ss []smbiosStructure) []row {
		var out []row
		for _, s := range ss {
			out = append(out, row{s.typ, s.headerLen, s.handle, len(s.raw)})
		}
		return out
	}
	tests := []struct {
		name string
		in   []byte
		want []row
	}{
		{"three", bytes.Join([][]byte{bios, sys, end}, nil), []row{{0, 8, 0, len(bios)}, {1, 8, 1, len(sys)}, {127, 4, 0xfeff, 4}}}, // as osquery: the last double NUL is not reached
		{"zero padding stops", append(append([]byte{}, bios...), make([]byte, 32)...), []row{{0, 8, 0, len(bios)}}},
		{"header past the end", append(append([]byte{}, bios...), 4, 200, 9, 0), []row{{0, 8, 0, len(bios)}}},
		{"strings never end", []byte{11, 5, 3, 0, 1, 'a', 'b', 'c', 'd', 'e', 'f'}, []row{{11, 5, 3, 8}}},
		{"short tail ignored", append(append([]byte{}, sys...), 1, 2), []row{{1, 8, 1, len(sys)}}},
		{"zero length, non-zero handle", []byte{9, 0, 1, 0, 0, 0, 0, 0}, []row{{9, 0, 1, 5}}},
		{"empty", nil, nil},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, rows(parseSMBIOSTables(tt.in))); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

func FuzzParseSMBIOSTables(f *testing.F) {
	f.Add(smbiosStruct(0, 0, []byte{1, 2, 0, 0xe0}, "Vendor"))
	f.Add([]byte{0, 0, 1, 0, 0, 0})
	f.Add([]byte{1, 255, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		total := 0
		for _, s := range parseSMBIOSTables(b) {
			if len(s.raw) < 1 {
				t.Fatalf("structure of %d bytes", len(s.raw))
			}
			total += len(s.raw)
		}
		if total > len(b) {
			t.Fatalf("structures cover %d bytes of %d", total, len(b))
		}
	})
}
