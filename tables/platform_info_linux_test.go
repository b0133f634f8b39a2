package tables

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// sysBIOSStruct builds a raw SMBIOS type 0 structure.
func sysBIOSStruct(length byte, release [2]byte, strs ...string) []byte {
	b := make([]byte, length)
	b[0], b[1] = 0, length
	b[4], b[5], b[8] = 1, 2, 3
	b[6], b[7] = 0x00, 0xe8
	b[9] = 0x0f
	if int(length) > 0x15 {
		b[0x14], b[0x15] = release[0], release[1]
	}
	for _, s := range strs {
		b = append(b, s...)
		b = append(b, 0)
	}
	return append(b, 0)
}

func TestParseSMBIOSBIOS(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		want    biosInfo
		wantErr bool
	}{
		{"seabios", sysBIOSStruct(0x18, [2]byte{1, 2}, "SeaBIOS", "1.16.2  ", "04/01/2014"),
			biosInfo{vendor: "SeaBIOS", version: "1.16.2", date: "04/01/2014", revision: "1.2", address: "0xe800", size: "1048576", hasRevision: true, hasAddress: true}, false},
		{"missing strings", sysBIOSStruct(0x18, [2]byte{}, "OnlyVendor"),
			biosInfo{vendor: "OnlyVendor", revision: "0.0", address: "0xe800", size: "1048576", hasRevision: true, hasAddress: true}, false},
		{"unterminated strings", append(sysBIOSStruct(0x18, [2]byte{}, "V")[:0x18], 'V'),
			biosInfo{revision: "0.0", address: "0xe800", size: "1048576", hasRevision: true, hasAddress: true}, false},
		{"not type 0", append([]byte{1}, sysBIOSStruct(0x18, [2]byte{})[1:]...), biosInfo{}, true},
		{"too short", sysBIOSStruct(0x12, [2]byte{})[:0x12], biosInfo{}, true},
		{"length past end", []byte{0, 0xff, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19}, biosInfo{}, true},
		{"empty", nil, biosInfo{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseSMBIOSBIOS(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(biosInfo{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestSMBIOSString(t *testing.T) {
	text := []byte("one\x00two \x00\xff\x00\x00")
	tests := []struct {
		index byte
		want  string
	}{{0, ""}, {1, "one"}, {2, "two"}, {3, ""}, {4, ""}, {9, ""}}
	for _, tt := range tests {
		if got := smbiosString(text, tt.index); got != tt.want {
			t.Errorf("smbiosString(%d) = %q, want %q", tt.index, got, tt.want)
		}
	}
}

func TestPlatformInfoFromSysfs(t *testing.T) {
	dir := sysWriteTree(t, map[string]string{
		"sys/class/dmi/id/bios_vendor":  "Dell Inc.\n",
		"sys/class/dmi/id/bios_version": "2.18.1\n",
		"sys/class/dmi/id/bios_date":    "08/09/2023\n",
		"sys/firmware/efi/systab":       "SMBIOS3=0x6ad0b000\n",
	})
	rows := sysQuery(t, sysRoot(dir), "SELECT * FROM platform_info")
	want := []map[string]any{{
		"vendor": "Dell Inc.", "version": "2.18.1", "date": "08/09/2023", "revision": nil, "extra": "",
		"firmware_type": "uefi", "address": nil, "size": nil, "volume_size": int64(0),
	}}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func FuzzParseSMBIOSBIOS(f *testing.F) {
	f.Add(sysBIOSStruct(0x18, [2]byte{1, 2}, "SeaBIOS", "1.16.2", "04/01/2014"))
	f.Add([]byte{0, 4, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		parseSMBIOSBIOS(b)
		for i := 0; i < 4; i++ {
			smbiosString(b, byte(i))
		}
	})
}
