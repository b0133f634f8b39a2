package tables

import (
	"strings"

	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("ssh_configs", func() *table.Table {
		return &table.Table{
			Name:        "ssh_configs",
			Description: "A table of parsed ssh_configs.",
			Platforms:   []string{"linux"},
			Attributes:  table.UserData,
			Columns: []table.Column{
				table.BigIntColumn("uid", table.Additional, table.Optimized),
				table.TextColumn("block"),
				table.TextColumn("option"),
				table.TextColumn("ssh_config_file"),
			},
			Generate: genSSHConfigs,
		}
	})
}

// systemSSHConfig is the system-wide client configuration, which osquery
// always reports, as uid 0, after the users' files.
const systemSSHConfig = "/etc/ssh/ssh_config"

// sshConfigOption is one option line and the Host or Match line it is
// under ("" before the first one).
type sshConfigOption struct {
	Block, Option string
}

func genSSHConfigs(q *table.Query, yield func(table.Row) bool) error {
	emit := func(uid int64, file string) bool {
		b, err := acctReadFile(q.Root(), file)
		if err != nil {
			if !acctMissing(err) {
				q.Warn("cannot read ssh config", "file", file, "err", err)
			}
			return true
		}
		for _, o := range parseSSHConfig(b) {
			r := q.NewRow()
			r.Set("uid", table.Int(uid))
			r.Set("block", table.Text(o.Block))
			r.Set("option", table.Text(o.Option))
			r.Set("ssh_config_file", table.Text(file))
			if !yield(r) {
				return false
			}
		}
		return true
	}
	for _, u := range acctUsers(q) {
		if !emit(u.UID, acctHomeFile(u.Home, ".ssh/config")) {
			return nil
		}
	}
	// The system file's rows have uid 0; skip it when the query asks for
	// other uids only, since SQLite would drop its rows anyway.
	if uids, constrained := q.EqualInts("uid"); constrained {
		found := false
		for _, uid := range uids {
			found = found || uid == 0
		}
		if !found {
			return nil
		}
	}
	emit(0, systemSSHConfig)
	return nil
}

// parseSSHConfig parses ssh_config(5) as osquery does: every trimmed line
// is lower-cased (values too); comments and blank lines are skipped; a
// line starting "host " or "match " opens a block and gives no row; any
// other line is an option of the current block. Include directives are
// reported as options, not followed.
func parseSSHConfig(b []byte) []sshConfigOption {
	var out []sshConfigOption
	block := ""
	for _, line := range acctSplitLines(b) {
		line = sshConfigLower(line)
		if line == "" || line[0] == '#' {
			continue
		}
		if strings.HasPrefix(line, "host ") || strings.HasPrefix(line, "match ") {
			block = line
			continue
		}
		out = append(out, sshConfigOption{Block: block, Option: line})
	}
	return out
}

// sshConfigLower lower-cases ASCII letters only, as tolower does in the C
// locale; other bytes are kept.
func sshConfigLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
