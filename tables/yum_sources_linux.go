package tables

import (
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("yum_sources", func() *table.Table {
		return &table.Table{
			Name:        "yum_sources",
			Description: "Current list of Yum repositories or software channels.",
			Platforms:   []string{"linux"},
			Columns: []table.Column{
				table.TextColumn("name"),
				table.TextColumn("source"),
				table.TextColumn("baseurl"),
				table.TextColumn("mirrorlist"),
				table.TextColumn("metalink"),
				table.TextColumn("enabled"),
				table.TextColumn("gpgcheck"),
				table.TextColumn("gpgkey"),
				table.IntegerColumn("pid_with_namespace", table.Additional, table.Hidden),
			},
			Generate: genYumSources,
		}
	})
}

const (
	yumConf     = "/etc/yum.conf"
	yumReposDir = "/etc/yum.repos.d"
	yumMaxFile  = 4 << 20 // repository files are a few kB
)

// yumColumns are the repository options the table shows, by column name.
var yumColumns = []string{"name", "baseurl", "mirrorlist", "metalink", "enabled", "gpgcheck", "gpgkey"}

// genYumSources lists the repository sections of /etc/yum.conf and of the
// *.repo files in its [main] reposdir (/etc/yum.repos.d by default), one
// row per section other than [main], with the options as written (the
// $releasever and $basearch variables are not expanded, as in osquery).
func genYumSources(q *table.Query, yield func(table.Row) bool) error {
	root := q.Root()
	dirs := []string{yumReposDir}
	confFound := false
	if f, err := root.Open(yumConf); err == nil {
		confFound = true
		conf := parseYumConf(io.LimitReader(f, yumMaxFile))
		f.Close()
		yumWarn(q, yumConf, conf.problems)
		if rd, ok := conf.reposdir(); ok {
			dirs = yumReposDirs(rd)
		}
		if !yumEmit(q, yumConf, conf, yield) {
			return nil
		}
	}
	var files []string
	for _, dir := range dirs {
		files = append(files, pkgGlobFiles(root, path.Join(dir, "*.repo"))...)
	}
	if !confFound && len(files) == 0 {
		q.Warn("no yum configuration", "file", yumConf, "reposdir", strings.Join(dirs, ","))
		return nil
	}
	for _, file := range files {
		f, err := root.Open(file)
		if err != nil {
			q.Warn("cannot read a yum repository file", "file", file, "err", err)
			continue
		}
		conf := parseYumConf(io.LimitReader(f, yumMaxFile))
		f.Close()
		yumWarn(q, file, conf.problems)
		if !yumEmit(q, file, conf, yield) {
			return nil
		}
	}
	return nil
}

func yumWarn(q *table.Query, file string, problems []string) {
	for _, p := range problems {
		q.Warn("skipping a malformed yum configuration line", "file", file, "problem", p)
	}
}

func yumEmit(q *table.Query, file string, conf yumConfig, yield func(table.Row) bool) bool {
	for _, sec := range conf.sections {
		if sec.name == "main" {
			continue
		}
		if q.Context().Err() != nil {
			return false
		}
		r := q.NewRow()
		r.Set("source", table.Text(file))
		for _, col := range yumColumns {
			if v, ok := sec.get(col); ok {
				r.Set(col, table.Text(v))
			}
		}
		r.Set("pid_with_namespace", table.Int(0))
		if !yield(r) {
			return false
		}
	}
	return true
}

// yumReposDirs splits a reposdir value: dnf takes a list separated by
// commas or spaces. (osquery takes the value as one directory.)
func yumReposDirs(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
}

// yumConfig is a parsed INI file: its sections in order.
type yumConfig struct {
	sections []yumSection
	problems []string // lines that were skipped
}

type yumSection struct {
	name string
	keys []string
	vals []string
}

func (s *yumSection) get(key string) (string, bool) {
	for i, k := range s.keys {
		if k == key {
			return s.vals[i], true
		}
	}
	return "", false
}

func (c yumConfig) reposdir() (string, bool) {
	for i := range c.sections {
		if c.sections[i].name == "main" {
			return c.sections[i].get("reposdir")
		}
	}
	return "", false
}

// parseYumConf parses a yum or dnf INI file as Boost's INI reader (which
// osquery uses) does: lines are trimmed; empty lines and lines starting
// with "#" or ";" are comments; "[name]" starts a section; "key = value"
// sets an option, with the value as written (no inline comments). Where
// Boost rejects the whole file, this parser skips only the bad line and
// notes it: a line without "=", a key before any section, a duplicate key
// (the first is kept) or section (merged). A line that starts with a space
// or tab continues the previous value, as in dnf; the parts are joined by
// a space.
func parseYumConf(r io.Reader) yumConfig {
	var c yumConfig
	lr := newPkgLineReader(r)
	var cur *yumSection
	lastKey := -1
	for {
		raw, long, err := lr.next()
		if err != nil {
			break
		}
		if long {
			c.problems = append(c.problems, fmt.Sprintf("line %d: longer than %d bytes", lr.line, pkgLineMax))
			lastKey = -1
			continue
		}
		line := strings.TrimSpace(string(raw))
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if (raw[0] == ' ' || raw[0] == '\t') && cur != nil && lastKey >= 0 {
			cur.vals[lastKey] += " " + line
			continue
		}
		if line[0] == '[' {
			end := strings.IndexByte(line, ']')
			if end < 0 {
				c.problems = append(c.problems, fmt.Sprintf("line %d: unmatched '['", lr.line))
				cur, lastKey = nil, -1
				continue
			}
			name := strings.TrimSpace(line[1:end])
			cur, lastKey = nil, -1
			for i := range c.sections {
				if c.sections[i].name == name {
					c.problems = append(c.problems, fmt.Sprintf("line %d: duplicate section [%s]", lr.line, name))
					cur = &c.sections[i]
				}
			}
			if cur == nil {
				c.sections = append(c.sections, yumSection{name: name})
				cur = &c.sections[len(c.sections)-1]
			}
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		switch {
		case !ok:
			c.problems = append(c.problems, fmt.Sprintf("line %d: no '=' in %q", lr.line, yumClip(line)))
			lastKey = -1
			continue
		case key == "":
			c.problems = append(c.problems, fmt.Sprintf("line %d: no key before '='", lr.line))
			lastKey = -1
			continue
		case cur == nil:
			c.problems = append(c.problems, fmt.Sprintf("line %d: option %q outside a section", lr.line, key))
			continue
		}
		if _, dup := cur.get(key); dup {
			c.problems = append(c.problems, fmt.Sprintf("line %d: duplicate option %q in [%s]", lr.line, key, cur.name))
			lastKey = -1
			continue
		}
		cur.keys = append(cur.keys, key)
		cur.vals = append(cur.vals, value)
		lastKey = len(cur.keys) - 1
	}
	return c
}

// yumClip shortens a line quoted in a warning.
func yumClip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
