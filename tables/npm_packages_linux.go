package tables

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("npm_packages", func() *table.Table {
		return &table.Table{
			Name:        "npm_packages",
			Description: "Lists all npm packages in a directory or globally installed in a system.",
			Platforms:   []string{"linux"},
			Columns: []table.Column{
				table.TextColumn("name"),
				table.TextColumn("version").WithCollate("version"),
				table.TextColumn("description"),
				table.TextColumn("author"),
				table.TextColumn("license"),
				table.TextColumn("homepage"),
				table.TextColumn("path"),
				table.TextColumn("directory", table.Index, table.Optimized),
				table.IntegerColumn("depth"),
				table.IntegerColumn("max_depth", table.Additional, table.Hidden),
				table.IntegerColumn("pid_with_namespace", table.Additional, table.Hidden),
				table.TextColumn("mount_namespace_id", table.Hidden),
			},
			Generate: genNPMPackages,
		}
	})
}

// npmSites are the directories whose node_modules osquery lists by default:
// the global prefixes of npm ("*" stands for a user name).
var npmSites = []string{
	"/usr/local/lib",
	"/opt/homebrew/lib",
	"/usr/lib",
	"/home/*/.npm-global/lib",
	"/Users/*/.npm-global/lib",
}

const (
	// npmDefaultMaxDepth is how deep nested node_modules are searched
	// when the query does not set max_depth: depth 0 is
	// <directory>/node_modules/<package>, depth 1 is
	// <directory>/node_modules/<package>/node_modules/<dependency>.
	npmDefaultMaxDepth = 5
	// npmMaxDepthLimit caps a max_depth constraint.
	npmMaxDepthLimit = 64
	// npmManifestMax bounds a package.json: old npm versions stored the
	// README in it, but none comes near this.
	npmManifestMax = 8 << 20
)

// genNPMPackages lists the packages in the node_modules of each directory
// the directory constraint names, or of npm's global prefixes, and, down to
// max_depth, the packages nested in their own node_modules (vendored or
// conflicting versions). Scoped packages (@scope/name) are listed too.
// Package directories that are symlinks (npm link) are listed but not
// descended into.
func genNPMPackages(q *table.Query, yield func(table.Row) bool) error {
	root := q.Root()
	maxDepth := int64(npmDefaultMaxDepth)
	if v, constrained := q.EqualInts("max_depth"); constrained {
		if len(v) == 0 {
			return nil // max_depth = 'text': nothing can match
		}
		maxDepth = min(max(v[0], 0), npmMaxDepthLimit)
	}
	sites := q.EqualTexts("directory")
	if len(sites) == 0 {
		for _, pattern := range npmSites {
			matches, _ := root.Glob(pattern)
			sites = append(sites, matches...)
		}
		slices.Sort(sites)
		sites = slices.Compact(sites)
	}
	for _, site := range sites {
		if !genNPMSite(q, site, maxDepth, yield) {
			return nil
		}
	}
	return nil
}

// genNPMSite walks one directory's node_modules breadth-first; false means
// stop.
func genNPMSite(q *table.Query, site string, maxDepth int64, yield func(table.Row) bool) bool {
	type level struct {
		dir   string // a directory holding node_modules
		depth int64
	}
	queue := []level{{site, 0}}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, pkg := range npmPackageDirs(q, path.Join(cur.dir, "node_modules")) {
			if q.Context().Err() != nil {
				return false
			}
			manifest := path.Join(pkg.dir, "package.json")
			r, ok := npmPackageRow(q, manifest)
			if ok {
				r.Set("path", table.Text(manifest))
				r.Set("directory", table.Text(site))
				r.Set("depth", table.Int(cur.depth))
				r.Set("max_depth", table.Int(maxDepth))
				r.Set("pid_with_namespace", table.Int(0))
				if !yield(r) {
					return false
				}
			}
			if cur.depth < maxDepth && !pkg.link {
				queue = append(queue, level{pkg.dir, cur.depth + 1})
			}
		}
	}
	return true
}

type npmPackageDir struct {
	dir  string
	link bool // a symlink: listed, not descended into
}

