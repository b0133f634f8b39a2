package tables

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"

	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("deb_packages", func() *table.Table {
		return &table.Table{
			Name:        "deb_packages",
			Description: "The installed DEB package database.",
			Platforms:   []string{"linux"},
			Attributes:  table.Cacheable,
			Columns: []table.Column{
				table.TextColumn("name"),
				table.TextColumn("version").WithCollate("version_dpkg"),
				table.TextColumn("source"),
				table.BigIntColumn("size"),
				table.TextColumn("arch"),
				table.TextColumn("revision"),
				table.TextColumn("status"),
				table.TextColumn("maintainer"),
				table.TextColumn("section"),
				table.TextColumn("priority"),
				table.TextColumn("admindir", table.Additional, table.Optimized),
				table.IntegerColumn("pid_with_namespace", table.Additional, table.Hidden),
				table.TextColumn("mount_namespace_id", table.Hidden),
			},
			Generate: genDebPackages,
		}
	})
}

// debAdminDir is dpkg's default database directory.
const debAdminDir = "/var/lib/dpkg"

// genDebPackages lists the packages of each dpkg database the admindir
// constraint names (or of /var/lib/dpkg) whose status is not
// "not-installed", as libdpkg does for osquery: the status file, updated by
// the journal entries in updates/ that dpkg has not folded in yet.
func genDebPackages(q *table.Query, yield func(table.Row) bool) error {
	dirs := q.EqualTexts("admindir")
	if len(dirs) == 0 {
		dirs = []string{debAdminDir}
	}
	for _, dir := range dirs {
		if !genDebAdminDir(q, dir, yield) {
			return nil
		}
	}
	return nil
}

// genDebAdminDir yields one database's packages; false means stop.
func genDebAdminDir(q *table.Query, dir string, yield func(table.Row) bool) bool {
	root := q.Root()
	if fi, err := root.Stat(dir); err != nil || !fi.IsDir() {
		q.Warn("no dpkg database", "admindir", dir, "err", debErrOrNotDir(err))
		return true
	}
	updates := readDebUpdates(q, dir)
	f, err := root.Open(path.Join(dir, "status"))
	if err != nil {
		q.Warn("cannot read the dpkg status file", "admindir", dir, "err", err)
		return true
	}
	defer f.Close()
	emit := func(st debStanza) bool {
		if q.Context().Err() != nil {
			return false
		}
		if st.status == "not-installed" {
			return true
		}
		return yield(debPackageRow(q, st, dir))
	}
	err = parseDebStatus(f, func(st debStanza, err error) bool {
		if err != nil {
			q.Warn("skipping malformed dpkg status stanza", "file", path.Join(dir, "status"), "line", st.line, "err", err)
			return true
		}
		if u, ok := updates[st.key()]; ok {
			delete(updates, st.key())
			st = u
		}
		return emit(st)
	})
	if err != nil {
		q.Warn("cannot read the dpkg status file", "admindir", dir, "err", err)
	}
	// Packages only the journal knows (installed since the last checkpoint).
	for _, k := range pkgSortedKeys(updates) {
		if !emit(updates[k]) {
			return false
		}
	}
	return q.Context().Err() == nil
}

func debErrOrNotDir(err error) error {
	if err != nil {
		return err
	}
	return errors.New("not a directory")
}

// readDebUpdates reads the journal of status changes dpkg writes to
// <admindir>/updates/ (files named by digits only, applied in name order):
// each stanza replaces the package's entry in the status file.
func readDebUpdates(q *table.Query, dir string) map[string]debStanza {
	entries, err := q.Root().ReadDir(path.Join(dir, "updates"))
	if err != nil {
		return nil
	}
	out := map[string]debStanza{}
	for _, e := range entries {
		name := e.Name()
		if name == "" || strings.Trim(name, "0123456789") != "" || !e.Type().IsRegular() {
			continue
		}
		file := path.Join(dir, "updates", name)
		f, err := q.Root().Open(file)
		if err != nil {
			q.Warn("cannot read a dpkg journal entry", "file", file, "err", err)
			continue
		}
		err = parseDebStatus(io.LimitReader(f, 16<<20), func(st debStanza, err error) bool {
			if err != nil {
				q.Warn("skipping malformed dpkg status stanza", "file", file, "line", st.line, "err", err)
				return true
			}
			out[st.key()] = st
			return true
		})
		f.Close()
		if err != nil {
			q.Warn("cannot read a dpkg journal entry", "file", file, "err", err)
		}
	}
	return out
}

