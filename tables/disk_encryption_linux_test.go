package tables

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// luks1Header builds a LUKS1 header.
func luks1Header(cipher, mode string) []byte {
	h := make([]byte, 592)
	copy(h, luksMagic)
	binary.BigEndian.PutUint16(h[6:], 1)
	copy(h[8:40], cipher)
	copy(h[40:72], mode)
	copy(h[72:104], "sha256")
	copy(h[168:208], "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0")
	return h
}

// luks2Header builds a LUKS2 header with the given JSON area.
func luks2Header(size uint64, js string) []byte {
	h := make([]byte, luksBinaryHeader)
	copy(h, luksMagic)
	binary.BigEndian.PutUint16(h[6:], 2)
	binary.BigEndian.PutUint64(h[8:], size)
	copy(h[168:208], "6f1c2b8e-4a7d-4c0e-9b3a-5d7e8f901234")
	area := make([]byte, int(size)-luksBinaryHeader)
	copy(area, js)
	return append(h, area...)
}

func TestParseLUKSHeader(t *testing.T) {
	seg := func(enc string) string {
		return `{"segments":{"0":{"type":"crypt","offset":"16777216","size":"dynamic","encryption":"` + enc + `","sector_size":512}}}`
	}
	tests := []struct {
		name         string
		in           []byte
		cipher, mode string
		version      int
		err          bool
	}{
		{"luks1", luks1Header("aes", "xts-plain64"), "aes", "xts-plain64", 1, false},
		{"luks1 cbc-essiv", luks1Header("twofish", "cbc-essiv:sha256"), "twofish", "cbc-essiv:sha256", 1, false},
		{"luks1 no cipher", luks1Header("", "xts-plain64"), "", "", 1, true},
		{"luks2", luks2Header(16384, seg("aes-xts-plain64")), "aes", "xts-plain64", 2, false},
		{"luks2 capi", luks2Header(16384, seg("capi:xts(aes)-plain64")), "capi:xts(aes)", "plain64", 2, false},
		{"luks2 bare cipher", luks2Header(16384, seg("aes")), "aes", "cbc-plain", 2, false},
		{"luks2 lowest segment wins", luks2Header(16384, `{"segments":{"10":{"type":"crypt","encryption":"serpent-xts-plain64"},"2":{"type":"crypt","encryption":"aes-xts-plain64"}}}`), "aes", "xts-plain64", 2, false},
		{"luks2 linear segment skipped", luks2Header(16384, `{"segments":{"0":{"type":"linear"},"1":{"type":"crypt","encryption":"aes-cbc-essiv:sha256"}}}`), "aes", "cbc-essiv:sha256", 2, false},
		{"luks2 no segments", luks2Header(16384, `{"segments":{}}`), "", "", 2, true},
		{"luks2 bad json", luks2Header(16384, `{"segments":`), "", "", 2, true},
		{"luks2 size too small", luks2Header(4096, ""), "", "", 2, true},
		{"luks2 truncated in the JSON", luks2Header(16384, seg("aes-xts-plain64"))[:4120], "", "", 2, true},
		{"luks2 truncated after the JSON", luks2Header(16384, seg("aes-xts-plain64"))[:5000], "aes", "xts-plain64", 2, false},
		{"luks2 truncated binary", luks2Header(16384, seg("aes-xts-plain64"))[:1000], "", "", 2, true},
		{"version 3", func() []byte { h := luks1Header("aes", "xts"); h[7] = 3; return h }(), "", "", 3, true},
		{"not luks", bytes.Repeat([]byte{0}, 4096), "", "", 0, true},
		{"empty", nil, "", "", 0, true},
	}
	for _, tt := range tests {
		h, err := parseLUKSHeader(bytes.NewReader(tt.in))
		if (err != nil) != tt.err {
			t.Errorf("%s: err = %v, want error %v", tt.name, err, tt.err)
			continue
		}
		if err != nil {
			if !errors.Is(err, errLUKSMalformed) && !strings.Contains(err.Error(), "EOF") {
				t.Errorf("%s: unexpected error %v", tt.name, err)
			}
			continue
		}
		if h.cipher != tt.cipher || h.mode != tt.mode || h.version != tt.version {
			t.Errorf("%s: got %q %q v%d, want %q %q v%d", tt.name, h.cipher, h.mode, h.version, tt.cipher, tt.mode, tt.version)
		}
	}
}

func TestDiskEncryptionDMKind(t *testing.T) {
	tests := []struct {
		uuid, kind string
		active     bool
	}{
		{"CRYPT-LUKS2-6f1c2b8e4a7d4c0e9b3a5d7e8f901234-sda3_crypt", "LUKS2", true},
		{"CRYPT-LUKS1-0f1e2d3c4b5a69788796a5b4c3d2e1f0-home", "LUKS1", true},
		{"CRYPT-PLAIN-swap", "PLAIN", true},
		{"CRYPT-VERITY-abc-root", "VERITY", true},
		{"CRYPT-BITLK-abc-win", "BITLK", true},
		{"CRYPT-INTEGRITY-x", "INTEGRITY", false},
		{"CRYPT-SUBDEV-x", "SUBDEV", false},
		{"CRYPT-", "", false},
		{"LVM-Xq3gk2Lm8wN0", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		kind, active := diskEncryptionDMKind(tt.uuid)
		if kind != tt.kind || active != tt.active {
			t.Errorf("diskEncryptionDMKind(%q) = %q, %v; want %q, %v", tt.uuid, kind, active, tt.kind, tt.active)
		}
	}
}

func FuzzParseLUKSHeader(f *testing.F) {
	f.Add(luks1Header("aes", "xts-plain64"))
	f.Add(luks2Header(16384, `{"segments":{"0":{"type":"crypt","encryption":"aes-xts-plain64"}}}`)[:4200])
	f.Add([]byte("LUKS\xba\xbe\x00\x02\xff\xff\xff\xff\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := parseLUKSHeader(bytes.NewReader(b))
		if err == nil && h.cipher == "" {
			t.Fatal("success without a cipher")
		}
	})
}
