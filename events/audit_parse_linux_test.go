package events

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// show renders a row's non-NULL columns as "col=value" in column order.
func show(r row) string {
	var parts []string
	for i, c := range r.s.cols {
		if v := r.vals[i]; !v.IsNull() {
			parts = append(parts, c+"="+v.String())
		}
	}
	return strings.Join(parts, " ")
}

func TestParseAuditRecord(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantID  string
		want    []auditField
		wantErr bool
	}{
		{
			name:   "syscall",
			in:     `audit(1502125323.756:6): arch=c000003e syscall=59 success=yes exe="/usr/bin/bash" key=(null)`,
			wantID: "1502125323.756:6",
			want:   []auditField{{"arch", "c000003e"}, {"syscall", "59"}, {"success", "yes"}, {"exe", `"/usr/bin/bash"`}, {"key", "(null)"}},
		},
		{
			name:   "quoted value with spaces and a trailing NUL",
			in:     "audit(1.2:3): cwd=\"/home/a b\"  x=1\x00",
			wantID: "1.2:3",
			want:   []auditField{{"cwd", `"/home/a b"`}, {"x", "1"}},
		},
		{
			name:   "empty record, as EOE",
			in:     "audit(1795677322.252:665): ",
			wantID: "1795677322.252:665",
		},
		{
			name:   "a repeated key keeps its first value",
			in:     `audit(1.2:3): uid=0 uid=1000 msg='op=login uid=5 res=success'`,
			wantID: "1.2:3",
			want:   []auditField{{"uid", "0"}, {"msg", "'op=login"}, {"res", "success'"}},
		},
		{
			name:   "a key without a value",
			in:     `audit(1.2:3): lone a=`,
			wantID: "1.2:3",
			want:   []auditField{{"lone", ""}, {"a", ""}},
		},
		{
			name:   "an unterminated quote takes the rest",
			in:     `audit(1.2:3): a="x y`,
			wantID: "1.2:3",
			want:   []auditField{{"a", `"x y`}},
		},
		{name: "no header", in: `arch=c000003e syscall=59`, wantErr: true},
		{name: "unterminated header", in: `audit(1.2:3 arch=1`, wantErr: true},
		{name: "bad id", in: `audit(abc): x=1`, wantErr: true},
		{name: "empty id parts", in: `audit(.:): x=1`, wantErr: true},
		{name: "too long", in: "audit(1.2:3): a=" + strings.Repeat("x", maxAuditRecord), wantErr: true},
		{name: "repeated keys", in: "audit(1.2:3):" + strings.Repeat(" a=1 b=2", 600), wantID: "1.2:3", want: []auditField{{"a", "1"}, {"b", "2"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseAuditRecord(auditSyscall, []byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if got.id != tt.wantID {
				t.Errorf("id = %q, want %q", got.id, tt.wantID)
			}
			if tt.want != nil || len(got.fields) == 0 {
				if diff := cmp.Diff(tt.want, got.fields, cmp.AllowUnexported(auditField{})); diff != "" {
					t.Errorf("fields (-want +got):\n%s", diff)
				}
			}
		})
	}
	// Distinct keys beyond the limit are an error.
	var b strings.Builder
	b.WriteString("audit(1.2:3):")
	for i := range maxAuditFields + 1 {
		b.WriteString(" k" + strconv.Itoa(i) + "=1")
	}
	if _, err := parseAuditRecord(auditSyscall, []byte(b.String())); err == nil {
		t.Error("a record with too many fields parsed")
	}
}

func TestAuditText(t *testing.T) {
	for in, want := range map[string]string{
		`"/usr/bin/sh"`:          "/usr/bin/sh",
		"68656C6C6F20776F726C64": "hello world",
		"780979":                 "x\ty",
		"C3A9":                   "é",
		"(null)":                 "(null)",
		"?":                      "?",
		"abc":                    "abc", // odd length: not hex
		"":                       "",
		`"`:                      `"`,
		"ZZ":                     "ZZ",
	} {
		if got := auditText(in); got != want {
			t.Errorf("auditText(%q) = %q, want %q", in, got, want)
		}
	}
}

// readAuditFile reads "type text" lines, as recorded from the kernel.
func readAuditFile(t *testing.T, path string) []auditRecord {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []auditRecord
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		typ, text, _ := strings.Cut(sc.Text(), " ")
		n, err := strconv.Atoi(typ)
		if err != nil {
			t.Fatalf("bad line %q", sc.Text())
		}
		rec, err := parseAuditRecord(uint16(n), []byte(text))
		if err != nil {
			t.Fatalf("%q: %v", sc.Text(), err)
		}
		out = append(out, rec)
	}
	return out
}

