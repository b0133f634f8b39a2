package tables

import (
	"bufio"
	"io"
	"strconv"
	"strings"

	"github.com/osaudit/osaudit/hostfs"
	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("suid_bin", func() *table.Table {
		return &table.Table{
			Name:        "suid_bin",
			Description: "suid binaries in common locations.",
			Platforms:   []string{"linux"},
			Attributes:  table.Cacheable,
			Columns: []table.Column{
				table.TextColumn("path"),
				table.TextColumn("username"),
				table.TextColumn("groupname"),
				table.TextColumn("permissions"),
				table.IntegerColumn("pid_with_namespace", table.Additional, table.Hidden),
			},
			Generate: genSuidBin,
		}
	})
}

// suidBinSearchPaths are the directories osquery searches, recursively, for
// setuid and setgid files. On a merged-/usr system /bin and /usr/bin are the
// same directory and its files are listed under both names, as osquery does.
var suidBinSearchPaths = []string{"/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin", "/tmp"}

// suidBinMaxDepth bounds the recursion (osquery has no bound; /tmp may hold
// anything).
const suidBinMaxDepth = 64

// genSuidBin walks the search paths and reports each regular file (symlinks
// followed, directory symlinks not descended into) whose mode has the setuid
// or setgid bit, with its owner's and group's names from the root's
// /etc/passwd and /etc/group, or the numeric ids when unnamed.
func genSuidBin(q *table.Query, yield func(table.Row) bool) error {
	root := q.Root()
	users := map[int64]string{}
	if entries, err := readPasswd(root); err == nil {
		for _, u := range entries {
			if _, dup := users[u.UID]; !dup {
				users[u.UID] = u.Name // getpwuid returns the first entry
			}
		}
	}
	groups, _ := readGroupNamesForSuid(root)
	w := suidBinWalker{q: q, users: users, groups: groups, yield: yield}
	for _, dir := range suidBinSearchPaths {
		if fi, err := root.Stat(dir); err != nil || !fi.IsDir() {
			continue
		}
		if !w.walk(dir, 0) {
			return nil
		}
	}
	return nil
}

type suidBinWalker struct {
	q      *table.Query
	users  map[int64]string
	groups map[int64]string
	yield  func(table.Row) bool
}

// walk visits dir's entries depth first; false means stop.
func (w *suidBinWalker) walk(dir string, depth int) bool {
	root := w.q.Root()
	entries, err := root.ReadDir(dir)
	if err != nil {
		// osquery abandons the whole search path here; osaudit skips only
		// the unreadable directory.
		w.q.Warn("cannot list directory", "path", dir, "err", err)
		return true
	}
	for _, e := range entries {
		if w.q.Context().Err() != nil {
			return false
		}
		p := dir + "/" + e.Name()
		if e.IsDir() {
			if depth+1 < suidBinMaxDepth && !w.walk(p, depth+1) {
				return false
			}
			continue
		}
		fi, err := root.Stat(p)
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		st, ok := fileStatOf(fi)
		if !ok {
			continue
		}
		perms := suidBinPermissions(st.mode)
		if perms == "" {
			continue
		}
		r := w.q.NewRow()
		r.Set("path", table.Text(p))
		r.Set("username", table.Text(suidBinName(w.users, st.uid)))
		r.Set("groupname", table.Text(suidBinName(w.groups, st.gid)))
		r.Set("permissions", table.Text(perms))
		r.Set("pid_with_namespace", table.Int(0))
		if !w.yield(r) {
			return false
		}
	}
	return true
}

// suidBinPermissions is osquery's permissions column: "S" for setuid, "G"
// for setgid, "SG" for both, "" for neither.
func suidBinPermissions(mode uint32) string {
	s := ""
	if mode&0o4000 != 0 {
		s += "S"
	}
	if mode&0o2000 != 0 {
		s += "G"
	}
	return s
}

func suidBinName(names map[int64]string, id int64) string {
	if n, ok := names[id]; ok {
		return n
	}
	return strconv.FormatInt(id, 10)
}

// readGroupNamesForSuid maps gids to group names from the root's /etc/group.
func readGroupNamesForSuid(root *hostfs.Root) (map[int64]string, error) {
	f, err := root.Open("/etc/group")
	if err != nil {
		return map[int64]string{}, err
	}
	defer f.Close()
	return parseGroupNamesForSuid(f)
}

// parseGroupNamesForSuid reads group(5) lines ("name:x:gid:members") into a
// gid-to-name map; the first line of a gid wins, as getgrgid's does.
// Comments, NIS lines and lines without a numeric gid are skipped.
func parseGroupNamesForSuid(r io.Reader) (map[int64]string, error) {
	out := map[int64]string{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" || line[0] == '#' || line[0] == '+' || line[0] == '-' {
			continue
		}
		f := strings.SplitN(line, ":", 4)
		if len(f) < 3 || f[0] == "" {
			continue
		}
		gid, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil || gid < 0 {
			continue
		}
		if _, dup := out[gid]; !dup {
			out[gid] = f[0]
		}
	}
	return out, sc.Err()
}
