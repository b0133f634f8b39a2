package tables

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/osaudit/osaudit/hostfs"
	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("processes", func() *table.Table {
		return &table.Table{
			Name:        "processes",
			Description: "All running processes on the host system.",
			Platforms:   []string{"linux"},
			Attributes:  table.Cacheable,
			Columns: []table.Column{
				table.BigIntColumn("pid", table.Index, table.Optimized),
				table.TextColumn("name"),
				table.TextColumn("path"),
				table.TextColumn("cmdline"),
				table.TextColumn("state"),
				table.TextColumn("cwd"),
				table.TextColumn("root"),
				table.BigIntColumn("uid"),
				table.BigIntColumn("gid"),
				table.BigIntColumn("euid"),
				table.BigIntColumn("egid"),
				table.BigIntColumn("suid"),
				table.BigIntColumn("sgid"),
				table.IntegerColumn("on_disk"),
				table.BigIntColumn("wired_size"),
				table.BigIntColumn("resident_size"),
				table.BigIntColumn("total_size"),
				table.BigIntColumn("user_time"),
				table.BigIntColumn("system_time"),
				table.BigIntColumn("disk_bytes_read"),
				table.BigIntColumn("disk_bytes_written"),
				table.BigIntColumn("start_time"),
				table.BigIntColumn("parent"),
				table.BigIntColumn("pgroup"),
				table.IntegerColumn("threads"),
				table.IntegerColumn("nice"),
				table.TextColumn("cgroup_path"),
			},
			Generate: genProcesses,
		}
	})
}

// procSource is a set of per-process sources; a query reads only those its
// columns need.
type procSource uint16

const (
	srcStat procSource = 1 << iota
	srcStatus
	srcCmdline
	srcExe
	srcCwd
	srcRoot
	srcIO
	srcCgroup
)

func processSources(q *table.Query) procSource {
	var s procSource
	if q.Used("state", "parent", "pgroup", "user_time", "system_time", "nice", "threads", "start_time") {
		s |= srcStat
	}
	if q.Used("uid", "gid", "euid", "egid", "suid", "sgid", "resident_size", "total_size") {
		s |= srcStatus
	}
	if q.Used("name") && s&srcStatus == 0 {
		s |= srcStat // stat's comm is the same name, escaped as status escapes it
	}
	if q.Used("cmdline") {
		s |= srcCmdline
	}
	if q.Used("path", "on_disk") {
		s |= srcExe
	}
	if q.Used("cwd") {
		s |= srcCwd
	}
	if q.Used("root") {
		s |= srcRoot
	}
	if q.Used("disk_bytes_read", "disk_bytes_written") {
		s |= srcIO
	}
	if q.Used("cgroup_path") {
		s |= srcCgroup
	}
	return s
}

func genProcesses(q *table.Query, yield func(table.Row) bool) error {
	pids, err := listPIDs(q, "pid")
	if err != nil {
		q.Warn("cannot list processes", "err", err)
		return nil
	}
	src := processSources(q)
	boot := int64(-1)
	if q.Used("start_time") {
		if boot, err = readBootTime(q.Root()); err != nil {
			q.Warn("cannot read boot time; start_time is -1", "err", err)
			boot = -1
		}
	}
	readRows(q, len(pids), func(i int, scratch *[]byte) (table.Row, bool) {
		return readProcess(q, pids[i], src, boot, scratch)
	}, yield)
	return nil
}