// auditRows runs records through the assembler and the row builders.
func auditRows(recs []auditRecord, o auditOptions) []string {
	asm := newAuditAssembler()
	now := time.Unix(1795677322, 0)
	var out []string
	for _, r := range recs {
		if ev, ok := asm.push(r, now); ok {
			o.rows(ev, 4242, func(name string, r row) { out = append(out, name+": "+show(r)) })
		}
	}
	return out
}

func fakeStat(path string) (int64, int64, int64, bool) {
	if path == "/usr/bin/echo" {
		return 100, 200, 300, true
	}
	return 0, 0, 0, false
}

// TestAuditRecordedEvents parses records captured from a Linux 6.18 kernel
// (python3 binding, connecting and accepting; echo with arguments that the
// kernel hex-encodes; a PAM message).
func TestAuditRecordedEvents(t *testing.T) {
	recs := readAuditFile(t, "testdata/audit_records.txt")
	o := auditOptions{process: true, sockets: true, user: true, stat: fakeStat}
	got := auditRows(recs, o)
	ids := "auid=4294967295 uid=0 euid=0 gid=0 egid=0"
	sets := "fsuid=0 suid=0 fsgid=0 sgid=0"
	py := "/root/.pyenv/versions/3.11.7/bin/python3.11"
	sock := "pid=29796 path=" + py
	want := []string{
		`process_events: pid=29796 path=` + py + ` mode=0100755 cmdline=/root/.pyenv/versions/3.11.7/bin/python3 -c print("a b") cmdline_size=56 env= env_count=0 env_size=0 cwd=/tmp/audittry ` + ids + ` owner_uid=0 owner_gid=0 atime=0 mtime=0 ctime=0 overflows= parent=29789 uptime=4242 ` + sets + ` syscall=execve`,
		`socket_events: action=bind ` + sock + ` fd=3 auid=4294967295 family=2 protocol=0 local_address=127.0.0.1 remote_address=0 local_port=0 remote_port=0 uptime=4242 success=1 status=succeeded`,
		`socket_events: action=connect ` + sock + ` fd=4 auid=4294967295 family=2 protocol=0 local_address=0 remote_address=127.0.0.1 local_port=0 remote_port=44043 uptime=4242 success=1 status=succeeded`,
		`socket_events: action=accept ` + sock + ` fd=3 auid=4294967295 family=2 protocol=0 local_address=0 remote_address=127.0.0.1 local_port=0 remote_port=48652 uptime=4242 success=1 status=succeeded`,
		`socket_events: action=bind ` + sock + ` fd=6 auid=4294967295 family=10 protocol=0 local_address=0000:0000:0000:0000:0000:0000:0000:0001 remote_address=0 local_port=0 remote_port=0 uptime=4242 success=1 status=succeeded`,
		`socket_events: action=connect ` + sock + ` fd=7 auid=4294967295 family=2 protocol=0 local_address=0 remote_address=127.0.0.1 local_port=0 remote_port=44043 uptime=4242 success=1 status=in_progress`,
		`socket_events: action=accept ` + sock + ` fd=3 auid=4294967295 family=2 protocol=0 local_address=0 remote_address=127.0.0.1 local_port=0 remote_port=48668 uptime=4242 success=1 status=succeeded`,
		`process_events: pid=29837 path=/usr/bin/echo mode=0100755 cmdline=/bin/echo hello world x	y é cmdline_size=28 env= env_count=0 env_size=0 cwd=/tmp/audittry ` + ids + ` owner_uid=0 owner_gid=0 atime=100 mtime=200 ctime=300 btime=0 overflows= parent=29789 uptime=4242 ` + sets + ` syscall=execve`,
		`user_events: uid=0 auid=4294967295 pid=29789 message=op=PAM:authentication type=1100 path=/usr/bin/su address=? terminal=pts/0 uptime=4242`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}

	// The flags that widen socket_events: failed calls and UNIX sockets.
	o.failedSockets, o.unixSockets = true, true
	o.process, o.user = false, false
	got = auditRows(recs, o)
	var extra []string
	for _, r := range got {
		if strings.Contains(r, "status=failed") || strings.Contains(r, "family=1 ") {
			extra = append(extra, r)
		}
	}
	want = []string{
		`socket_events: action=connect ` + sock + ` fd=8 auid=4294967295 family=2 protocol=0 local_address=0 remote_address=127.0.0.1 local_port=0 remote_port=1 uptime=4242 success=0 status=failed`,
		`socket_events: action=bind ` + sock + ` fd=9 auid=4294967295 family=1 protocol=0 remote_address=0 local_port=0 remote_port=0 socket=/tmp/audittry/sock with space uptime=4242 success=1 status=succeeded`,
		`socket_events: action=bind ` + sock + ` fd=b auid=4294967295 family=1 protocol=0 remote_address=0 local_port=0 remote_port=0 socket=abstract uptime=4242 success=1 status=succeeded`,
	}
	if diff := cmp.Diff(want, extra); diff != "" {
		t.Errorf("rows with failed and unix sockets (-want +got):\n%s", diff)
	}

	// The agent's own syscalls are left out.
	o = auditOptions{process: true, sockets: true, self: py}
	for _, r := range auditRows(recs, o) {
		if strings.Contains(r, "path="+py+" ") {
			t.Errorf("own event reported: %s", r)
		}
	}
}

