package events

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// nlMessage encodes a netlink message as the kernel sends it.
func nlMessage(typ uint16, seq uint32, data []byte) []byte {
	b := make([]byte, unix.NLMSG_HDRLEN+len(data))
	ne := binary.NativeEndian
	ne.PutUint32(b[0:], uint32(len(b)))
	ne.PutUint16(b[4:], typ)
	ne.PutUint32(b[8:], seq)
	copy(b[unix.NLMSG_HDRLEN:], data)
	return b
}

// nlAck encodes the payload of an NLMSG_ERROR message with its code.
func nlAck(code int32) []byte {
	b := make([]byte, 4+unix.NLMSG_HDRLEN)
	binary.NativeEndian.PutUint32(b, uint32(code))
	return b
}

func u32s(vs ...uint32) []byte {
	b := make([]byte, 4*len(vs))
	for i, v := range vs {
		binary.NativeEndian.PutUint32(b[4*i:], v)
	}
	return b
}

func TestParseAuditStatus(t *testing.T) {
	full := auditStatus{mask: 0, enabled: 1, failure: 1, pid: 812, rateLimit: 0, backlogLimit: 8192, lost: 3,
		backlog: 2, featureBitmap: 0x7f, backlogWaitTime: 60000, backlogWaitTimeActual: 5}
	tests := []struct {
		name    string
		in      []byte
		want    auditStatus
		wantErr bool
	}{
		{name: "kernel 5.9 and later", in: full.marshal(), want: full},
		{name: "a newer kernel's additions are ignored", in: append(full.marshal(), 9, 9, 9, 9), want: full},
		{
			name: "before 3.12 the struct ends at backlog",
			in:   u32s(0, 1, 1, 812, 0, 8192, 3, 2),
			want: auditStatus{enabled: 1, failure: 1, pid: 812, backlogLimit: 8192, lost: 3, backlog: 2},
		},
		{
			name: "a partial last field is left out",
			in:   append(u32s(0, 1, 1, 812, 0, 8192, 3, 2, 0x7f), 1, 2),
			want: auditStatus{enabled: 1, failure: 1, pid: 812, backlogLimit: 8192, lost: 3, backlog: 2, featureBitmap: 0x7f},
		},
		{name: "short", in: u32s(0, 1, 1, 812, 0, 8192, 3), wantErr: true},
		{name: "empty", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseAuditStatus(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseAuditStatus: error %v, want error %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(got, tt.want, cmp.AllowUnexported(auditStatus{})); diff != "" {
				t.Errorf("parseAuditStatus (-got +want):\n%s", diff)
			}
		})
	}
}

func TestAuditStatusMarshal(t *testing.T) {
	s := auditStatus{mask: auditStatusPID | auditStatusBacklogLimit, pid: 42, backlogLimit: 4096}
	want := u32s(0x14, 0, 0, 42, 0, 4096, 0, 0, 0, 0, 0)
	if got := s.marshal(); !bytes.Equal(got, want) {
		t.Errorf("marshal = %x, want %x", got, want)
	}
}

