package tables

import (
	"encoding/binary"
	"errors"
	"testing"
)

type rpmTestEntry struct {
	tag  int32
	typ  uint32
	data []byte // encoded value
	n    uint32 // count
}

func rpmTestString(tag int32, s string) rpmTestEntry {
	return rpmTestEntry{tag, rpmTypeString, append([]byte(s), 0), 1}
}

func rpmTestInt32(tag int32, v uint32) rpmTestEntry {
	return rpmTestEntry{tag, rpmTypeInt32, binary.BigEndian.AppendUint32(nil, v), 1}
}

// rpmTestHeader packs a header blob as rpm stores it, with 4-byte aligned
// data for each entry.
func rpmTestHeader(entries ...rpmTestEntry) []byte {
	var index, data []byte
	for _, e := range entries {
		for len(data)%4 != 0 {
			data = append(data, 0)
		}
		index = binary.BigEndian.AppendUint32(index, uint32(e.tag))
		index = binary.BigEndian.AppendUint32(index, e.typ)
		index = binary.BigEndian.AppendUint32(index, uint32(len(data)))
		index = binary.BigEndian.AppendUint32(index, e.n)
		data = append(data, e.data...)
	}
	out := binary.BigEndian.AppendUint32(nil, uint32(len(entries)))
	out = binary.BigEndian.AppendUint32(out, uint32(len(data)))
	return append(append(out, index...), data...)
}

func TestParseRPMHeader(t *testing.T) {
	blob := rpmTestHeader(
		rpmTestEntry{100, rpmTypeStringArray, []byte("C\x00"), 1},
		rpmTestString(rpmTagName, "openssl-libs"),
		rpmTestString(rpmTagVersion, "3.2.2"),
		rpmTestInt32(rpmTagEpoch, 1),
		rpmTestInt32(rpmTagSize, 0xfffffff0), // unsigned, as librpm reads it
		rpmTestEntry{rpmTagGroup, rpmTypeI18NString, []byte("Unspecified\x00Nicht angegeben\x00"), 2},
		rpmTestEntry{rpmTagInstallTime, rpmTypeInt16, []byte{0x01, 0x02}, 1},
		rpmTestEntry{rpmTagArch, rpmTypeInt32, []byte{0, 0, 0, 1}, 1},         // wrong type for a string tag
		rpmTestEntry{rpmTagVendor, rpmTypeString, []byte("no terminator"), 1}, // runs off the data
	)
	h, err := parseRPMHeader(blob)
	if err != nil {
		t.Fatal(err)
	}
	strs := []struct {
		tag  int32
		want string
		ok   bool
	}{
		{rpmTagName, "openssl-libs", true},
		{rpmTagVersion, "3.2.2", true},
		{rpmTagGroup, "Unspecified", true},
		{rpmTagArch, "", false},
		{rpmTagVendor, "", false},
		{rpmTagRelease, "", false},
	}
	for _, c := range strs {
		if got, ok := h.str(c.tag); got != c.want || ok != c.ok {
			t.Errorf("str(%d) = %q, %v; want %q, %v", c.tag, got, ok, c.want, c.ok)
		}
	}
	nums := []struct {
		tag  int32
		want uint64
		ok   bool
	}{
		{rpmTagEpoch, 1, true},
		{rpmTagSize, 0xfffffff0, true},
		{rpmTagInstallTime, 0x0102, true},
		{rpmTagName, 0, false},
		{rpmTagRelease, 0, false},
	}
	for _, c := range nums {
		if got, ok := h.num(c.tag); got != c.want || ok != c.ok {
			t.Errorf("num(%d) = %d, %v; want %d, %v", c.tag, got, ok, c.want, c.ok)
		}
	}

	// An entry pointing past the data store is ignored.
	bad := rpmTestHeader(rpmTestString(rpmTagName, "x"))
	binary.BigEndian.PutUint32(bad[8+8:], 1000)
	if h, err := parseRPMHeader(bad); err != nil {
		t.Fatal(err)
	} else if s, ok := h.str(rpmTagName); ok {
		t.Errorf("out-of-range offset read as %q", s)
	}

	malformed := map[string][]byte{
		"empty":        nil,
		"short":        {0, 0, 0, 1},
		"no tags":      {0, 0, 0, 0, 0, 0, 0, 0},
		"too many":     {0, 1, 0, 0, 0, 0, 0, 0},
		"huge data":    {0, 0, 0, 1, 0x7f, 0, 0, 0},
		"truncated":    blob[:len(blob)-1],
		"index only":   blob[:8+16],
		"wrong length": append([]byte{0, 0, 0, 2}, blob[4:]...),
	}
	for name, b := range malformed {
		if _, err := parseRPMHeader(b); !errors.Is(err, errRPMHeader) {
			t.Errorf("%s: err = %v, want errRPMHeader", name, err)
		}
	}
}

func FuzzParseRPMHeader(f *testing.F) {
	f.Add(rpmTestHeader(rpmTestString(rpmTagName, "bash"), rpmTestInt32(rpmTagSize, 7738634),
		rpmTestEntry{rpmTagGroup, rpmTypeI18NString, []byte("Unspecified\x00"), 1}))
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 3, 232, 0, 0, 0, 6, 0, 0, 0, 3, 0, 0, 0, 1, 'a', 'b', 'c', 0})
	f.Fuzz(func(t *testing.T, blob []byte) {
		h, err := parseRPMHeader(blob)
		if err != nil {
			return
		}
		for _, tag := range []int32{rpmTagName, rpmTagVersion, rpmTagGroup, rpmTagSize, rpmTagEpoch, 63} {
			_, _ = h.str(tag)
			_, _ = h.num(tag)
		}
	})
}
