package tables

import (
	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("users", func() *table.Table {
		return &table.Table{
			Name:        "users",
			Description: "Local user accounts (including domain accounts that have logged on locally (Windows)).",
			Platforms:   []string{"linux"},
			Columns: []table.Column{
				table.BigIntColumn("uid", table.Index),
				table.BigIntColumn("gid"),
				table.BigIntColumn("uid_signed"),
				table.BigIntColumn("gid_signed"),
				table.TextColumn("username", table.Additional),
				table.TextColumn("description"),
				table.TextColumn("directory"),
				table.TextColumn("shell"),
				table.TextColumn("uuid", table.Index).WithCollate("nocase"),
				table.IntegerColumn("pid_with_namespace", table.Additional, table.Hidden),
				table.IntegerColumn("include_remote", table.Additional, table.Hidden),
			},
			Generate: genUsers,
		}
	})
}

// genUsers lists the accounts of /etc/passwd, as osquery does by default
// since 5.12 (it no longer asks NSS, so LDAP is never queried). A username
// constraint wins over a uid constraint, as in osquery. include_remote = 1
// asks osquery for NSS users too; osaudit reads files only, so it reports
// the same local users, marked include_remote 1.
func genUsers(q *table.Query, yield func(table.Row) bool) error {
	entries, err := readPasswd(q.Root())
	if err != nil {
		q.Warn("cannot read /etc/passwd", "err", err)
		return nil
	}
	includeRemote := int64(0)
	if vals, _ := q.EqualInts("include_remote"); len(vals) > 0 && vals[0] == 1 {
		includeRemote = 1
	}
	names := map[string]bool{}
	for _, n := range q.EqualTexts("username") {
		names[n] = true
	}
	uids := map[int64]bool{}
	if vals, constrained := q.EqualInts("uid"); constrained && len(names) == 0 {
		if len(vals) == 0 {
			return nil // uid = 'abc' matches nothing
		}
		for _, v := range vals {
			uids[v] = true
		}
	}
	for _, e := range entries {
		if len(names) > 0 && !names[e.Name] {
			continue
		}
		if len(uids) > 0 && !uids[int64(uint32(e.UID))] {
			continue
		}
		if !yield(usersRow(q, e, includeRemote)) {
			return nil
		}
	}
	return nil
}

// usersRow builds a users row. osquery's uid_signed and gid_signed are the
// ids read as signed 32-bit numbers (4294967294 is -2); uuid is never set
// on Linux and stays NULL.
func usersRow(q *table.Query, e passwdEntry, includeRemote int64) table.Row {
	r := q.NewRow()
	r.Set("uid", table.Int(int64(uint32(e.UID))))
	r.Set("gid", table.Int(int64(uint32(e.GID))))
	r.Set("uid_signed", table.Int(int64(int32(uint32(e.UID)))))
	r.Set("gid_signed", table.Int(int64(int32(uint32(e.GID)))))
	r.Set("username", table.Text(e.Name))
	r.Set("description", table.Text(e.Gecos))
	r.Set("directory", table.Text(e.Home))
	r.Set("shell", table.Text(e.Shell))
	r.Set("pid_with_namespace", table.Int(0))
	r.Set("include_remote", table.Int(includeRemote))
	return r
}