func TestParseNetlinkError(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want error // compared with errors.Is; nil means success
		bad  bool  // an error that is no errno
	}{
		{name: "acknowledged", in: nlAck(0)},
		{name: "acknowledged, capped", in: u32s(0)},
		{name: "refused", in: nlAck(-int32(unix.EPERM)), want: unix.EPERM},
		{name: "exists", in: nlAck(-int32(unix.EEXIST)), want: unix.EEXIST},
		{name: "short", in: []byte{0, 0, 0}, bad: true},
		{name: "positive code", in: nlAck(5), bad: true},
		{name: "code beyond errno", in: nlAck(-5000), bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := parseNetlinkError(tt.in)
			var errno unix.Errno
			switch {
			case tt.bad:
				if err == nil || errors.As(err, &errno) {
					t.Errorf("parseNetlinkError = %v, want an error that is no errno", err)
				}
			case tt.want == nil && err != nil, tt.want != nil && !errors.Is(err, tt.want):
				t.Errorf("parseNetlinkError = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestParseNetlinkMessage(t *testing.T) {
	got, err := parseNetlinkMessage(nlMessage(auditGet, 7, []byte("abc")))
	if err != nil {
		t.Fatal(err)
	}
	want := netlinkMessage{typ: auditGet, seq: 7, data: []byte("abc")}
	if diff := cmp.Diff(got, want, cmp.AllowUnexported(netlinkMessage{})); diff != "" {
		t.Errorf("parseNetlinkMessage (-got +want):\n%s", diff)
	}
	// A record whose length leaves the header out keeps its whole payload.
	b := nlMessage(auditSyscall, 0, []byte("audit(1.2:3): a=1"))
	binary.NativeEndian.PutUint32(b, uint32(len(b)-unix.NLMSG_HDRLEN))
	if got, _ := parseNetlinkMessage(b); string(got.data) != "audit(1.2:3): a=1" {
		t.Errorf("record data = %q", got.data)
	}
	if _, err := parseNetlinkMessage(make([]byte, unix.NLMSG_HDRLEN-1)); err == nil {
		t.Error("a message shorter than its header parsed")
	}
}

// TestAuditAnswer feeds the messages that can follow a request, in the
// orders the kernel may send them.
func TestAuditAnswer(t *testing.T) {
	const seq = 5
	status := statusBytes()
	record := nlMessage(auditSyscall, 0, []byte("audit(1.2:3): arch=c000003e syscall=59"))
	tests := []struct {
		name     string
		replies  bool // the request expects replies (AUDIT_GET)
		msgs     [][]byte
		complete int // index of the message that completes the answer, -1 for none
		wantErr  error
	}{
		{name: "ack", msgs: [][]byte{nlMessage(unix.NLMSG_ERROR, seq, nlAck(0))}, complete: 0},
		{name: "refused", msgs: [][]byte{nlMessage(unix.NLMSG_ERROR, seq, nlAck(-int32(unix.EEXIST)))}, complete: 0, wantErr: unix.EEXIST},
		{
			name:     "records and other requests' answers pass by",
			msgs:     [][]byte{record, nlMessage(unix.NLMSG_ERROR, seq-1, nlAck(-1)), record, nlMessage(unix.NLMSG_ERROR, seq, nlAck(0))},
			complete: 3,
		},
		{
			name:    "status: ack, then reply",
			replies: true,
			msgs: [][]byte{nlMessage(unix.NLMSG_ERROR, seq, nlAck(0)), record,
				nlMessage(auditGet, seq, status)},
			complete: 2,
		},
		{
			name:     "status: reply, then ack",
			replies:  true,
			msgs:     [][]byte{nlMessage(auditGet, seq, status), nlMessage(unix.NLMSG_ERROR, seq, nlAck(0))},
			complete: 1,
		},
		{
			name:     "status: refused, no reply follows",
			replies:  true,
			msgs:     [][]byte{nlMessage(unix.NLMSG_ERROR, seq, nlAck(-int32(unix.EPERM)))},
			complete: 0,
			wantErr:  unix.EPERM,
		},
		{
			name:     "status: ack alone is not the answer",
			replies:  true,
			msgs:     [][]byte{nlMessage(unix.NLMSG_ERROR, seq, nlAck(0)), record},
			complete: -1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := auditAnswer{seq: seq}
			var got auditStatus
			if tt.replies {
				a.reply = func(m netlinkMessage) (bool, error) {
					var err error
					got, err = parseAuditStatus(m.data)
					return true, err
				}
			}
			completed := -1
			var err error
			for i, b := range tt.msgs {
				m, perr := parseNetlinkMessage(b)
				if perr != nil {
					t.Fatal(perr)
				}
				var complete bool
				if complete, err = a.add(m); complete {
					completed = i
					break
				}
			}
			if completed != tt.complete {
				t.Errorf("complete after message %d, want %d", completed, tt.complete)
			}
			if !errors.Is(err, tt.wantErr) || (err != nil) != (tt.wantErr != nil) {
				t.Errorf("error %v, want %v", err, tt.wantErr)
			}
			if tt.replies && tt.wantErr == nil && tt.complete >= 0 && got.pid != 812 {
				t.Errorf("status reply not read: %+v", got)
			}
		})
	}
}

func statusBytes() []byte { return u32s(0, 1, 1, 812, 0, 8192, 0, 0, 0x7f, 60000, 0) }

// TestAuditSyscallRule compares the rules the publisher installs with the
// bytes go-libaudit encoded for the same rules, and the syscall table with
// the syscalls go-libaudit's tables have on each architecture.
func TestAuditSyscallRule(t *testing.T) {
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		t.Skip("the reference rules are little-endian")
	}
	data, err := os.ReadFile("testdata/audit_rules.txt")
	if err != nil {
		t.Fatal(err)
	}
	watched := []string{"execve", "execveat", "bind", "connect", "accept", "accept4"}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 4 {
			t.Fatalf("bad line %q", line)
		}
		archName, set, names, wantHex := f[0], f[1], strings.Split(f[2], ","), f[3]
		t.Run(archName+"/"+set, func(t *testing.T) {
			var arch *auditArch
			for i := range auditArchTable {
				if auditArchTable[i].name == archName {
					arch = &auditArchTable[i]
				}
			}
			if arch == nil {
				t.Fatalf("no architecture %s", archName)
			}
			if set == "both" {
				var has []string
				for _, n := range watched {
					if _, ok := arch.number(n); ok {
						has = append(has, n)
					}
				}
				if diff := cmp.Diff(has, names); diff != "" {
					t.Errorf("watched syscalls on %s (-got +want):\n%s", archName, diff)
				}
			}
			var nums []int
			for _, n := range names {
				num, ok := arch.number(n)
				if !ok {
					t.Fatalf("no %s on %s", n, archName)
				}
				nums = append(nums, num)
			}
			got, err := auditSyscallRule(arch.value, nums, auditRuleKey)
			if err != nil {
				t.Fatal(err)
			}
			want, err := hex.DecodeString(wantHex)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				i := 0
				for i < min(len(got), len(want)) && got[i] == want[i] {
					i++
				}
				t.Errorf("rule of %d bytes differs from go-libaudit's (%d bytes) at byte %d", len(got), len(want), i)
			}
		})
	}
}