// npmPackageDirs lists the package directories of a node_modules
// directory, in name order: <name>/ with a package.json and, inside
// @scope/, <name>/ for scoped packages. Hidden entries (.bin,
// .package-lock.json) are skipped.
func npmPackageDirs(q *table.Query, modules string) []npmPackageDir {
	root := q.Root()
	entries, err := root.ReadDir(modules)
	if err != nil {
		return nil
	}
	var out []npmPackageDir
	add := func(dir string, link bool) {
		if pkgIsFile(root, path.Join(dir, "package.json")) {
			out = append(out, npmPackageDir{dir, link})
		}
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		dir := path.Join(modules, name)
		link := e.Type()&fs.ModeSymlink != 0
		if fi, err := root.Stat(dir); err != nil || !fi.IsDir() {
			continue
		}
		if !strings.HasPrefix(name, "@") {
			add(dir, link)
			continue
		}
		scoped, err := root.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, s := range scoped {
			sdir := path.Join(dir, s.Name())
			if fi, err := root.Stat(sdir); err == nil && fi.IsDir() && !strings.HasPrefix(s.Name(), ".") {
				add(sdir, link || s.Type()&fs.ModeSymlink != 0)
			}
		}
	}
	return out
}

// npmPackageRow reads a package.json into a row; ok is false when it
// cannot be read or is not a JSON object.
func npmPackageRow(q *table.Query, manifest string) (table.Row, bool) {
	r := q.NewRow()
	f, err := q.Root().Open(manifest)
	if err != nil {
		q.Warn("cannot read package.json", "file", manifest, "err", err)
		return r, false
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || fi.Size() > npmManifestMax {
		q.Warn("cannot read package.json", "file", manifest, "err", npmErrTooLarge(err))
		return r, false
	}
	m, err := parseNPMManifest(f)
	if err != nil {
		q.Warn("skipping a malformed package.json", "file", manifest, "err", err)
		return r, false
	}
	for col, v := range m {
		r.Set(col, table.Text(v))
	}
	return r, true
}

func npmErrTooLarge(err error) error {
	if err != nil {
		return err
	}
	return fmt.Errorf("larger than %d bytes", npmManifestMax)
}

var errNPMManifest = errors.New("not a JSON object")

// npmKeys are the package.json members the table reads.
var npmKeys = []string{"name", "version", "description", "homepage", "author", "license"}

// npmSkip consumes a JSON value without keeping it: a manifest's other
// members (dependencies, an old README) are checked but not copied.
type npmSkip struct{}

func (*npmSkip) UnmarshalJSON([]byte) error { return nil }

// parseNPMManifest returns the columns a package.json gives, as osquery
// reads them with RapidJSON: name, version, description and homepage when
// they are present ("" when they are not strings); author as a string or
// the name of an author object; license as a string or, in the deprecated
// object form, its url. Member names match exactly, and the first of
// duplicate members counts. The document must be one JSON object.
func parseNPMManifest(r io.Reader) (map[string]string, error) {
	bad := func(err error) (map[string]string, error) {
		return nil, fmt.Errorf("%w: %v", errNPMManifest, err)
	}
	dec := json.NewDecoder(r)
	tok, err := dec.Token()
	if err != nil {
		return bad(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return bad(fmt.Errorf("document is %v", tok))
	}
	doc := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return bad(err)
		}
		key, _ := tok.(string)
		if _, dup := doc[key]; !dup && slices.Contains(npmKeys, key) {
			var raw json.RawMessage
			err = dec.Decode(&raw)
			doc[key] = raw
		} else {
			err = dec.Decode(&npmSkip{})
		}
		if err != nil {
			return bad(err)
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return bad(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return bad(errors.New("data after the object"))
	}
	out := map[string]string{}
	str := func(raw json.RawMessage) (string, bool) {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return "", false
		}
		return s, true
	}
	for _, key := range []string{"name", "version", "description", "homepage"} {
		if raw, ok := doc[key]; ok {
			out[key], _ = str(raw)
		}
	}
	if raw, ok := doc["author"]; ok {
		if s, ok := str(raw); ok {
			out["author"] = s
		} else if obj := npmObject(raw); obj != nil {
			if name, ok := obj["name"]; ok {
				out["author"], _ = str(name)
			}
		}
	}
	if raw, ok := doc["license"]; ok {
		if s, ok := str(raw); ok {
			out["license"] = s
		} else if obj := npmObject(raw); obj != nil {
			if url, ok := obj["url"]; ok {
				if s, ok := str(url); ok {
					out["license"] = s
				}
			}
		}
	}
	return out, nil
}

func npmObject(raw json.RawMessage) map[string]json.RawMessage {
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil {
		return nil
	}
	return obj
}