func debPackageRow(q *table.Query, st debStanza, dir string) table.Row {
	r := q.NewRow()
	r.Set("name", table.Text(st.name))
	r.Set("version", table.Text(st.version))
	r.Set("revision", table.Text(st.revision))
	r.Set("arch", table.Text(st.arch))
	r.Set("source", table.Text(st.source))
	if size, err := strconv.ParseInt(st.size, 10, 64); err == nil {
		r.Set("size", table.Int(size)) // Installed-Size, in KiB as dpkg records it
	}
	r.Set("status", table.Text(st.want+" "+st.eflag+" "+st.status))
	r.Set("maintainer", table.Text(st.maintainer))
	r.Set("section", table.Text(st.section))
	r.Set("priority", table.Text(st.priority))
	r.Set("admindir", table.Text(dir))
	r.Set("pid_with_namespace", table.Int(0))
	return r
}

// debStanza is one package of a dpkg status file, with the values libdpkg
// gives osquery: names normalized, the version re-described and split.
type debStanza struct {
	line                int // first line of the stanza
	name, arch          string
	version, revision   string
	source, size        string
	maintainer          string
	section, priority   string
	want, eflag, status string
}

// key identifies a package instance: its name and, for Multi-Arch packages
// installed for several architectures, its architecture.
func (s debStanza) key() string { return s.name + ":" + s.arch }

// debFields are the status-file fields the table uses, lower-cased: dpkg
// matches field names without regard to case.
var debFields = map[string]bool{
	"package": true, "version": true, "architecture": true, "source": true, "installed-size": true,
	"maintainer": true, "section": true, "priority": true, "status": true,
}

var errDebStanza = errors.New("malformed stanza")

// parseDebStatus reads the stanzas of a dpkg status file one at a time and
// calls fn with each, or with the error that makes a stanza unusable (the
// stanza then holds only its line). fn returns false to stop. The file is
// streamed: only the current stanza's used fields are held.
func parseDebStatus(r io.Reader, fn func(debStanza, error) bool) error {
	lr := newPkgLineReader(r)
	fields := map[string]string{}
	var cur string // the used field continuation lines add to
	start := 0
	sawField := false
	var bad error
	flush := func() bool {
		if start == 0 {
			return true
		}
		st := debStanza{line: start}
		err := bad
		if err == nil {
			st, err = debStanzaFrom(fields, start)
		}
		clear(fields)
		cur, start, sawField, bad = "", 0, false, nil
		return fn(st, err)
	}
	for {
		line, long, err := lr.next()
		if err == io.EOF {
			flush()
			return nil
		}
		if err != nil {
			return err
		}
		if len(bytes.TrimSpace(line)) == 0 {
			if !flush() {
				return nil
			}
			continue
		}
		if start == 0 {
			start = lr.line
		}
		if bad != nil {
			continue // skip to the end of a stanza already known bad
		}
		if line[0] == ' ' || line[0] == '\t' {
			if !sawField {
				bad = fmt.Errorf("%w: continuation line %d without a field", errDebStanza, lr.line)
			} else if cur != "" {
				if long {
					bad = fmt.Errorf("%w: line %d longer than %d bytes", errDebStanza, lr.line, pkgLineMax)
				}
				fields[cur] += "\n" + string(bytes.TrimRight(line, " \t\r"))
			}
			continue
		}
		name, value, ok := bytes.Cut(line, []byte{':'})
		name = bytes.TrimRight(name, " \t")
		if !ok || len(name) == 0 || bytes.ContainsAny(name, " \t") {
			bad = fmt.Errorf("%w: line %d is not a \"Field: value\" line", errDebStanza, lr.line)
			continue
		}
		key := strings.ToLower(string(name))
		cur, sawField = "", true
		if !debFields[key] {
			continue
		}
		if _, dup := fields[key]; dup {
			bad = fmt.Errorf("%w: duplicate %s field at line %d", errDebStanza, name, lr.line)
			continue
		}
		if long {
			bad = fmt.Errorf("%w: line %d longer than %d bytes", errDebStanza, lr.line, pkgLineMax)
			continue
		}
		fields[key] = string(bytes.TrimSpace(value))
		cur = key
	}
}