// event builds an audit event from "type text" lines.
func event(t *testing.T, lines ...string) auditEvent {
	t.Helper()
	var e auditEvent
	for _, l := range lines {
		typ, text, _ := strings.Cut(l, " ")
		n, _ := strconv.Atoi(typ)
		rec, err := parseAuditRecord(uint16(n), []byte(text))
		if err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		e.records = append(e.records, rec)
	}
	return e
}

const syscallHead = "1300 audit(1.0:7): arch=c000003e success=yes exit=0 ppid=1 pid=2 auid=1000 uid=1000 gid=1000 euid=0 suid=0 fsuid=0 egid=1000 sgid=1000 fsgid=1000 tty=pts1 ses=2 comm=\"x\" exe=\"/bin/x\" "

func TestProcessEventRow(t *testing.T) {
	cwd := `1307 audit(1.0:7): cwd="/"`
	path := `1302 audit(1.0:7): item=0 name="x" inode=1 mode=0104755 ouid=0 ogid=4`
	tests := []struct {
		name  string
		lines []string
		want  string // "" means no row
	}{
		{
			name:  "execveat, as osquery's test records",
			lines: []string{syscallHead + "syscall=322", `1309 audit(1.0:7): argc=0 a0="/dev/fd/3/fork"`, cwd, path},
			want:  "cmdline=/dev/fd/3/fork mode=0104755 owner_gid=4 syscall=execveat",
		},
		{
			name: "a long argument split into chunks, each encoded by itself",
			lines: []string{syscallHead + "syscall=59", `1309 audit(1.0:7): argc=2 a0="x" a1_len=8 a1[0]=61626364 a1[1]="efgh"`,
				cwd, path},
			want: "cmdline=x abcdefgh mode=0104755 owner_gid=4 syscall=execve",
		},
		{
			name: "arguments over several EXECVE records, ten and more in order",
			lines: []string{syscallHead + "syscall=59",
				`1309 audit(1.0:7): argc=12 a0="0" a1="1" a2="2" a3="3" a4="4" a5="5"`,
				`1309 audit(1.0:7): a6="6" a7="7" a8="8" a9="9" a10="10" a11="11"`, cwd, path},
			want: "cmdline=0 1 2 3 4 5 6 7 8 9 10 11 mode=0104755 owner_gid=4 syscall=execve",
		},
		{
			name:  "a 32-bit process on x86_64",
			lines: []string{strings.Replace(syscallHead, "c000003e", "40000003", 1) + "syscall=11", `1309 audit(1.0:7): argc=1 a0="x"`, cwd, path},
			want:  "cmdline=x mode=0104755 owner_gid=4 syscall=execve",
		},
		{
			name:  "aarch64",
			lines: []string{strings.Replace(syscallHead, "c000003e", "c00000b7", 1) + "syscall=221", `1309 audit(1.0:7): argc=1 a0="x"`, cwd, path},
			want:  "cmdline=x mode=0104755 owner_gid=4 syscall=execve",
		},
		{name: "no CWD record", lines: []string{syscallHead + "syscall=59", `1309 audit(1.0:7): argc=1 a0="x"`, path}},
		{name: "no EXECVE record", lines: []string{syscallHead + "syscall=59", cwd, path}},
		{name: "no PATH record", lines: []string{syscallHead + "syscall=59", `1309 audit(1.0:7): argc=1 a0="x"`, cwd}},
		{name: "failed execve", lines: []string{strings.Replace(syscallHead, "success=yes", "success=no", 1) + "syscall=59", `1309 audit(1.0:7): argc=1 a0="x"`, cwd, path}},
		{name: "another syscall", lines: []string{syscallHead + "syscall=2", cwd}},
		{name: "unknown arch", lines: []string{strings.Replace(syscallHead, "c000003e", "zz", 1) + "syscall=59", `1309 audit(1.0:7): argc=1 a0="x"`, cwd, path}},
		{name: "a non-numeric id", lines: []string{strings.Replace(syscallHead, "uid=1000", "uid=x", 1) + "syscall=59", `1309 audit(1.0:7): argc=1 a0="x"`, cwd, path}},
		{name: "no exe", lines: []string{strings.Replace(syscallHead, `exe="/bin/x"`, "", 1) + "syscall=59", `1309 audit(1.0:7): argc=1 a0="x"`, cwd, path}},
	}
	o := auditOptions{process: true}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			o.rows(event(t, tt.lines...), 1, func(name string, r row) {
				got = append(got, pick(r, "cmdline", "mode", "owner_gid", "syscall"))
			})
			var want []string
			if tt.want != "" {
				want = []string{tt.want}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
		})
	}
}

