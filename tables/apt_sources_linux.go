package tables

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("apt_sources", func() *table.Table {
		return &table.Table{
			Name:        "apt_sources",
			Description: "Current list of APT repositories or software channels.",
			Platforms:   []string{"linux"},
			Columns: []table.Column{
				table.TextColumn("name"),
				table.TextColumn("source"),
				table.TextColumn("base_uri"),
				table.TextColumn("release"),
				table.TextColumn("version").WithCollate("version_dpkg"),
				table.TextColumn("maintainer"),
				table.TextColumn("components"),
				table.TextColumn("architectures"),
				table.IntegerColumn("pid_with_namespace", table.Additional, table.Hidden),
			},
			Generate: genAptSources,
		}
	})
}

const (
	aptSourcesList  = "/etc/apt/sources.list"
	aptSourcesDir   = "/etc/apt/sources.list.d"
	aptListsDir     = "/var/lib/apt/lists"
	aptSourceMaxLen = 4 << 20 // sources files are a few kB
)

// aptSource is one repository a sources file names: its URI (without
// trailing slashes) and suite. Its name is the URI without the scheme,
// a space and the suite.
type aptSource struct {
	name, baseURI string
	host, suite   string // host/path of the URI, suite
}

// genAptSources lists the "deb" repositories of /etc/apt/sources.list,
// /etc/apt/sources.list.d/*.list (one-line format) and
// /etc/apt/sources.list.d/*.sources (deb822 format), with the release,
// version, origin, components and architectures of the Release file APT
// keeps in /var/lib/apt/lists. As in osquery, a repository whose Release
// file is not there (never updated) has no row.
func genAptSources(q *table.Query, yield func(table.Row) bool) error {
	root := q.Root()
	var lists []string
	if pkgIsFile(root, aptSourcesList) {
		lists = append(lists, aptSourcesList)
	}
	lists = append(lists, pkgGlobFiles(root, aptSourcesDir+"/*.list")...)
	deb822 := pkgGlobFiles(root, aptSourcesDir+"/*.sources")
	if len(lists)+len(deb822) == 0 {
		q.Warn("no APT sources files")
		return nil
	}
	emit := func(file string, sources []aptSource) bool {
		for _, s := range sources {
			if q.Context().Err() != nil {
				return false
			}
			if r, ok := aptSourceRow(q, file, s); ok && !yield(r) {
				return false
			}
		}
		return true
	}
	read := func(file string, parse func(io.Reader) ([]aptSource, []error)) ([]aptSource, []error) {
		f, err := root.Open(file)
		if err != nil {
			q.Warn("cannot read an APT sources file", "file", file, "err", err)
			return nil, nil
		}
		defer f.Close()
		return parse(io.LimitReader(f, aptSourceMaxLen))
	}
	for _, file := range lists {
		sources, errs := read(file, parseAptSourcesList)
		for _, err := range errs {
			q.Warn("cannot read an APT sources file", "file", file, "err", err)
		}
		if !emit(file, sources) {
			return nil
		}
	}
	for _, file := range deb822 {
		sources, errs := read(file, parseAptDeb822)
		for _, err := range errs {
			if !errors.Is(err, errAptNotDeb) { // deb-src stanzas are not errors
				q.Warn("skipping an APT deb822 stanza", "file", file, "err", err)
			}
		}
		if !emit(file, sources) {
			return nil
		}
	}
	return nil
}

