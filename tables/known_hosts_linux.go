package tables

import (
	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("known_hosts", func() *table.Table {
		return &table.Table{
			Name:        "known_hosts",
			Description: "A line-delimited known_hosts table.",
			Platforms:   []string{"linux"},
			Attributes:  table.UserData,
			Columns: []table.Column{
				table.BigIntColumn("uid", table.Index, table.Optimized),
				table.TextColumn("key"),
				table.TextColumn("key_file"),
			},
			Generate: genKnownHosts,
		}
	})
}

// genKnownHosts reports each non-comment line of ~/.ssh/known_hosts, whole
// and trimmed, as osquery does (hashed host names, markers and keys are not
// split apart).
func genKnownHosts(q *table.Query, yield func(table.Row) bool) error {
	for _, u := range acctUsers(q) {
		file := acctHomeFile(u.Home, ".ssh/known_hosts")
		b, err := acctReadFile(q.Root(), file)
		if err != nil {
			if !acctMissing(err) {
				q.Warn("cannot read known hosts", "file", file, "err", err)
			}
			continue
		}
		for _, line := range parseKnownHosts(b) {
			r := q.NewRow()
			r.Set("uid", table.Int(u.UID))
			r.Set("key", table.Text(line))
			r.Set("key_file", table.Text(file))
			if !yield(r) {
				return nil
			}
		}
	}
	return nil
}

// parseKnownHosts returns the trimmed lines that are neither blank nor
// comments.
func parseKnownHosts(b []byte) []string {
	var out []string
	for _, line := range acctSplitLines(b) {
		if line != "" && line[0] != '#' {
			out = append(out, line)
		}
	}
	return out
}
