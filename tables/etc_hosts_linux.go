package tables

import (
	"strings"
	"unicode/utf8"

	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("etc_hosts", func() *table.Table {
		return &table.Table{
			Name:        "etc_hosts",
			Description: "Line-parsed /etc/hosts.",
			Aliases:     []string{"hosts"},
			Platforms:   []string{"linux"},
			Attributes:  table.Cacheable,
			Columns: []table.Column{
				table.TextColumn("address"),
				table.TextColumn("hostnames"),
				table.IntegerColumn("pid_with_namespace", table.Additional, table.Hidden),
			},
			Generate: genEtcHosts,
		}
	})
}

// etcHostsEntry is one line of /etc/hosts. hostnames is absent (NULL) on a
// line that holds an address only.
type etcHostsEntry struct {
	address      string
	hostnames    string
	hasHostnames bool
}

func genEtcHosts(q *table.Query, yield func(table.Row) bool) error {
	if etcInNamespace(q) {
		return nil
	}
	content, err := etcReadText(q.Root(), "/etc/hosts")
	if err != nil {
		q.Warn("cannot read /etc/hosts", "err", err)
		return nil
	}
	entries, skipped := parseEtcHosts(content)
	if skipped > 0 {
		q.Warn("skipped lines that are not UTF-8", "file", "/etc/hosts", "lines", skipped)
	}
	for _, e := range entries {
		r := q.NewRow()
		r.Set("address", table.Text(e.address))
		if e.hasHostnames {
			r.Set("hostnames", table.Text(e.hostnames))
		}
		r.Set("pid_with_namespace", table.Int(0))
		if !yield(r) {
			return nil
		}
	}
	return nil
}

// parseEtcHosts parses hosts(5) text as osquery does: each non-blank line
// is split at spaces and tabs; a line whose first field starts with "#" is
// a comment, and a field starting with "#" ends the hostnames. Hostnames
// are joined with single spaces. Lines that are not UTF-8 are skipped and
// counted.
func parseEtcHosts(content string) (entries []etcHostsEntry, skipped int) {
	for _, line := range etcLines(content) {
		if !utf8.ValidString(line) {
			skipped++
			continue
		}
		f := etcSplit(line, "\t ")
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		e := etcHostsEntry{address: f[0]}
		if len(f) > 1 {
			var names []string
			for _, n := range f[1:] {
				if strings.HasPrefix(n, "#") {
					break
				}
				names = append(names, n)
			}
			e.hostnames, e.hasHostnames = strings.Join(names, " "), true
		}
		entries = append(entries, e)
	}
	return entries, skipped
}