// aptSourceRow builds a repository's row from its Release file; ok is
// false when APT has no Release file for it.
func aptSourceRow(q *table.Query, file string, s aptSource) (table.Row, bool) {
	r := q.NewRow()
	root := q.Root()
	var matches []string
	for _, name := range s.listNames() {
		if matches = pkgGlobFiles(root, aptListsDir+"/"+pkgGlobEscape(name)+"_*Release"); len(matches) > 0 {
			break
		}
	}
	if len(matches) == 0 {
		return r, false
	}
	r.Set("source", table.Text(file))
	r.Set("base_uri", table.Text(s.baseURI))
	r.Set("name", table.Text(s.name))
	r.Set("pid_with_namespace", table.Int(0))
	if !q.Used("release", "version", "maintainer", "components", "architectures") {
		return r, true
	}
	f, err := root.Open(matches[0])
	if err != nil {
		q.Warn("cannot read an APT Release file", "file", matches[0], "err", err)
		return r, false
	}
	defer f.Close()
	fields, err := parseAptRelease(f)
	if err != nil {
		q.Warn("cannot read an APT Release file", "file", matches[0], "err", err)
	}
	for col, field := range aptReleaseColumns {
		if v, ok := fields[field]; ok {
			r.Set(col, table.Text(v))
		}
	}
	return r, true
}

// listNames returns the names the Release file of a source may have in
// /var/lib/apt/lists, before its "_InRelease" or "_Release" suffix. First
// osquery's: host/path, "dists" and the suite (or the parts of a suite
// that is a path) joined by "_". Then APT's own, when it differs: APT
// escapes "_", "~", "%" and other characters as %xx (a URI path such as
// node_20.x becomes node%5f20.x), drops user:password@ and names a flat
// repository (a suite ending in "/") without "dists".
func (s aptSource) listNames() []string {
	parts := []string{s.host}
	if p := pkgSplit(s.suite, "/"); len(p) == 1 {
		parts = append(parts, "dists", s.suite)
	} else {
		parts = append(parts, p...)
	}
	osq := strings.ReplaceAll(strings.Join(parts, "_"), "/", "_")

	host := s.host
	if at := strings.LastIndexByte(host, '@'); at >= 0 && at < strings.IndexByte(host+"/", '/') {
		host = host[at+1:]
	}
	uri := host + "/dists/" + s.suite
	if strings.HasSuffix(s.suite, "/") {
		uri = host
		if dir := strings.TrimSuffix(s.suite, "/"); dir != "" {
			uri += "/" + dir
		}
	}
	var b strings.Builder
	for _, c := range []byte(uri) {
		if c <= 0x20 || c >= 0x7f || strings.IndexByte(`\|{}[]<>"^~_=!@#$%&*`, c) >= 0 {
			fmt.Fprintf(&b, "%%%02x", c)
		} else {
			b.WriteByte(c)
		}
	}
	apt := strings.ReplaceAll(b.String(), "/", "_")
	if apt == osq {
		return []string{osq}
	}
	return []string{osq, apt}
}

// aptReleaseColumns maps columns to the Release file fields they show.
var aptReleaseColumns = map[string]string{
	"release":       "Codename",
	"version":       "Version",
	"maintainer":    "Origin",
	"components":    "Components",
	"architectures": "Architectures",
}

// parseAptRelease reads the "Field: value" lines of a Release or InRelease
// file up to its signature, as osquery does: a line is used only when it
// splits on ":" into exactly two non-empty parts, so values that hold a
// colon (Date, URLs) are left out. Later lines win.
func parseAptRelease(r io.Reader) (map[string]string, error) {
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
		if string(line) == "-----BEGIN PGP SIGNATURE-----" {
			return out, nil
		}
		if bytes.IndexByte(line, ':') < 0 {
			continue
		}
		f := pkgSplit(string(line), ":")
		if len(f) != 2 {
			continue
		}
		switch f[0] {
		case "Codename", "Version", "Origin", "Components", "Architectures":
			out[f[0]] = f[1]
		}
	}
}

// parseAptSourcesList reads the one-line format: "deb [options] uri suite
// [component...]". Comments, deb-src lines and lines osquery cannot parse
// are skipped.
func parseAptSourcesList(r io.Reader) ([]aptSource, []error) {
	var out []aptSource
	lr := newPkgLineReader(r)
	for {
		line, _, err := lr.next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return out, []error{err}
		}
		if s, ok := parseAptSourceLine(string(line)); ok {
			out = append(out, s)
		}
	}
}