func TestAuditSyscallRuleLimits(t *testing.T) {
	if _, err := auditSyscallRule(auditArchX86_64, []int{32 * auditBitmaskSize}, "k"); err == nil {
		t.Error("a syscall beyond the mask was encoded")
	}
	if _, err := auditSyscallRule(auditArchX86_64, []int{-1}, "k"); err == nil {
		t.Error("a negative syscall was encoded")
	}
	if _, err := auditSyscallRule(auditArchX86_64, []int{59}, strings.Repeat("k", auditMaxKeyLen+1)); err == nil {
		t.Error("a key beyond AUDIT_MAX_KEY_LEN was encoded")
	}
	r, err := auditSyscallRule(auditArchX86_64, []int{0, 2047}, "")
	if err != nil {
		t.Fatal(err)
	}
	ne := binary.NativeEndian
	if len(r) != auditRuleHeaderSize || ne.Uint32(r[8:]) != 1 || ne.Uint32(r[12:]) != 1 || ne.Uint32(r[12+4*63:]) != 1<<31 {
		t.Errorf("rule without a key: %d bytes, %d fields, mask words %#x %#x", len(r), ne.Uint32(r[8:]), ne.Uint32(r[12:]), ne.Uint32(r[12+4*63:]))
	}
}

func TestSyscallName(t *testing.T) {
	tests := []struct {
		arch string
		num  int64
		want string
	}{
		{"c000003e", 59, "execve"},
		{"c000003e", 288, "accept4"},
		{"C000003E", 42, "connect"},
		{"40000003", 11, "execve"},
		{"40000003", 102, ""}, // socketcall is not watched
		{"c00000b7", 221, "execve"},
		{"c00000b7", 203, "connect"},
		{"40000028", 285, "accept"},
		{"80000016", 354, "execveat"},
		{"c000003e", 2, ""},  // open
		{"c0000028", 59, ""}, // unknown architecture
		{"", 59, ""},
		{"zz", 59, ""},
	}
	for _, tt := range tests {
		if got := syscallName(tt.arch, tt.num); got != tt.want {
			t.Errorf("syscallName(%q, %d) = %q, want %q", tt.arch, tt.num, got, tt.want)
		}
	}
}

