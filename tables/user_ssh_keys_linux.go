package tables

import (
	"strings"

	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("user_ssh_keys", func() *table.Table {
		return &table.Table{
			Name:        "user_ssh_keys",
			Description: "Returns the private keys in the users ~/.ssh directory and whether or not they are encrypted.",
			Platforms:   []string{"linux"},
			Attributes:  table.UserData,
			Columns: []table.Column{
				table.BigIntColumn("uid", table.Additional, table.Optimized),
				table.TextColumn("path", table.Index),
				table.IntegerColumn("encrypted"),
				table.TextColumn("key_type"),
				table.TextColumn("key_group_name"),
				table.IntegerColumn("key_length"),
				table.IntegerColumn("key_security_bits"),
				table.IntegerColumn("pid_with_namespace", table.Additional, table.Hidden),
			},
			Generate: genUserSSHKeys,
		}
	})
}

// genUserSSHKeys reads every regular, non-hidden file directly in each
// user's ~/.ssh (osquery globs ~/.ssh/*) and reports those that are private
// keys. A path constraint limits the files read.
func genUserSSHKeys(q *table.Query, yield func(table.Row) bool) error {
	paths := map[string]bool{}
	for _, p := range q.EqualTexts("path") {
		paths[p] = true
	}
	for _, u := range acctUsers(q) {
		dir := acctHomeFile(u.Home, ".ssh")
		if len(paths) > 0 && !sshKeyPathsIn(paths, dir) {
			continue
		}
		entries, err := q.Root().ReadDir(dir)
		if err != nil {
			if !acctMissing(err) {
				q.Warn("cannot list ssh directory", "dir", dir, "err", err)
			}
			continue
		}
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".") {
				continue
			}
			file := dir + "/" + e.Name()
			if len(paths) > 0 && !paths[file] {
				continue
			}
			if fi, err := q.Root().Stat(file); err != nil || fi.IsDir() {
				continue
			}
			b, err := acctReadFile(q.Root(), file)
			if err != nil {
				q.Warn("cannot read file in ssh directory", "file", file, "err", err)
				continue
			}
			info, ok := parseSSHPrivateKey(b)
			if !ok {
				continue
			}
			r := q.NewRow()
			r.Set("uid", table.Int(u.UID))
			r.Set("path", table.Text(file))
			r.Set("encrypted", table.Bool(info.Encrypted))
			r.Set("key_type", table.Text(info.Type))
			r.Set("key_group_name", table.Text(info.Group))
			r.Set("key_length", table.Int(info.Length))
			r.Set("key_security_bits", table.Int(info.Bits))
			r.Set("pid_with_namespace", table.Int(0))
			if !yield(r) {
				return nil
			}
		}
	}
	return nil
}

// sshKeyPathsIn reports whether any path lies directly in dir.
func sshKeyPathsIn(paths map[string]bool, dir string) bool {
	for p := range paths {
		if strings.HasPrefix(p, dir+"/") && !strings.Contains(p[len(dir)+1:], "/") {
			return true
		}
	}
	return false
}
