package events

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/osaudit/osaudit/table"
)

// Audit record types (linux/audit.h) the publisher reads.
const (
	auditGet          = 1000
	auditFirstUserMsg = 1100
	auditLastUserMsg  = 1199
	auditSyscall      = 1300
	auditPath         = 1302
	auditSockaddr     = 1306
	auditCwd          = 1307
	auditExecve       = 1309
	auditEOE          = 1320
)

// Limits on what one record may hold; the kernel's own limit is 8970 bytes.
const (
	maxAuditRecord = 1 << 16
	maxAuditFields = 1024
	maxExecveArgs  = 1 << 16
)

// auditRecord is one record of the audit stream: a type, the id that the
// records of one event share ("1364475353.159:24270": time and serial), and
// its key=value fields in order, values as the kernel wrote them (quoted,
// hex-encoded or bare).
type auditRecord struct {
	typ    uint16
	id     string
	fields []auditField
}

type auditField struct{ key, value string }

var errAuditHeader = errors.New("no audit(...) header")

// parseAuditRecord parses the text of one audit netlink message, such as
//
//	audit(1502125323.756:6): arch=c000003e syscall=59 success=yes exe="/usr/bin/sh" ...
//
// Values keep their quotes, as osquery's parser keeps them; the row builders
// decode them. A key repeated in a record keeps its first value.
func parseAuditRecord(typ uint16, data []byte) (auditRecord, error) {
	r := auditRecord{typ: typ}
	if len(data) > maxAuditRecord {
		return r, fmt.Errorf("audit record of %d bytes", len(data))
	}
	data = bytes.TrimRight(data, "\x00\n")
	if !bytes.HasPrefix(data, []byte("audit(")) {
		return r, errAuditHeader
	}
	end := bytes.Index(data, []byte("):"))
	if end < 0 {
		return r, errAuditHeader
	}
	r.id = string(data[len("audit("):end])
	if !validAuditID(r.id) {
		return r, fmt.Errorf("bad audit id %q", r.id)
	}
	s := string(data[end+2:])
	for i := 0; i < len(s); {
		for i < len(s) && s[i] == ' ' {
			i++
		}
		start := i
		for i < len(s) && s[i] != '=' && s[i] != ' ' {
			i++
		}
		key := s[start:i]
		if i >= len(s) || s[i] == ' ' {
			if key != "" {
				r.add(key, "")
			}
			continue
		}
		i++ // '='
		start = i
		if i < len(s) && s[i] == '"' {
			j := strings.IndexByte(s[i+1:], '"')
			if j < 0 {
				i = len(s)
			} else {
				i += j + 2
			}
		} else {
			for i < len(s) && s[i] != ' ' {
				i++
			}
		}
		if key != "" {
			r.add(key, s[start:i])
		}
		if len(r.fields) > maxAuditFields {
			return r, fmt.Errorf("audit record with more than %d fields", maxAuditFields)
		}
	}
	return r, nil
}