func TestAuditArchs(t *testing.T) {
	archs := auditArchs()
	for _, a := range archs {
		if a == nil {
			t.Fatal("an architecture missing from the table")
		}
	}
	names := make([]string, len(archs))
	for i, a := range archs {
		names[i] = a.name
	}
	want := map[string][]string{"amd64": {"x86_64", "i386"}, "arm64": {"aarch64", "arm"}}[runtime.GOARCH]
	if want != nil && !slices.Equal(names, want) {
		t.Errorf("auditArchs = %v, want %v", names, want)
	}
}

func FuzzParseAuditStatus(f *testing.F) {
	f.Add(statusBytes())
	f.Add(u32s(0, 1, 1, 812, 0, 8192, 3, 2))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := parseAuditStatus(b)
		if err != nil {
			if len(b) >= auditStatusMinSize {
				t.Fatalf("%d bytes refused: %v", len(b), err)
			}
			return
		}
		// What was read is what marshal writes back.
		n := min(len(b), auditStatusSize) &^ 3
		if got := s.marshal(); !bytes.Equal(got[:n], b[:n]) || !bytes.Equal(got[n:], make([]byte, auditStatusSize-n)) {
			t.Fatalf("marshal(parse(%x)) = %x", b, got)
		}
	})
}

// FuzzAuditAnswer feeds arbitrary datagrams to the parsers and the answer
// that a request waits for: none may panic, and an answer completes only
// on a message of its own sequence number.
func FuzzAuditAnswer(f *testing.F) {
	f.Add(nlMessage(unix.NLMSG_ERROR, 5, nlAck(0)), true)
	f.Add(nlMessage(unix.NLMSG_ERROR, 5, nlAck(-17)), false)
	f.Add(nlMessage(auditGet, 5, statusBytes()), true)
	f.Add(nlMessage(unix.NLMSG_DONE, 5, u32s(0)), true)
	f.Add(nlMessage(auditSyscall, 0, []byte("audit(1.2:3): a=1")), false)
	f.Add([]byte{1, 2}, false)
	f.Fuzz(func(t *testing.T, b []byte, replies bool) {
		m, err := parseNetlinkMessage(b)
		if err != nil {
			return
		}
		if m.typ == unix.NLMSG_ERROR {
			parseNetlinkError(m.data)
		}
		for _, acked := range []bool{false, true} {
			a := auditAnswer{seq: 5, acked: acked}
			if replies {
				a.reply = func(m netlinkMessage) (bool, error) {
					if m.typ == unix.NLMSG_DONE {
						return true, nil
					}
					_, err := parseAuditStatus(m.data)
					return err == nil, err
				}
			}
			complete, err := a.add(m)
			if (complete || err != nil) && m.seq != 5 {
				t.Fatalf("message of sequence %d ended the answer to 5", m.seq)
			}
			if err != nil && !complete {
				t.Fatalf("error %v without completing", err)
			}
		}
	})
}