// readProcess reads one process's row from the sources src names. A process
// that exited while being read yields no row.
func readProcess(q *table.Query, pid int64, src procSource, boot int64, scratch *[]byte) (table.Row, bool) {
	root := q.Root()
	dir := "/proc/" + strconv.FormatInt(pid, 10) + "/"
	r := q.NewRow()
	r.Set("pid", table.Int(pid))
	r.Set("wired_size", table.Int(0)) // Linux has no unpageable counter, as osquery says
	var err error
	if src&srcStat != 0 {
		*scratch, err = root.ReadInto(dir+"stat", *scratch)
		if err != nil {
			return r, false
		}
		st, err := parseProcStat(*scratch)
		if err != nil {
			q.Warn("skipping process", "pid", pid, "err", err)
			return r, false
		}
		r.Set("name", table.Text(st.name))
		r.Set("state", table.Text(st.state))
		r.Set("parent", table.Int(st.parent))
		r.Set("pgroup", table.Int(st.pgroup))
		r.Set("user_time", table.Int(st.utime*1000/clockTicks))
		r.Set("system_time", table.Int(st.stime*1000/clockTicks))
		r.Set("nice", table.Int(st.nice))
		r.Set("threads", table.Int(st.threads))
		if boot >= 0 {
			r.Set("start_time", table.Int(boot+st.starttime/clockTicks))
		} else {
			r.Set("start_time", table.Int(-1))
		}
	}
	if src&srcStatus != 0 {
		*scratch, err = root.ReadInto(dir+"status", *scratch)
		if err != nil {
			return r, false
		}
		st := parseProcStatus(*scratch)
		if st.name != "" {
			r.Set("name", table.Text(st.name))
		}
		setIDs(r, st.uids, "uid", "euid", "suid")
		setIDs(r, st.gids, "gid", "egid", "sgid")
		if st.rss >= 0 {
			r.Set("resident_size", table.Int(st.rss))
		}
		if st.vsize >= 0 {
			r.Set("total_size", table.Int(st.vsize))
		}
	}
	if src&srcCmdline != 0 {
		*scratch, err = root.ReadInto(dir+"cmdline", *scratch)
		if err == nil {
			r.Set("cmdline", table.Text(joinCmdline(*scratch)))
		}
	}
	if src&srcExe != 0 {
		path, _ := root.Readlink(dir + "exe")
		onDisk := exeOnDisk(root, dir, &path)
		r.Set("path", table.Text(path))
		r.Set("on_disk", table.Int(onDisk))
	}
	if src&srcCwd != 0 {
		cwd, _ := root.Readlink(dir + "cwd")
		r.Set("cwd", table.Text(cwd))
	}
	if src&srcRoot != 0 {
		rt, _ := root.Readlink(dir + "root")
		r.Set("root", table.Text(rt))
	}
	if src&srcIO != 0 {
		// io needs privileges for other users' processes: leave it NULL.
		if *scratch, err = root.ReadInto(dir+"io", *scratch); err == nil {
			read, written := parseProcIO(*scratch)
			if read >= 0 {
				r.Set("disk_bytes_read", table.Int(read))
			}
			if written >= 0 {
				r.Set("disk_bytes_written", table.Int(written))
			}
		}
	}
	if src&srcCgroup != 0 {
		if *scratch, err = root.ReadInto(dir+"cgroup", *scratch); err == nil {
			r.Set("cgroup_path", table.Text(parseProcCgroup(*scratch)))
		}
	}
	return r, true
}

func setIDs(r table.Row, ids []int64, real, effective, saved string) {
	if len(ids) < 3 {
		return
	}
	r.Set(real, table.Int(ids[0]))
	r.Set(effective, table.Int(ids[1]))
	r.Set(saved, table.Int(ids[2]))
}

// exeOnDisk computes osquery's on_disk: 1 if the executable exists, 0 if it
// was deleted, -1 if the path is unknown. The kernel appends " (deleted)"
// to the link of a deleted binary; that suffix is stripped from path unless
// a file really has that name and is the one mapped (osquery #1607).
func exeOnDisk(root *hostfs.Root, dir string, path *string) int64 {
	if *path == "" {
		return -1
	}
	const deleted = " (deleted)"
	if !strings.HasSuffix(*path, deleted) {
		if _, err := root.Stat(*path); err == nil {
			return 1
		}
		return 0
	}
	fi, err := root.Stat(*path)
	if err != nil {
		*path = strings.TrimSuffix(*path, deleted)
		return 0
	}
	maps, err := root.ReadFile(dir + "maps")
	if err != nil {
		return -1
	}
	inode, ok := mappedInode(maps, *path)
	if !ok {
		return -1
	}
	if ino, ok := fileInode(fi); ok && ino == inode {
		return 1
	}
	*path = strings.TrimSuffix(*path, deleted)
	return 0
}

// mappedInode finds the inode of path in a /proc/<pid>/maps text.
func mappedInode(maps []byte, path string) (uint64, bool) {
	re, err := regexp.Compile(`([0-9]+)[ \t]+` + regexp.QuoteMeta(path))
	if err != nil {
		return 0, false
	}
	m := re.FindSubmatch(maps)
	if m == nil {
		return 0, false
	}
	ino, err := strconv.ParseUint(string(m[1]), 10, 64)
	return ino, err == nil
}

// procStat holds the fields of /proc/<pid>/stat the table uses.
type procStat struct {
	name, state                        string
	parent, pgroup, utime, stime, nice int64
	threads, starttime                 int64
}

var errProcStat = errors.New("malformed /proc/<pid>/stat")