// The names libdpkg gives the parts of a package's status.
var (
	debWants    = []string{"unknown", "install", "hold", "deinstall", "purge"}
	debEflags   = []string{"ok", "reinstreq"}
	debStatuses = []string{"not-installed", "config-files", "half-installed", "unpacked",
		"half-configured", "triggers-awaited", "triggers-pending", "installed"}
	debPriorities = []string{"required", "important", "standard", "optional", "extra"}
)

// debStanzaFrom checks a stanza's fields as libdpkg's parser does and
// derives the table's values.
func debStanzaFrom(f map[string]string, line int) (debStanza, error) {
	st := debStanza{line: line, name: f["package"], source: f["source"], size: f["installed-size"],
		maintainer: f["maintainer"], section: f["section"], priority: "unknown",
		want: "unknown", eflag: "ok", status: "not-installed"}
	if st.name == "" {
		return debStanza{line: line}, fmt.Errorf("%w: no Package field", errDebStanza)
	}
	if s, ok := f["status"]; ok {
		words := strings.Fields(s)
		if len(words) != 3 {
			return debStanza{line: line}, fmt.Errorf("%w: %s: Status %q is not three words", errDebStanza, st.name, s)
		}
		var ok1, ok2, ok3 bool
		st.want, ok1 = debName(words[0], debWants)
		st.eflag, ok2 = debName(words[1], debEflags)
		st.status, ok3 = debName(words[2], debStatuses)
		if !ok1 || !ok2 || !ok3 {
			return debStanza{line: line}, fmt.Errorf("%w: %s: unknown Status %q", errDebStanza, st.name, s)
		}
	}
	v, ok := f["version"]
	if ok {
		var err error
		st.version, st.revision, err = debVersion(v)
		if err != nil {
			return debStanza{line: line}, fmt.Errorf("%w: %s: %v", errDebStanza, st.name, err)
		}
	} else {
		if st.status != "not-installed" && st.status != "half-installed" {
			return debStanza{line: line}, fmt.Errorf("%w: %s: no Version field", errDebStanza, st.name)
		}
		st.version = "<none>"
	}
	switch a, ok := f["architecture"]; {
	case !ok:
		st.arch = "<none>"
	case a == "":
		st.arch = "<empty>"
	default:
		st.arch = a
	}
	if p := f["priority"]; p != "" {
		if name, known := debName(p, debPriorities); known {
			st.priority = name
		} else {
			st.priority = p // dpkg keeps unknown priorities as written
		}
	}
	return st, nil
}

// debName matches a word against names without regard to case, as dpkg
// does, and returns the canonical name.
func debName(w string, names []string) (string, bool) {
	for _, n := range names {
		if strings.EqualFold(w, n) {
			return n, true
		}
	}
	return w, false
}

// debVersion parses [epoch:]upstream[-revision] and describes it again as
// dpkg's versiondescribe does: the epoch is shown only when it is not zero
// or leaving it out would be ambiguous.
func debVersion(v string) (version, revision string, err error) {
	if v == "" {
		return "", "", errors.New("empty version")
	}
	if strings.ContainsAny(v, " \t\n") {
		return "", "", fmt.Errorf("version %q has embedded spaces", v)
	}
	epoch := uint64(0)
	rest := v
	if e, after, ok := strings.Cut(v, ":"); ok {
		n, perr := strconv.ParseUint(e, 10, 31)
		if e == "" || perr != nil {
			return "", "", fmt.Errorf("version %q has a bad epoch", v)
		}
		epoch, rest = n, after
		if rest == "" {
			return "", "", fmt.Errorf("version %q has nothing after the epoch", v)
		}
	}
	upstream := rest
	if i := strings.LastIndexByte(rest, '-'); i >= 0 {
		upstream, revision = rest[:i], rest[i+1:]
		if revision == "" {
			return "", "", fmt.Errorf("version %q has an empty revision", v)
		}
	}
	if upstream == "" {
		return "", "", fmt.Errorf("version %q has an empty upstream version", v)
	}
	version = rest
	if epoch != 0 || strings.Contains(rest, ":") {
		version = strconv.FormatUint(epoch, 10) + ":" + rest
	}
	return version, revision, nil
}
