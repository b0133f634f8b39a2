package events

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/osaudit/osaudit/hostfs"
)

// inotify masks, as osquery's inotify publisher uses them: every category
// records changes; the categories in file_accesses also record reads.
const (
	fileDefaultMask = 0x80 | 0x40 | 0x2 | 0x200 | 0x100 | 0x8 | 0x4 // MOVED_TO MOVED_FROM MODIFY DELETE CREATE CLOSE_WRITE ATTRIB
	fileAccessMask  = 0x20 | 0x1                                    // OPEN ACCESS
)

// fileActions names inotify mask bits as osquery does; an event takes the
// name of its lowest bit that has one.
var fileActions = []struct {
	bit  uint32
	name string
}{
	{0x1, "ACCESSED"},
	{0x2, "UPDATED"},
	{0x4, "ATTRIBUTES_MODIFIED"},
	{0x8, "UPDATED"}, // CLOSE_WRITE
	{0x20, "OPENED"},
	{0x40, "MOVED_FROM"},
	{0x80, "MOVED_TO"},
	{0x100, "CREATED"},
	{0x200, "DELETED"},
}

func fileAction(mask uint32) string {
	for _, a := range fileActions {
		if mask&a.bit != 0 {
			return a.name
		}
	}
	return ""
}

// fileSub is one file_paths entry resolved to a directory to watch: events
// of the directory's entries whose name matches leaf ("" matches every entry
// and the directory itself), and with recursive those of every directory
// below it.
type fileSub struct {
	category  string
	dir       string // host path, cleaned
	leaf      string // a path.Match pattern for one name, or ""
	recursive bool
	mask      uint32
}

// fileGlob turns osquery's wildcards into a path.Match pattern: "%" matches
// within one path component ("%%" does the same when it is not at the
// end). recursive reports a final "%%": everything below the directory.
func fileGlob(p string) (glob string, recursive bool) {
	if strings.HasSuffix(p, "%%") {
		p, recursive = strings.TrimSuffix(p, "%%"), true
	}
	return strings.ReplaceAll(strings.ReplaceAll(p, "%%", "*"), "%", "*"), recursive
}

func hasGlobMeta(p string) bool { return strings.ContainsAny(p, "*?[") }

// expandFilePath resolves one configured path into subscriptions. Wildcards
// in directories are expanded now (a directory that appears later is seen
// at the next reconfiguration, as in osquery); a wildcard in the last
// component filters the names of the directory's events. A single file is
// watched through its directory, so that a file replaced by a rename is
// still seen.
func expandFilePath(root *hostfs.Root, category, p string, mask uint32) ([]fileSub, error) {
	if !strings.HasPrefix(p, "/") {
		return nil, fmt.Errorf("%q is not an absolute path", p)
	}
	glob, recursive := fileGlob(p)
	dirs := func(pattern string) ([]string, error) {
		pattern = cleanHostPath(pattern)
		if !hasGlobMeta(pattern) {
			return []string{pattern}, nil
		}
		matches, err := root.Glob(pattern)
		if err != nil {
			return nil, err
		}
		var out []string
		for _, m := range matches {
			if fi, err := root.Stat(m); err == nil && fi.IsDir() {
				out = append(out, cleanHostPath(m))
			}
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("no directory matches %s", pattern)
		}
		return out, nil
	}
	var subs []fileSub
	add := func(dir, leaf string, rec bool) {
		subs = append(subs, fileSub{category: category, dir: dir, leaf: leaf, recursive: rec, mask: mask})
	}
	switch {
	case recursive || strings.HasSuffix(glob, "/"):
		ds, err := dirs(glob)
		if err != nil {
			return nil, err
		}
		for _, d := range ds {
			add(d, "", recursive)
		}
	default:
		parent, leaf := path.Split(glob)
		ds, err := dirs(parent)
		if err != nil {
			return nil, err
		}
		for _, d := range ds {
			full := path.Join(d, leaf)
			if fi, err := root.Stat(full); err == nil && fi.IsDir() && !hasGlobMeta(leaf) {
				add(full, "", false) // a directory named without a trailing slash
				continue
			}
			add(d, leaf, false)
		}
	}
	return subs, nil
}

func cleanHostPath(p string) string {
	if p == "" {
		return "/"
	}
	return path.Clean(p)
}

// excludePattern is one exclude_paths entry: a path.Match pattern over
// whole paths, or with prefix every path below the pattern's directories.
type excludePattern struct {
	glob   string
	prefix bool
}

func compileExcludes(exclude map[string][]string) []excludePattern {
	var out []excludePattern
	for _, cat := range sortedKeys(exclude) {
		for _, p := range exclude[cat] {
			if p == "" {
				continue
			}
			glob, rec := fileGlob(p)
			out = append(out, excludePattern{glob: cleanHostPath(glob), prefix: rec})
		}
	}
	return out
}

func (x excludePattern) match(p string) bool {
	if !x.prefix {
		ok, _ := path.Match(x.glob, p)
		return ok
	}
	if x.glob == "/" {
		return true
	}
	// Match the pattern's n components against p's first n.
	n := strings.Count(x.glob, "/")
	parts := strings.SplitN(p, "/", n+2)
	if len(parts) < n+1 {
		return false
	}
	ok, _ := path.Match(x.glob, strings.Join(parts[:n+1], "/"))
	return ok
}

// excluded applies exclude_paths as osquery does: an event is dropped when
// its path or its directory matches.
func excluded(excludes []excludePattern, p string) bool {
	if len(excludes) == 0 {
		return false
	}
	p = cleanHostPath(p)
	dir := path.Dir(p)
	for _, x := range excludes {
		if x.match(p) || x.match(dir) {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
