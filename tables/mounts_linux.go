package tables

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"syscall"

	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("mounts", func() *table.Table {
		return &table.Table{
			Name:        "mounts",
			Description: "System mounted devices and filesystems (not process specific).",
			Platforms:   []string{"linux"},
			Columns: []table.Column{
				table.TextColumn("device"),
				table.TextColumn("device_alias"),
				table.TextColumn("path"),
				table.TextColumn("type"),
				table.BigIntColumn("blocks_size"),
				table.BigIntColumn("blocks"),
				table.BigIntColumn("blocks_free"),
				table.BigIntColumn("blocks_available"),
				table.BigIntColumn("inodes"),
				table.BigIntColumn("inodes_free"),
				table.TextColumn("flags"),
			},
			Generate: genMounts,
		}
	})
}

// mountEntry is one line of /proc/mounts.
type mountEntry struct {
	device, path, fsType, options string
}

// mountStatfs holds the statfs(2) numbers of one mount point. It is also
// the JSON encoding of the "statfs" kernel fact: an object that maps each
// mount path to {"bsize":..,"blocks":..,"bfree":..,"bavail":..,"files":..,
// "ffree":..}; a path missing from it is a statfs that failed.
type mountStatfs struct {
	Bsize  int64  `json:"bsize"`
	Blocks uint64 `json:"blocks"`
	Bfree  uint64 `json:"bfree"`
	Bavail uint64 `json:"bavail"`
	Files  uint64 `json:"files"`
	Ffree  uint64 `json:"ffree"`
}

// mountsStatfsFact is the kernel fact that holds the statfs numbers; see
// mountStatfs for its format.
const mountsStatfsFact = "statfs"

// genMounts reports /proc/mounts with statfs(2) numbers for each mount
// point. Like osquery it skips statfs on autofs mounts (it would trigger the
// mount) and reports zeros where statfs is skipped or fails. Unlike osquery
// 5.23.1, which truncated the counts to 32 bits (fixed upstream after that
// release), the numbers are reported whole.
func genMounts(q *table.Query, yield func(table.Row) bool) error {
	root := q.Root()
	f, err := root.Open("/proc/mounts")
	if err != nil {
		q.Warn("cannot read /proc/mounts", "err", err)
		return nil
	}
	mounts, bad, err := parseProcMounts(f)
	f.Close()
	if err != nil {
		q.Warn("cannot read /proc/mounts", "err", err)
	}
	if bad > 0 {
		q.Warn("skipped malformed /proc/mounts lines", "count", bad)
	}
	var stats map[string]mountStatfs
	if q.Used("blocks_size", "blocks", "blocks_free", "blocks_available", "inodes", "inodes_free") {
		raw, err := root.Kernel(mountsStatfsFact, func() ([]byte, error) { return liveMountsStatfs(mounts) })
		if err == nil {
			stats, err = parseMountsStatfs(raw)
		}
		if err != nil {
			q.Warn("no statfs data; block and inode counts are 0", "err", err)
		}
	}
	aliases := map[string]string{}
	for _, m := range mounts {
		if q.Context().Err() != nil {
			return nil
		}
		r := q.NewRow()
		r.Set("device", table.Text(m.device))
		r.Set("path", table.Text(m.path))
		r.Set("type", table.Text(m.fsType))
		r.Set("flags", table.Text(m.options))
		if q.Used("device_alias") {
			alias, ok := aliases[m.device]
			if !ok {
				alias = mountDeviceAlias(q, m.device)
				aliases[m.device] = alias
			}
			r.Set("device_alias", table.Text(alias))
		}
		st := stats[m.path] // zero when skipped or failed
		if m.fsType == "autofs" {
			st = mountStatfs{}
		}
		r.Set("blocks_size", table.Int(st.Bsize))
		r.Set("blocks", table.Uint(st.Blocks))
		r.Set("blocks_free", table.Uint(st.Bfree))
		r.Set("blocks_available", table.Uint(st.Bavail))
		r.Set("inodes", table.Uint(st.Files))
		r.Set("inodes_free", table.Uint(st.Ffree))
		if !yield(r) {
			return nil
		}
	}
	return nil
}

// mountDeviceAlias is osquery's canonicalize_file_name: the device with
// symlinks resolved (/dev/mapper/vg-root -> /dev/dm-1), or the device itself
// when it does not resolve. A relative name ("proc", "tmpfs") is resolved
// from "/", the working directory of osqueryd as a service, so "proc"
// becomes "/proc".
func mountDeviceAlias(q *table.Query, device string) string {
	if device == "" {
		return device
	}
	if p, ok := storageRealpath(q.Root(), device); ok {
		return p
	}
	return device
}

// liveMountsStatfs calls statfs(2) on each mount point except autofs ones
// and encodes the results as the statfs kernel fact.
func liveMountsStatfs(mounts []mountEntry) ([]byte, error) {
	out := map[string]mountStatfs{}
	for _, m := range mounts {
		if m.fsType == "autofs" {
			continue
		}
		if _, done := out[m.path]; done {
			continue
		}
		var st syscall.Statfs_t
		if err := syscall.Statfs(m.path, &st); err != nil {
			continue
		}
		out[m.path] = mountStatfs{Bsize: int64(st.Bsize), Blocks: st.Blocks, Bfree: st.Bfree, Bavail: st.Bavail, Files: st.Files, Ffree: st.Ffree}
	}
	return json.Marshal(out)
}

// parseMountsStatfs decodes the statfs kernel fact.
func parseMountsStatfs(b []byte) (map[string]mountStatfs, error) {
	var out map[string]mountStatfs
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("statfs fact: %w", err)
	}
	return out, nil
}

// parseProcMounts parses /proc/mounts as getmntent(3) does: whitespace
// separated fields with octal escapes (\040 for a space...). Blank and
// comment lines are ignored; lines with fewer than three fields are counted
// in bad and skipped.
func parseProcMounts(r io.Reader) (mounts []mountEntry, bad int, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		line := bytes.TrimLeft(sc.Bytes(), " \t")
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		f := strings.Fields(string(line))
		if len(f) < 3 {
			bad++
			continue
		}
		m := mountEntry{device: unescapeMountField(f[0]), path: unescapeMountField(f[1]), fsType: unescapeMountField(f[2])}
		if len(f) > 3 {
			m.options = unescapeMountField(f[3])
		}
		mounts = append(mounts, m)
	}
	return mounts, bad, sc.Err()
}

// unescapeMountField decodes the escapes the kernel writes in /proc/mounts
// fields: \040 (space), \011 (tab), \012 (newline), \134 and \\
// (backslash). Other backslashes are kept, as glibc keeps them.
func unescapeMountField(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			rest := s[i+1:]
			switch {
			case strings.HasPrefix(rest, "040"):
				b.WriteByte(' ')
				i += 3
				continue
			case strings.HasPrefix(rest, "011"):
				b.WriteByte('\t')
				i += 3
				continue
			case strings.HasPrefix(rest, "012"):
				b.WriteByte('\n')
				i += 3
				continue
			case strings.HasPrefix(rest, "134"):
				b.WriteByte('\\')
				i += 3
				continue
			case strings.HasPrefix(rest, `\`):
				b.WriteByte('\\')
				i++
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