// pick renders some columns of a row.
func pick(r row, cols ...string) string {
	var parts []string
	for _, c := range cols {
		parts = append(parts, c+"="+r.get(c).String())
	}
	return strings.Join(parts, " ")
}

func TestSocketEventRow(t *testing.T) {
	sa := func(hex string) string { return "1306 audit(1.0:7): saddr=" + hex }
	failed := func(syscall, exit string) string {
		return strings.Replace(syscallHead, "success=yes exit=0", "success=no exit="+exit, 1) + "syscall=" + syscall + " a0=1f"
	}
	tests := []struct {
		name  string
		opts  auditOptions
		lines []string
		want  string
	}{
		{
			name:  "connect over IPv6",
			lines: []string{syscallHead + "syscall=42 a0=5", sa("0A000050000000002A0014504001080A000000000000200E00000000")},
			want:  "action=connect fd=5 family=10 local_address=0 remote_address=2a00:1450:4001:080a:0000:0000:0000:200e remote_port=80 status=succeeded success=1",
		},
		{
			name:  "non-blocking accept without a client, with the flag",
			opts:  auditOptions{nullAccept: true},
			lines: []string{failed("43", "-11"), sa("02000000000000000000000000000000")},
			want:  "action=accept fd=1f family=2 local_address=0 remote_address=0.0.0.0 remote_port=0 status=no_client success=1",
		},
		{name: "non-blocking accept without the flag", lines: []string{failed("43", "-11"), sa("02000000000000000000000000000000")}},
		{name: "failed bind without the flag", lines: []string{failed("49", "-98"), sa("020000507F000001")}},
		{
			name:  "failed bind with the flag",
			opts:  auditOptions{failedSockets: true},
			lines: []string{failed("49", "-98"), sa("020000507F000001")},
			want:  "action=bind fd=1f family=2 local_address=127.0.0.1 remote_address=0 remote_port=0 status=failed success=0",
		},
		{name: "netlink is routing chatter", lines: []string{syscallHead + "syscall=49 a0=3", sa("100000000000000000000000")}},
		{name: "no SOCKADDR", lines: []string{syscallHead + "syscall=42 a0=3"}},
		{name: "short saddr", lines: []string{syscallHead + "syscall=42 a0=3", sa("02")}},
		{name: "truncated IPv4", lines: []string{syscallHead + "syscall=42 a0=3", sa("02000050")}},
		{name: "truncated IPv6", lines: []string{syscallHead + "syscall=42 a0=3", sa("0A00005000000000")}},
		{name: "not hex", lines: []string{syscallHead + "syscall=42 a0=3", sa("0200zz")}},
		{name: "unknown family", lines: []string{syscallHead + "syscall=42 a0=3", sa("11000000")}},
		{name: "unix socket without the flag", lines: []string{syscallHead + "syscall=42 a0=3", sa("01002F746D702F7800")}},
		{name: "failed without exit", lines: []string{strings.Replace(syscallHead, "success=yes exit=0", "success=no", 1) + "syscall=42", sa("02000050")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.opts
			o.sockets = true
			var got []string
			o.rows(event(t, tt.lines...), 1, func(name string, r row) {
				got = append(got, pick(r, "action", "fd", "family", "local_address", "remote_address", "remote_port", "status", "success"))
			})
			var want []string
			if tt.want != "" {
				want = []string{tt.want}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUserEventRow(t *testing.T) {
	tests := []struct {
		line string
		want string
	}{
		{
			`1112 audit(1.0:9): pid=812 uid=0 auid=1000 ses=3 subj=unconfined msg='op=login id=1000 exe="/usr/sbin/sshd" hostname=10.0.0.5 addr=10.0.0.5 terminal=/dev/pts/1 res=success'`,
			"uid=0 auid=1000 pid=812 message=op=login type=1112 path=/usr/sbin/sshd address=10.0.0.5 terminal=/dev/pts/1 uptime=1",
		},
		{
			`1100 audit(1.0:9): pid=1 uid=0 auid=4294967295 ses=4294967295 msg='op=PAM:authentication exe=2F7573722F62696E2F6120622063 terminal=ssh'`,
			"uid=0 auid=4294967295 pid=1 message=op=PAM:authentication type=1100 path=/usr/bin/a b c address= terminal=ssh uptime=1",
		},
		{
			`1107 audit(1.0:9): pid=x msg=`,
			"type=1107 path= address= terminal= uptime=1",
		},
	}
	o := auditOptions{user: true}
	for _, tt := range tests {
		var got []string
		o.rows(event(t, tt.line), 1, func(name string, r row) { got = append(got, show(r)) })
		if diff := cmp.Diff([]string{tt.want}, got); diff != "" {
			t.Errorf("%s: rows (-want +got):\n%s", tt.line, diff)
		}
	}
	// Without the subscriber, nothing.
	var n int
	(&auditOptions{}).rows(event(t, tests[0].line), 1, func(string, row) { n++ })
	if n != 0 {
		t.Errorf("user_events off gave %d rows", n)
	}
}

func TestAuditAssembler(t *testing.T) {
	rec := func(typ uint16, id string) auditRecord { return auditRecord{typ: typ, id: id} }
	a := newAuditAssembler()
	now := time.Unix(100, 0)
	if _, ok := a.push(rec(auditEOE, "1.0:1"), now); ok {
		t.Error("EOE without SYSCALL completed an event")
	}
	if _, ok := a.push(rec(auditCwd, "1.0:1"), now); ok {
		t.Error("CWD without SYSCALL completed an event")
	}
	a.push(rec(auditSyscall, "1.0:2"), now)
	a.push(rec(auditCwd, "1.0:2"), now)
	a.push(rec(auditSyscall, "1.0:3"), now) // never ends
	ev, ok := a.push(rec(auditEOE, "1.0:2"), now)
	if !ok || len(ev.records) != 2 {
		t.Fatalf("event 2 = %+v, %v", ev, ok)
	}
	if _, ok := a.push(rec(auditFirstUserMsg+12, "1.0:4"), now); !ok {
		t.Error("a user message is an event by itself")
	}
	a.push(rec(auditSyscall, "1.0:5"), now.Add(2*time.Minute))
	a.push(rec(auditEOE, "1.0:5"), now.Add(2*time.Minute))
	if _, ok := a.inflight["1.0:3"]; ok || a.dropped != 1 {
		t.Errorf("an event without EOE was kept after maxAge (dropped %d)", a.dropped)
	}
	a.maxInflight = 10
	for i := range 25 {
		a.push(rec(auditSyscall, "9.0:"+strconv.Itoa(i)), now.Add(time.Duration(i)*time.Millisecond))
	}
	if len(a.inflight) > 10 {
		t.Errorf("%d events in flight, limit 10", len(a.inflight))
	}
}

func FuzzParseAuditRecord(f *testing.F) {
	f.Add(uint16(auditSyscall), []byte(syscallHead+"syscall=59"))
	f.Add(uint16(auditExecve), []byte(`audit(1.0:7): argc=2 a0="x" a1_len=8 a1[0]=61626364 a1[1]="efgh"`))
	f.Add(uint16(auditSockaddr), []byte(`audit(1.0:7): saddr=0A000050000000002A0014504001080A000000000000200E00000000`))
	f.Add(uint16(1100), []byte(`audit(1.0:9): pid=812 uid=0 msg='op=login exe="/usr/sbin/sshd" terminal=/dev/pts/1 res=success'`))
	f.Add(uint16(auditCwd), []byte("audit(1.0:7): cwd=\"a\x00b"))
	o := auditOptions{process: true, sockets: true, user: true, failedSockets: true, unixSockets: true, nullAccept: true, stat: fakeStat}
	cwd, _ := parseAuditRecord(auditCwd, []byte(`audit(1.0:7): cwd="/"`))
	f.Fuzz(func(t *testing.T, typ uint16, data []byte) {
		rec, err := parseAuditRecord(typ, data)
		if err != nil {
			return
		}
		for _, fl := range rec.fields {
			auditText(fl.value)
		}
		// The record in every role of an event: none may panic.
		head, _ := parseAuditRecord(auditSyscall, []byte(syscallHead+"syscall=59 a0=3"))
		sock, _ := parseAuditRecord(auditSyscall, []byte(syscallHead+"syscall=42 a0=3"))
		for _, typ := range []uint16{auditExecve, auditPath, auditSockaddr, auditCwd} {
			r := rec
			r.typ = typ
			o.rows(auditEvent{records: []auditRecord{head, r, cwd}}, 1, func(string, row) {})
			o.rows(auditEvent{records: []auditRecord{sock, r}}, 1, func(string, row) {})
		}
		r := rec
		r.typ = auditSyscall
		o.rows(auditEvent{records: []auditRecord{r, rec, cwd}}, 1, func(string, row) {})
		r.typ = auditFirstUserMsg
		o.rows(auditEvent{records: []auditRecord{r}}, 1, func(string, row) {})
	})
}