// validAuditID checks "seconds.millis:serial".
func validAuditID(id string) bool {
	t, serial, ok := strings.Cut(id, ":")
	sec, ms, ok2 := strings.Cut(t, ".")
	return ok && ok2 && isDigits(sec) && isDigits(ms) && isDigits(serial)
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func (r *auditRecord) add(key, value string) {
	if _, dup := r.get(key); !dup {
		r.fields = append(r.fields, auditField{key, value})
	}
}

func (r *auditRecord) get(key string) (string, bool) {
	for _, f := range r.fields {
		if f.key == key {
			return f.value, true
		}
	}
	return "", false
}

// auditText decodes a value as the kernel encodes strings: quoted when
// plain, hex when it holds spaces, quotes or control bytes. Other bare
// values ("(null)", "?") are returned as they are.
func auditText(raw string) string {
	if len(raw) >= 2 && raw[0] == '"' && raw[len(raw)-1] == '"' {
		return raw[1 : len(raw)-1]
	}
	if len(raw) >= 2 && len(raw)%2 == 0 && isHex(raw) {
		if b, err := hex.DecodeString(raw); err == nil {
			return string(b)
		}
	}
	return raw
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// int reads a decimal field; unset ids (4294967295) stay as they are, as
// osquery reports them.
func (r *auditRecord) int(key string) (int64, bool) {
	v, ok := r.get(key)
	if !ok {
		return 0, false
	}
	if u, err := strconv.ParseUint(v, 10, 64); err == nil {
		return int64(u), true
	}
	i, err := strconv.ParseInt(v, 10, 64)
	return i, err == nil
}

// auditEvent is the records of one event, SYSCALL first for syscall events.
type auditEvent struct {
	records []auditRecord
	started time.Time
}

func (e *auditEvent) record(typ uint16) *auditRecord {
	for i := range e.records {
		if e.records[i].typ == typ {
			return &e.records[i]
		}
	}
	return nil
}

// auditAssembler groups records into events: a syscall event starts with its
// SYSCALL record and ends with EOE; a user message is an event by itself.
// Events that never see their EOE are dropped after maxAge.
type auditAssembler struct {
	inflight    map[string]*auditEvent
	maxAge      time.Duration
	maxInflight int
	dropped     int
}

func newAuditAssembler() *auditAssembler {
	return &auditAssembler{inflight: map[string]*auditEvent{}, maxAge: time.Minute, maxInflight: 4096}
}

// push adds a record and returns the event it completes, if any.
func (a *auditAssembler) push(r auditRecord, now time.Time) (auditEvent, bool) {
	switch {
	case r.typ >= auditFirstUserMsg && r.typ <= auditLastUserMsg:
		return auditEvent{records: []auditRecord{r}, started: now}, true
	case r.typ == auditSyscall:
		if len(a.inflight) >= a.maxInflight {
			a.sweep(now, true)
		}
		a.inflight[r.id] = &auditEvent{records: []auditRecord{r}, started: now}
	case r.typ == auditEOE:
		e, ok := a.inflight[r.id]
		if !ok {
			return auditEvent{}, false
		}
		delete(a.inflight, r.id)
		a.sweep(now, false)
		return *e, true
	default:
		if e, ok := a.inflight[r.id]; ok && len(e.records) < 64 {
			e.records = append(e.records, r)
		}
	}
	return auditEvent{}, false
}

// sweep drops the events older than maxAge, or with force the older half.
func (a *auditAssembler) sweep(now time.Time, force bool) {
	if force {
		ids := make([]string, 0, len(a.inflight))
		for id := range a.inflight {
			ids = append(ids, id)
		}
		sort.Slice(ids, func(i, j int) bool { return a.inflight[ids[i]].started.Before(a.inflight[ids[j]].started) })
		for _, id := range ids[:len(ids)/2+1] {
			delete(a.inflight, id)
			a.dropped++
		}
		return
	}
	for id, e := range a.inflight {
		if now.Sub(e.started) > a.maxAge {
			delete(a.inflight, id)
			a.dropped++
		}
	}
}

// auditOptions say which rows the publisher makes from audit events.
type auditOptions struct {
	process, sockets, user bool
	failedSockets          bool // --audit_allow_failed_socket_events
	nullAccept             bool // --audit_allow_null_accept_socket_events
	unixSockets            bool // --audit_allow_unix
	// self is the agent's own executable: its syscalls are not reported.
	self string
	// stat returns the times of an executable, for process_events.
	stat func(path string) (atime, mtime, ctime int64, ok bool)
}

// socketSyscall reports whether a syscall is one socket_events records;
// those are kept even when they failed, so that their status can be told.
func socketSyscall(name string) bool {
	switch name {
	case "bind", "connect", "accept", "accept4":
		return true
	}
	return false
}

// syscallInfo is what every syscall row needs from the SYSCALL record.
type syscallInfo struct {
	name    string
	success bool
	exe     string
	rec     *auditRecord
}

// syscallOf validates an event's SYSCALL record as osquery's publisher
// does: every id field must be a number.
func syscallOf(e *auditEvent) (syscallInfo, bool) {
	rec := e.record(auditSyscall)
	if rec == nil {
		return syscallInfo{}, false
	}
	exe, ok := rec.get("exe")
	if !ok {
		return syscallInfo{}, false
	}
	num, ok := rec.int("syscall")
	if !ok {
		return syscallInfo{}, false
	}
	for _, k := range []string{"pid", "ppid", "uid", "auid", "euid", "fsuid", "suid", "gid", "egid", "fsgid", "sgid"} {
		if _, ok := rec.int(k); !ok {
			return syscallInfo{}, false
		}
	}
	success := true
	if s, ok := rec.get("success"); ok {
		success = s == "yes"
	}
	arch, _ := rec.get("arch")
	return syscallInfo{name: syscallName(arch, num), success: success, exe: auditText(exe), rec: rec}, true
}

// rows turns one audit event into rows of process_events, socket_events
// and user_events; emit receives each with its table's name.
func (o *auditOptions) rows(e auditEvent, uptime int64, emit func(name string, r row)) {
	if len(e.records) == 0 {
		return
	}
	if t := e.records[0].typ; t >= auditFirstUserMsg && t <= auditLastUserMsg {
		if o.user {
			emit(tableUserEvents, userEventRow(&e.records[0], uptime))
		}
		return
	}
	sc, ok := syscallOf(&e)
	if !ok || (o.self != "" && sc.exe == o.self) {
		return
	}
	switch {
	case o.process && sc.success && (sc.name == "execve" || sc.name == "execveat"):
		if r, ok := o.processEventRow(&e, sc, uptime); ok {
			emit(tableProcessEvents, r)
		}
	case o.sockets && socketSyscall(sc.name):
		if r, ok := o.socketEventRow(&e, sc, uptime); ok {
			emit(tableSocketEvents, r)
		}
	}
}

// processEventRow builds a process_events row from an execve or execveat
// event: ids from SYSCALL, the command line from EXECVE, the working
// directory from CWD and the executable's mode and owner from the first
// PATH record. An event without them is skipped, as osquery skips it.
func (o *auditOptions) processEventRow(e *auditEvent, sc syscallInfo, uptime int64) (row, bool) {
	r := schemaOf(tableProcessEvents).newRow()
	rec := sc.rec
	r.set("uptime", table.Int(uptime))
	for _, k := range []string{"auid", "uid", "euid", "fsuid", "suid", "gid", "egid", "fsgid", "sgid"} {
		v, _ := rec.int(k)
		r.set(k, table.Int(v))
	}
	r.set("syscall", table.Text(sc.name))
	r.set("path", table.Text(sc.exe))
	pid, _ := rec.int("pid")
	ppid, _ := rec.int("ppid")
	r.set("pid", table.Int(pid))
	r.set("parent", table.Int(ppid))
	r.set("overflows", table.Text(""))
	r.set("env", table.Text(""))
	r.set("env_size", table.Int(0))
	r.set("env_count", table.Int(0))

	cwd := e.record(auditCwd)
	if cwd == nil {
		return r, false
	}
	cwdText, _ := cwd.get("cwd")
	r.set("cwd", table.Text(auditText(cwdText)))

	args, ok := execveArgs(e)
	if !ok {
		return r, false
	}
	cmdline := strings.Join(args, " ")
	r.set("cmdline", table.Text(cmdline))
	r.set("cmdline_size", table.Int(int64(len(cmdline))))

	path := e.record(auditPath)
	if path == nil {
		return r, false
	}
	mode, _ := path.get("mode")
	r.set("mode", table.Text(mode))
	ouid, ok := path.int("ouid")
	if !ok {
		ouid = 0
	}
	ogid, ok := path.int("ogid")
	if !ok {
		ogid = 0
	}
	r.set("owner_uid", table.Int(ouid))
	r.set("owner_gid", table.Int(ogid))

	if o.stat != nil {
		if at, mt, ct, ok := o.stat(sc.exe); ok {
			r.set("atime", table.Int(at))
			r.set("mtime", table.Int(mt))
			r.set("ctime", table.Int(ct))
			r.set("btime", table.Int(0))
		} else {
			r.set("atime", table.Int(0))
			r.set("mtime", table.Int(0))
			r.set("ctime", table.Int(0))
		}
	}
	return r, true
}

// execveArgs reads the arguments of an event's EXECVE records, in order.
// The kernel splits a long argument into aN[0], aN[1]... (after aN_len) and
// many arguments over several EXECVE records. Values are decoded from
// quotes or hex.
func execveArgs(e *auditEvent) ([]string, bool) {
	type part struct {
		idx   int
		chunk int // -1 for a whole argument
		text  string
	}
	var parts []part
	found := false
	for i := range e.records {
		rec := &e.records[i]
		if rec.typ != auditExecve {
			continue
		}
		found = true
		for _, f := range rec.fields {
			if f.key == "argc" || !strings.HasPrefix(f.key, "a") || strings.HasSuffix(f.key, "_len") {
				continue
			}
			name, chunkText, chunked := strings.Cut(f.key[1:], "[")
			idx, err := strconv.Atoi(name)
			if err != nil || idx < 0 || idx >= maxExecveArgs {
				continue
			}
			chunk := -1
			if chunked {
				c, err := strconv.Atoi(strings.TrimSuffix(chunkText, "]"))
				if err != nil || c < 0 {
					continue
				}
				chunk = c
			}
			parts = append(parts, part{idx, chunk, f.value})
		}
	}
	if !found {
		return nil, false
	}
	sort.SliceStable(parts, func(i, j int) bool {
		if parts[i].idx != parts[j].idx {
			return parts[i].idx < parts[j].idx
		}
		return parts[i].chunk < parts[j].chunk
	})
	var args []string
	for i := 0; i < len(parts); {
		j := i
		var arg strings.Builder
		for ; j < len(parts) && parts[j].idx == parts[i].idx; j++ {
			arg.WriteString(auditText(parts[j].text)) // each chunk is encoded by itself
		}
		args = append(args, arg.String())
		i = j
	}
	return args, true
}

// Negative exits that socket_events tells apart from failures.
const (
	errnoEAGAIN      = 11
	errnoEINPROGRESS = 115
)

// socketEventRow builds a socket_events row from a bind, connect, accept or
// accept4 event, with osquery's status values: succeeded, failed,
// in_progress (a non-blocking connect) and no_client (a non-blocking
// accept with nobody waiting).
func (o *auditOptions) socketEventRow(e *auditEvent, sc syscallInfo, uptime int64) (row, bool) {
	r := schemaOf(tableSocketEvents).newRow()
	rec := sc.rec
	action := sc.name
	if action == "accept4" {
		action = "accept"
	}
	r.set("action", table.Text(action))
	status := "succeeded"
	if !sc.success {
		status = "failed"
		exit, ok := rec.int("exit")
		if !ok {
			return r, false
		}
		switch {
		case action == "connect" && exit == -errnoEINPROGRESS:
			status = "in_progress"
		case action == "accept" && exit == -errnoEAGAIN && o.nullAccept:
			status = "no_client"
		}
	}
	if status == "failed" && !o.failedSockets {
		return r, false
	}
	r.set("status", table.Text(status))
	r.set("success", table.Bool(status != "failed"))

	sa := e.record(auditSockaddr)
	if sa == nil {
		return r, false
	}
	saddr, _ := sa.get("saddr")
	if len(saddr) < 4 || strings.HasPrefix(saddr, "10") { // AF_NETLINK: routing chatter
		return r, false
	}
	auid, _ := rec.int("auid")
	pid, _ := rec.int("pid")
	fd, _ := rec.get("a0")
	r.set("auid", table.Int(auid))
	r.set("pid", table.Int(pid))
	r.set("fd", table.Text(fd))
	r.set("path", table.Text(sc.exe))
	r.set("uptime", table.Int(uptime))
	r.set("protocol", table.Int(0)) // the audit record does not say
	r.set("local_port", table.Int(0))
	r.set("remote_port", table.Int(0))
	isUnix, ok := parseSockaddr(saddr, r)
	if !ok || (isUnix && !o.unixSockets) {
		return r, false
	}
	return r, true
}

// parseSockaddr fills the address columns from a SOCKADDR record's saddr,
// the hex dump of a struct sockaddr: the local side for bind, the remote
// side otherwise, "0" for the side the record does not give.
func parseSockaddr(saddr string, r row) (isUnix bool, ok bool) {
	addrCol, portCol := "remote_address", "remote_port"
	if r.get("action").String() == "bind" {
		addrCol, portCol = "local_address", "local_port"
		r.set("remote_address", table.Text("0"))
		r.set("remote_port", table.Int(0))
	} else {
		r.set("local_address", table.Text("0"))
		r.set("local_port", table.Int(0))
	}
	b, err := hex.DecodeString(saddr)
	if err != nil || len(b) < 2 {
		return false, false
	}
	switch family := int(b[0]) | int(b[1])<<8; family {
	case 2: // AF_INET
		if len(b) < 8 {
			return false, false
		}
		r.set("family", table.Int(2))
		r.set(portCol, table.Int(int64(b[2])<<8|int64(b[3])))
		r.set(addrCol, table.Text(fmt.Sprintf("%d.%d.%d.%d", b[4], b[5], b[6], b[7])))
	case 10: // AF_INET6, written in full as osquery writes it
		if len(b) < 24 {
			return false, false
		}
		r.set("family", table.Int(10))
		r.set(portCol, table.Int(int64(b[2])<<8|int64(b[3])))
		groups := make([]string, 8)
		for i := range groups {
			groups[i] = hex.EncodeToString(b[8+2*i : 10+2*i])
		}
		r.set(addrCol, table.Text(strings.Join(groups, ":")))
	case 1: // AF_UNIX: the socket's path; an abstract name loses its NUL
		if len(b) < 3 {
			return false, false
		}
		r.set("family", table.Int(1))
		name := b[2:]
		if name[0] == 0 {
			name = name[1:]
		}
		if i := bytes.IndexByte(name, 0); i >= 0 {
			name = name[:i]
		}
		r.set("socket", table.Text(string(name)))
		return true, true
	default:
		return false, false
	}
	return false, true
}

// userEventRow builds a user_events row from one AUDIT_USER_* record. As in
// osquery, message is the first word of the record's msg='...' (its op=...),
// and the other columns come from the fields inside msg.
func userEventRow(rec *auditRecord, uptime int64) row {
	r := schemaOf(tableUserEvents).newRow()
	r.set("uptime", table.Int(uptime))
	r.set("type", table.Int(int64(rec.typ)))
	for _, k := range []string{"uid", "pid", "auid"} {
		if v, ok := rec.int(k); ok {
			r.set(k, table.Int(v))
		}
	}
	if v, ok := rec.get("terminal"); ok {
		r.set("terminal", table.Text(strings.TrimSuffix(v, "'")))
	} else {
		r.set("terminal", table.Text(""))
	}
	addr, _ := rec.get("addr")
	r.set("address", table.Text(strings.TrimSuffix(addr, "'")))
	exe, _ := rec.get("exe")
	r.set("path", table.Text(auditText(strings.TrimSuffix(exe, "'"))))
	if msg, _ := rec.get("msg"); len(msg) > 1 {
		r.set("message", table.Text(strings.TrimSuffix(msg[1:], "'")))
	}
	return r
}