// parseAptSourceLine parses one line as osquery does: text after "#" is a
// comment, the line must hold "deb " and the tokens after it are split on
// spaces; an options block in brackets is skipped; the URI, whose trailing
// slashes are dropped, must have a scheme.
func parseAptSourceLine(line string) (aptSource, bool) {
	line, _, _ = strings.Cut(line, "#")
	i := strings.Index(line, "deb ")
	if i < 0 {
		return aptSource{}, false
	}
	tokens := pkgSplit(line[i+4:], " ")
	if len(tokens) < 2 {
		return aptSource{}, false
	}
	off := 0
	if strings.HasPrefix(tokens[0], "[") {
		for j, t := range tokens {
			if strings.Contains(t, "]") {
				off = j
				break
			}
		}
		off++
	}
	if off+1 >= len(tokens) {
		return aptSource{}, false
	}
	uri, suite := strings.TrimRight(tokens[off], "/"), tokens[off+1]
	return newAptSource(uri, suite)
}

// newAptSource makes the source of a URI with a scheme and a suite.
func newAptSource(uri, suite string) (aptSource, bool) {
	scheme := strings.Index(uri, "://")
	if scheme < 0 || len(uri) <= scheme+3 {
		return aptSource{}, false
	}
	host := uri[scheme+3:]
	return aptSource{name: host + " " + suite, baseURI: uri, host: host, suite: suite}, true
}

var (
	errAptNotDeb   = errors.New("not a deb type repository")
	errAptNoURIs   = errors.New("no valid URIs")
	errAptNoSuites = errors.New("no Suites")
)

// parseAptDeb822 reads the deb822 format: stanzas separated by an empty
// line, each with Types, URIs, Suites and optional Enabled fields. A stanza
// gives one source per URI and suite. The errors say which stanzas were
// skipped; a disabled stanza is not an error.
func parseAptDeb822(r io.Reader) ([]aptSource, []error) {
	var out []aptSource
	var errs []error
	var block []string // the stanza's lines, trimmed, empty ones dropped
	flush := func() {
		if len(block) == 0 {
			return
		}
		sources, err := parseAptDeb822Stanza(block)
		block = block[:0]
		if err != nil {
			errs = append(errs, err)
			return
		}
		out = append(out, sources...)
	}
	lr := newPkgLineReader(r)
	for {
		line, _, err := lr.next()
		if err != nil {
			flush()
			if !errors.Is(err, io.EOF) {
				errs = append(errs, err)
			}
			return out, errs
		}
		if len(line) == 0 { // "\n\n" ends a stanza, as osquery splits
			flush()
			continue
		}
		if l := strings.TrimSpace(string(line)); l != "" {
			block = append(block, l)
		}
	}
}

func parseAptDeb822Stanza(lines []string) ([]aptSource, error) {
	var uris, suites []string
	for _, line := range lines {
		line, _, _ = strings.Cut(line, "#")
		key, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		key, value = strings.ToLower(key), strings.TrimSpace(value)
		if value == "" {
			continue
		}
		switch key {
		case "types":
			if !slices.Contains(pkgSplit(value, " \t"), "deb") {
				return nil, errAptNotDeb
			}
		case "enabled":
			// osquery reads only "on" as enabled; APT reads any boolean
			// and a stanza is enabled unless it says otherwise.
			if aptFalse(value) {
				return nil, nil
			}
		case "uris":
			for _, u := range pkgSplit(value, " \t") {
				if strings.Contains(u, "://") {
					uris = append(uris, strings.TrimRight(u, "/"))
				}
			}
		case "suites":
			suites = append(suites, pkgSplit(value, " \t")...)
		}
	}
	if len(uris) == 0 {
		return nil, errAptNoURIs
	}
	if len(suites) == 0 {
		return nil, errAptNoSuites
	}
	var out []aptSource
	for _, u := range uris {
		for _, s := range suites {
			if src, ok := newAptSource(u, s); ok {
				out = append(out, src)
			}
		}
	}
	return out, nil
}

// aptFalse reports the words APT's StringToBool reads as false.
func aptFalse(v string) bool {
	switch strings.ToLower(v) {
	case "no", "false", "without", "off", "disable", "0":
		return true
	}
	return false
}
