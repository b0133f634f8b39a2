package tables

import (
	"encoding/binary"
	"errors"
	"os"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// testNlattr builds a struct rtattr.
func testNlattr(typ uint16, data []byte) []byte {
	b := binary.NativeEndian.AppendUint16(nil, uint16(4+len(data)))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = append(b, data...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// testNlmsg builds a netlink message of a dump.
func testNlmsg(typ uint16, payload ...[]byte) []byte {
	var p []byte
	for _, x := range payload {
		p = append(p, x...)
	}
	b := binary.NativeEndian.AppendUint32(nil, uint32(16+len(p)))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = binary.NativeEndian.AppendUint16(b, 2) // NLM_F_MULTI
	b = binary.NativeEndian.AppendUint32(b, 1)
	b = binary.NativeEndian.AppendUint32(b, 42)
	b = append(b, p...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func testNlDone() []byte { return testNlmsg(nlmsgDone, []byte{0, 0, 0, 0}) }

func testU32(v uint32) []byte { return binary.NativeEndian.AppendUint32(nil, v) }

func TestParseRtnlDump(t *testing.T) {
	hdr := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	msg := testNlmsg(rtmNewAddr, hdr, testNlattr(1, []byte{10, 0, 0, 1}), testNlattr(3|0x8000, []byte("lo\x00")))
	other := testNlmsg(rtmNewRoute, make([]byte, 12))
	errMsg := testNlmsg(nlmsgError, testU32(uint32(0x100000000-int64(syscall.EPERM))), make([]byte, 16))

	got, err := parseRtnlDump(append(append(append([]byte(nil), msg...), other...), testNlDone()...), rtmNewAddr, 8)
	if err != nil {
		t.Fatal(err)
	}
	want := []rtnlMessage{{typ: rtmNewAddr, header: hdr, attrs: []rtnlAttr{{1, []byte{10, 0, 0, 1}}, {3, []byte("lo\x00")}}}}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(rtnlMessage{}, rtnlAttr{})); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	// Data after NLMSG_DONE is ignored; a dump without it is accepted.
	if got, err := parseRtnlDump(append(append([]byte(nil), testNlDone()...), msg...), rtmNewAddr, 8); err != nil || len(got) != 0 {
		t.Errorf("after DONE: %v, %v", got, err)
	}
	if got, err := parseRtnlDump(msg, rtmNewAddr, 8); err != nil || len(got) != 1 {
		t.Errorf("without DONE: %v, %v", got, err)
	}

	bad := map[string][]byte{
		"truncated message":   msg[:len(msg)-4],
		"short header":        testNlmsg(rtmNewAddr, []byte{1, 2}),
		"length below header": {8, 0, 0, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
		"trailing bytes":      append(append([]byte(nil), msg...), 1, 2, 3),
		"bad attribute":       testNlmsg(rtmNewAddr, hdr, []byte{200, 0, 1, 0}),
	}
	for name, b := range bad {
		if _, err := parseRtnlDump(b, rtmNewAddr, 8); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := parseRtnlDump(errMsg, rtmNewAddr, 8); !errors.Is(err, syscall.EPERM) {
		t.Errorf("error message: %v, want EPERM", err)
	}
}

func FuzzParseRtnlDump(f *testing.F) {
	for _, name := range []string{"addr", "route"} {
		if b, err := os.ReadFile("testdata/hosts/debian12/.kernel/netlink/" + name); err == nil {
			f.Add(b)
		}
	}
	f.Add(testNlmsg(rtmNewAddr, make([]byte, 8), testNlattr(1, []byte{1, 2, 3, 4})))
	f.Fuzz(func(t *testing.T, b []byte) {
		parseIfAddrDump(b)
		parseRouteDump(b)
	})
}
