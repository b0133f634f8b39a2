package tables

import (
	"strings"
	"unicode/utf8"

	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("etc_protocols", func() *table.Table {
		return &table.Table{
			Name:        "etc_protocols",
			Description: "Line-parsed /etc/protocols.",
			Platforms:   []string{"linux"},
			Attributes:  table.Cacheable,
			Columns: []table.Column{
				table.TextColumn("name"),
				table.IntegerColumn("number"),
				table.TextColumn("alias"),
				table.TextColumn("comment"),
			},
			Generate: genEtcProtocols,
		}
	})
}

// etcProtocol is one line of /etc/protocols; alias and comment are absent
// (NULL) when the line has none.
type etcProtocol struct {
	name, number         string
	alias, comment       string
	hasAlias, hasComment bool
}

func genEtcProtocols(q *table.Query, yield func(table.Row) bool) error {
	content, err := etcReadText(q.Root(), "/etc/protocols")
	if err != nil {
		q.Warn("cannot read /etc/protocols", "err", err)
		return nil
	}
	protocols, skipped := parseEtcProtocols(content)
	if skipped > 0 {
		q.Warn("skipped lines that are not UTF-8", "file", "/etc/protocols", "lines", skipped)
	}
	for _, p := range protocols {
		r := q.NewRow()
		r.Set("name", table.Text(p.name))
		r.Set("number", etcInteger(p.number))
		if p.hasAlias {
			r.Set("alias", table.Text(p.alias))
		}
		if p.hasComment {
			r.Set("comment", table.Text(p.comment))
		}
		if !yield(r) {
			return nil
		}
	}
	return nil
}

// parseEtcProtocols parses protocols(5) text as osquery does: the part
// before the first "#" is "name number [alias...]" of which only the first
// alias is kept; the "#" parts after it are the comment, joined with
// " # ". Lines with fewer than two fields are skipped silently, as osquery
// does (a number that is not a number gives a NULL number); lines that are
// not UTF-8 are skipped and counted.
func parseEtcProtocols(content string) (protocols []etcProtocol, skipped int) {
	for _, line := range etcLines(content) {
		if line == "" || line[0] == '#' {
			continue
		}
		if !utf8.ValidString(line) {
			skipped++
			continue
		}
		parts := etcSplit(line, "#")
		if len(parts) == 0 {
			continue
		}
		f := etcSplit(parts[0], "\t ")
		if len(f) < 2 {
			continue
		}
		p := etcProtocol{name: f[0], number: f[1]}
		if len(f) > 2 {
			p.alias, p.hasAlias = f[2], true
		}
		if len(parts) > 1 {
			p.comment, p.hasComment = strings.Join(parts[1:], " # "), true
		}
		protocols = append(protocols, p)
	}
	return protocols, skipped
}
