package tables

import (
	"bufio"
	"bytes"
	"io"
	"strconv"

	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("process_memory_map", func() *table.Table {
		return &table.Table{
			Name:        "process_memory_map",
			Description: "Process memory mapped files and pseudo device/regions.",
			Platforms:   []string{"linux"},
			Columns: []table.Column{
				table.IntegerColumn("pid", table.Index, table.Optimized),
				table.TextColumn("start"),
				table.TextColumn("end"),
				table.TextColumn("permissions"),
				table.BigIntColumn("offset"),
				table.TextColumn("device"),
				table.IntegerColumn("inode"),
				table.TextColumn("path"),
				table.IntegerColumn("pseudo"),
			},
			Generate: genProcessMemoryMap,
		}
	})
}

// genProcessMemoryMap reads /proc/<pid>/maps of each process. Other users'
// maps need privileges; those processes give no rows.
func genProcessMemoryMap(q *table.Query, yield func(table.Row) bool) error {
	pids, err := listPIDs(q, "pid")
	if err != nil {
		q.Warn("cannot list processes", "err", err)
		return nil
	}
	for _, pid := range pids {
		if q.Context().Err() != nil {
			return nil
		}
		path := "/proc/" + strconv.FormatInt(pid, 10) + "/maps"
		f, err := q.Root().Open(path)
		if err != nil {
			continue
		}
		regions, bad, err := parseProcMaps(f)
		f.Close()
		if err != nil {
			q.Warn("cannot read memory map", "path", path, "err", err)
		}
		if bad > 0 {
			q.Warn("skipped malformed memory map lines", "path", path, "lines", bad)
		}
		for _, m := range regions {
			r := q.NewRow()
			r.Set("pid", table.Int(pid))
			r.Set("start", table.Text(m.start))
			r.Set("end", table.Text(m.end))
			r.Set("permissions", table.Text(m.perms))
			r.Set("offset", table.Int(m.offset))
			r.Set("device", table.Text(m.device))
			if m.inodeOK {
				r.Set("inode", table.Int(m.inode))
			}
			r.Set("path", table.Text(m.path))
			r.Set("pseudo", table.Bool(m.pseudo))
			if !yield(r) {
				return nil
			}
		}
	}
	return nil
}

// procMapRegion is one line of /proc/<pid>/maps.
type procMapRegion struct {
	start, end, perms, device, path string
	offset, inode                   int64
	inodeOK, pseudo                 bool
}

// maxProcMapsLine bounds a maps line: the path is at most PATH_MAX.
const maxProcMapsLine = 64 << 10

// parseProcMaps parses /proc/<pid>/maps lines "start-end perms offset dev
// inode [path]". As in osquery, start and end get a "0x" prefix, a
// malformed offset is -1, the path is "" for anonymous mappings, and pseudo
// is 1 for named regions without an inode ([heap], [stack], [vdso]...).
// osquery keeps only the first word of the path; the whole path is kept
// here, so "/tmp/x (deleted)" stays as the kernel wrote it. Lines with
// fewer than five fields or without a start-end range are skipped and
// counted in bad.
func parseProcMaps(r io.Reader) (regions []procMapRegion, bad int, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxProcMapsLine)
	for sc.Scan() {
		line := bytes.Trim(sc.Bytes(), " \t\r")
		if len(line) == 0 {
			continue
		}
		f := procNetFields(line)
		if len(f) < 5 {
			bad++
			continue
		}
		addrs := bytes.FieldsFunc(f[0], func(c rune) bool { return c == '-' })
		if len(addrs) < 2 {
			bad++
			continue
		}
		m := procMapRegion{
			start:  "0x" + string(addrs[0]),
			end:    "0x" + string(addrs[1]),
			perms:  string(f[1]),
			device: string(f[3]),
			offset: -1,
		}
		if off, err := strconv.ParseInt(string(f[2]), 16, 64); err == nil {
			m.offset = off
		}
		if ino, err := strconv.ParseInt(string(f[4]), 10, 64); err == nil {
			m.inode, m.inodeOK = ino, true
		}
		if len(f) > 5 {
			m.path = string(procNetFieldRest(line, 5))
		}
		m.pseudo = string(f[4]) == "0" && m.path != ""
		regions = append(regions, m)
	}
	return regions, bad, sc.Err()
}
