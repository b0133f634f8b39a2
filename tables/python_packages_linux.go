package tables

import (
	"errors"
	"io"
	"path"
	"slices"
	"strings"

	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("python_packages", func() *table.Table {
		return &table.Table{
			Name:        "python_packages",
			Description: "Python packages installed in a system.",
			Platforms:   []string{"linux"},
			Attributes:  table.UserData,
			Columns: []table.Column{
				table.TextColumn("name"),
				table.BigIntColumn("uid", table.Index),
				table.TextColumn("version").WithCollate("version"),
				table.TextColumn("summary"),
				table.TextColumn("author"),
				table.TextColumn("license"),
				table.TextColumn("path"),
				table.TextColumn("directory", table.Index, table.Optimized),
				table.IntegerColumn("pid_with_namespace", table.Additional, table.Hidden),
			},
			Generate: genPythonPackages,
		}
	})
}

// pythonSystemSites are the system-wide package directories osquery scans
// on Linux and macOS ("*" stands for the Python version).
var pythonSystemSites = []string{
	"/usr/local/lib/python*/dist-packages",
	"/usr/local/lib/python*/site-packages",
	"/opt/homebrew/lib/python*/dist-packages",
	"/opt/homebrew/lib/python*/site-packages",
	"/usr/lib/python*/dist-packages",
	"/usr/lib/python*/site-packages",
	"/Library/Python/*/site-packages",
}

// pythonUserSites are the per-user package directories under a home
// directory: pip install --user, and pyenv's interpreters.
var pythonUserSites = []string{
	".local/lib/python*/site-packages",
	".pyenv/versions/*/lib/python*/site-packages",
}

// pythonMetadataMax bounds how much of a METADATA or PKG-INFO file is read;
// the fields come first, a long description after them.
const pythonMetadataMax = 16 << 20

// pythonSite is a package directory and the user it belongs to (-1 for
// system directories).
type pythonSite struct {
	dir string
	uid int64
}

// genPythonPackages lists the packages installed in the system site
// directories and in the per-user ones of the users the query asks for
// (the current user by default; python_packages is per-user), from the
// *.dist-info/METADATA and *.egg-info/PKG-INFO each package directory
// holds. An equality on directory scans just that directory. System
// packages have no uid.
func genPythonPackages(q *table.Query, yield func(table.Row) bool) error {
	root := q.Root()
	var sites []pythonSite
	if _, uidConstrained := q.EqualInts("uid"); !uidConstrained {
		var dirs []string
		for _, pattern := range pythonSystemSites {
			matches, _ := root.Glob(pattern)
			dirs = append(dirs, matches...)
		}
		slices.Sort(dirs)
		for _, d := range slices.Compact(dirs) {
			sites = append(sites, pythonSite{dir: d, uid: -1})
		}
	}
	for _, u := range queryUsers(q) {
		if u.Home == "" {
			continue
		}
		for _, pattern := range pythonUserSites {
			matches, _ := root.Glob(path.Join(pkgGlobEscape(u.Home), pattern))
			for _, m := range matches {
				sites = append(sites, pythonSite{dir: m, uid: u.UID})
			}
		}
	}
	if want := q.EqualTexts("directory"); len(want) > 0 {
		var only []pythonSite
		for _, d := range want {
			i := slices.IndexFunc(sites, func(s pythonSite) bool { return s.dir == d })
			if i >= 0 {
				only = append(only, sites[i])
			} else {
				only = append(only, pythonSite{dir: d, uid: -1})
			}
		}
		sites = only
	}
	for _, site := range sites {
		if !genPythonSite(q, site, yield) {
			return nil
		}
	}
	return nil
}

// genPythonSite yields the packages of one directory; false means stop.
func genPythonSite(q *table.Query, site pythonSite, yield func(table.Row) bool) bool {
	root := q.Root()
	entries, err := root.ReadDir(site.dir)
	if err != nil {
		return true
	}
	readMeta := q.Used("name", "version", "summary", "author", "license")
	for _, e := range entries {
		if q.Context().Err() != nil {
			return false
		}
		dir := path.Join(site.dir, e.Name())
		var meta string
		switch {
		case strings.Contains(dir, ".dist-info"):
			meta = "METADATA"
		case strings.Contains(dir, ".egg-info"):
			meta = "PKG-INFO"
		default:
			continue
		}
		if fi, err := root.Stat(dir); err != nil || !fi.IsDir() {
			continue // a PKG-INFO-style .egg-info file, or a dangling link
		}
		r := q.NewRow()
		if readMeta {
			setPythonMetadata(q, r, path.Join(dir, meta))
		}
		r.Set("path", table.Text(dir))
		r.Set("directory", table.Text(site.dir))
		if site.uid >= 0 {
			r.Set("uid", table.Int(site.uid))
		}
		r.Set("pid_with_namespace", table.Int(0))
		if !yield(r) {
			return false
		}
	}
	return true
}

// setPythonMetadata sets the columns a METADATA or PKG-INFO file gives.
// A package directory without one still has a row, as in osquery.
func setPythonMetadata(q *table.Query, r table.Row, file string) {
	f, err := q.Root().Open(file)
	if err != nil {
		q.Warn("cannot read python package metadata", "file", file, "err", err)
		return
	}
	defer f.Close()
	fields, err := parsePythonMetadata(io.LimitReader(f, pythonMetadataMax))
	if err != nil {
		q.Warn("cannot read python package metadata", "file", file, "err", err)
	}
	for _, col := range []string{"name", "version", "summary", "author", "license"} {
		if v, ok := fields[col]; ok {
			r.Set(col, table.Text(v))
		}
	}
}

// pythonMetadataKeys maps the core metadata fields osquery reads to columns.
var pythonMetadataKeys = map[string]string{
	"Name": "name", "Version": "version", "Summary": "summary", "Author": "author", "License": "license",
}

// parsePythonMetadata reads core metadata (METADATA, PKG-INFO) as osquery
// does: a line is used only when it splits on ":" into exactly two
// non-empty parts, so a summary or author holding a colon is left out, and
// reading stops at the License line.
func parsePythonMetadata(r io.Reader) (map[string]string, error) {
	out := map[string]string{}
	lr := newPkgLineReader(r)
	for {
		line, _, err := lr.next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		f := pkgSplit(string(line), ":")
		if len(f) != 2 {
			continue
		}
		col, ok := pythonMetadataKeys[f[0]]
		if !ok {
			continue
		}
		out[col] = f[1]
		if col == "license" {
			return out, nil
		}
	}
}