// parseProcStat parses /proc/<pid>/stat. The command name is between the
// first "(" and the last ")" and may itself hold spaces and parentheses.
func parseProcStat(b []byte) (procStat, error) {
	var st procStat
	open := bytes.IndexByte(b, '(')
	end := bytes.LastIndexByte(b, ')')
	if open < 0 || end < open || end+2 > len(b) {
		return st, errProcStat
	}
	st.name = escapeProcName(b[open+1 : end])
	rest := b[end+2:]
	// Fields after ") ": state ppid pgrp session tty tpgid flags minflt
	// cminflt majflt cmajflt utime stime cutime cstime priority nice
	// num_threads itrealvalue starttime ...
	var fields [20][]byte
	n := 0
	for len(rest) > 0 && n < len(fields) {
		i := bytes.IndexByte(rest, ' ')
		if i < 0 {
			fields[n] = bytes.TrimRight(rest, "\n")
			n++
			break
		}
		fields[n] = rest[:i]
		n++
		rest = rest[i+1:]
	}
	if n < len(fields) {
		return st, fmt.Errorf("%w: %d fields after the name", errProcStat, n)
	}
	st.state = string(fields[0])
	nums := []struct {
		dst *int64
		i   int
	}{{&st.parent, 1}, {&st.pgroup, 2}, {&st.utime, 11}, {&st.stime, 12}, {&st.nice, 16}, {&st.threads, 17}, {&st.starttime, 19}}
	for _, f := range nums {
		v, err := strconv.ParseInt(string(fields[f.i]), 10, 64)
		if err != nil {
			return st, fmt.Errorf("%w: field %d: %q", errProcStat, f.i, fields[f.i])
		}
		*f.dst = v
	}
	return st, nil
}

// escapeProcName writes a comm as /proc/<pid>/status's Name line does, so
// that the name does not depend on which file was read.
func escapeProcName(b []byte) string {
	if bytes.IndexByte(b, '\n') < 0 && bytes.IndexByte(b, '\\') < 0 {
		return string(b)
	}
	var s strings.Builder
	for _, c := range b {
		switch c {
		case '\n':
			s.WriteString(`\n`)
		case '\\':
			s.WriteString(`\\`)
		default:
			s.WriteByte(c)
		}
	}
	return s.String()
}

// procStatus holds the fields of /proc/<pid>/status the table uses; sizes
// are -1 when absent (kernel threads have none).
type procStatus struct {
	name       string
	uids, gids []int64
	rss, vsize int64
}

// parseProcStatus parses /proc/<pid>/status. Unknown or malformed lines are
// skipped.
func parseProcStatus(b []byte) procStatus {
	st := procStatus{rss: -1, vsize: -1}
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		key, val, ok := bytes.Cut(line, []byte{':'})
		if !ok {
			continue
		}
		switch string(key) {
		case "Name":
			st.name = string(bytes.TrimSpace(val))
		case "Uid":
			st.uids = parseIDList(val)
		case "Gid":
			st.gids = parseIDList(val)
		case "VmRSS":
			st.rss = parseKB(val)
		case "VmSize":
			st.vsize = parseKB(val)
		}
	}
	return st
}

func parseIDList(b []byte) []int64 {
	var ids []int64
	for f := range bytes.FieldsSeq(b) {
		id, err := strconv.ParseInt(string(f), 10, 64)
		if err != nil {
			return nil
		}
		ids = append(ids, id)
	}
	return ids
}

// parseKB reads "  1234 kB" as bytes; -1 if malformed.
func parseKB(b []byte) int64 {
	f := bytes.Fields(b)
	if len(f) == 0 {
		return -1
	}
	v, err := strconv.ParseInt(string(f[0]), 10, 64)
	if err != nil || v < 0 || v > 1<<53 {
		return -1
	}
	if len(f) > 1 && !bytes.EqualFold(f[1], []byte("kB")) {
		return -1
	}
	return v * 1024
}

// joinCmdline turns the NUL-separated /proc/<pid>/cmdline into one line,
// as osquery does: NULs become spaces and the ends are trimmed.
func joinCmdline(b []byte) string {
	s := []byte(string(b)) // copy: b is the worker's scratch buffer
	for i, c := range s {
		if c == 0 {
			s[i] = ' '
		}
	}
	return string(bytes.TrimSpace(s))
}

// parseProcIO returns read_bytes and write_bytes minus
// cancelled_write_bytes, as osquery reports them; -1 when absent.
func parseProcIO(b []byte) (read, written int64) {
	read, written = -1, -1
	cancelled := int64(0)
	for line := range bytes.SplitSeq(b, []byte{'\n'}) {
		key, val, ok := bytes.Cut(line, []byte{':'})
		if !ok {
			continue
		}
		v, err := strconv.ParseInt(string(bytes.TrimSpace(val)), 10, 64)
		if err != nil {
			continue
		}
		switch string(key) {
		case "read_bytes":
			read = v
		case "write_bytes":
			written = v
		case "cancelled_write_bytes":
			cancelled = v
		}
	}
	if written >= 0 {
		written -= cancelled
	}
	return read, written
}

// parseProcCgroup returns the path of the first line of /proc/<pid>/cgroup
// ("0::/user.slice" in cgroup v2, "2:cpu:/user.slice" in v1).
func parseProcCgroup(b []byte) string {
	line, _, _ := bytes.Cut(b, []byte{'\n'})
	_, rest, ok := bytes.Cut(line, []byte{':'})
	if !ok {
		return ""
	}
	_, path, ok := bytes.Cut(rest, []byte{':'})
	if !ok {
		return ""
	}
	return string(path)
}
