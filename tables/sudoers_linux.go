package tables

import (
	"path"
	"strings"

	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("sudoers", func() *table.Table {
		return &table.Table{
			Name:        "sudoers",
			Description: "Rules for running commands as other users via sudo.",
			Platforms:   []string{"linux"},
			Columns: []table.Column{
				table.TextColumn("source"),
				table.TextColumn("header"),
				table.TextColumn("rule_details"),
			},
			Generate: genSudoers,
		}
	})
}

// sudoersPath is the main sudoers file.
const sudoersPath = "/etc/sudoers"

// sudoersMaxNest is sudoers(5)'s limit of nested include files.
const sudoersMaxNest = 128

// sudoersRule is one row: a rule's leading token and the rest of it.
type sudoersRule struct {
	Source, Header, Details string
}

// sudoersInclude is an include line found while parsing a file.
type sudoersInclude struct {
	Path string // resolved against the including file's directory
	Dir  bool   // #includedir / @includedir
}

// genSudoers reads /etc/sudoers and the files it includes, depth first, as
// osquery does.
func genSudoers(q *table.Query, yield func(table.Row) bool) error {
	if _, err := q.Root().Stat(sudoersPath); err != nil {
		if !acctMissing(err) {
			q.Warn("cannot read "+sudoersPath, "err", err)
		}
		return nil
	}
	st := sudoersReader{q: q}
	st.readFile(sudoersPath, 1)
	for _, rl := range st.rules {
		r := q.NewRow()
		r.Set("source", table.Text(rl.Source))
		r.Set("header", table.Text(rl.Header))
		r.Set("rule_details", table.Text(rl.Details))
		if !yield(r) {
			return nil
		}
	}
	return nil
}

// sudoersMaxFiles bounds the files one query reads: nesting is limited to
// sudoersMaxNest levels, but an include directory that includes itself
// again from several files would otherwise branch without end.
const sudoersMaxFiles = 4096

// sudoersReader follows a sudoers file and its includes.
type sudoersReader struct {
	q     *table.Query
	rules []sudoersRule
	files int
}

// readFile parses one file and, where it includes others, those files in
// place. level counts as osquery counts it: every include in a file raises
// the level of the ones after it too.
func (st *sudoersReader) readFile(file string, level int) {
	if level > sudoersMaxNest {
		st.q.Warn("sudoers include nesting limit reached", "file", file)
		return
	}
	if st.files >= sudoersMaxFiles || st.q.Context().Err() != nil {
		if st.files == sudoersMaxFiles {
			st.q.Warn("sudoers includes too many files; stopped", "limit", sudoersMaxFiles)
			st.files++
		}
		return
	}
	st.files++
	b, err := acctReadFile(st.q.Root(), file)
	if err != nil {
		st.q.Warn("cannot read sudoers file", "file", file, "err", err)
		return
	}
	parseSudoers(file, b, &st.rules, func(inc sudoersInclude) {
		if !inc.Dir {
			level++
			st.readFile(inc.Path, level)
			return
		}
		for _, f := range sudoersDirFiles(st.q, inc.Path) {
			level++
			st.readFile(f, level)
		}
	})
}

// sudoersDirFiles lists the regular files of an include directory that
// sudo reads: names without a "." and not ending in "~", sorted.
func sudoersDirFiles(q *table.Query, dir string) []string {
	entries, err := q.Root().ReadDir(dir)
	if err != nil {
		q.Warn("cannot list sudoers include directory", "dir", dir, "err", err)
		return nil
	}
	var out []string
	for _, e := range entries {
		name := e.Name()
		if name == "" || strings.Contains(name, ".") || strings.HasSuffix(name, "~") {
			continue
		}
		p := acctHomeFile(dir, name)
		fi, err := q.Root().Stat(p)
		if err != nil || fi.IsDir() {
			continue
		}
		out = append(out, p)
	}
	return out
}

// sudoersBlank are the characters osquery trims from sudoers lines and
// splits the header on.
const sudoersBlank = "\t\v "

// parseSudoers splits a sudoers file into rules the way osquery does (it
// does not implement the sudoers grammar): each non-comment line gives its
// first token as header and the rest as rule_details; a line ending in a
// backslash continues on the next line; "#include", "@include",
// "#includedir" and "@includedir" lines are rows too, and include is
// called for each, with the target resolved against file's directory.
func parseSudoers(file string, b []byte, rules *[]sudoersRule, include func(sudoersInclude)) {
	continued := false
	for _, line := range acctSplitLines(b) {
		line = strings.Trim(line, sudoersBlank)
		if line == "" {
			continue
		}
		if continued {
			// The previous row of this file ends in a backslash: drop it and
			// glue this line on, with no space, as osquery does.
			continued = line[len(line)-1] == '\\'
			last := &(*rules)[len(*rules)-1]
			if last.Details == "" {
				last.Header = sudoersDropLast(last.Header)
			} else {
				last.Details = sudoersDropLast(last.Details)
			}
			last.Details += line
			continue
		}
		header, details := line, ""
		if i := strings.IndexAny(line, sudoersBlank); i >= 0 {
			header, details = line[:i], strings.Trim(line[i:], sudoersBlank)
		}
		isInclude := header == "#include" || header == "@include"
		isIncludeDir := header == "#includedir" || header == "@includedir"
		if line[0] == '#' && !isInclude && !isIncludeDir {
			continue
		}
		if details == "" && (isInclude || isIncludeDir) {
			continue
		}
		if !isInclude && !isIncludeDir && line[len(line)-1] == '\\' {
			continued = true
		}
		*rules = append(*rules, sudoersRule{Source: file, Header: header, Details: details})
		if isInclude || isIncludeDir {
			target := details
			if target[0] != '/' {
				target = acctHomeFile(path.Dir(file), target)
			}
			include(sudoersInclude{Path: target, Dir: isIncludeDir})
		}
	}
}

func sudoersDropLast(s string) string {
	if s == "" {
		return s
	}
	return s[:len(s)-1]
}
