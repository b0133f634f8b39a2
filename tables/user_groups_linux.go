package tables

import (
	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("user_groups", func() *table.Table {
		return &table.Table{
			Name:        "user_groups",
			Description: "Local system user group relationships.",
			Platforms:   []string{"linux"},
			Columns: []table.Column{
				table.BigIntColumn("uid", table.Index, table.Optimized),
				table.BigIntColumn("gid", table.Index),
			},
			Generate: genUserGroups,
		}
	})
}

// genUserGroups reports, for each user of /etc/passwd (each uid once, its
// first line), the groups getgrouplist(3) gives with the files backend: the
// primary group first, then every /etc/group line that lists the user, in
// file order, except the primary gid.
func genUserGroups(q *table.Query, yield func(table.Row) bool) error {
	users, err := readPasswd(q.Root())
	if err != nil {
		q.Warn("cannot read /etc/passwd", "err", err)
		return nil
	}
	groups, err := readEtcGroup(q.Root())
	if err != nil {
		q.Warn("cannot read /etc/group; reporting primary groups only", "err", err)
	}
	want := map[int64]bool{}
	if uids, constrained := q.EqualInts("uid"); constrained {
		if len(uids) == 0 {
			return nil
		}
		for _, uid := range uids {
			want[uid] = true
		}
	}
	seen := map[int64]bool{}
	for _, u := range users {
		if seen[u.UID] || (len(want) > 0 && !want[u.UID]) {
			continue
		}
		seen[u.UID] = true
		for _, gid := range userGroupList(u, groups) {
			r := q.NewRow()
			r.Set("uid", table.Int(u.UID))
			r.Set("gid", table.Int(gid))
			if !yield(r) {
				return nil
			}
		}
	}
	return nil
}

// userGroupList is getgrouplist(user, primary gid) over the group file.
func userGroupList(u passwdEntry, groups []etcGroupEntry) []int64 {
	out := []int64{u.GID}
	for _, g := range groups {
		if g.GID == u.GID {
			continue
		}
		for _, m := range g.Members {
			if m == u.Name {
				out = append(out, g.GID)
				break
			}
		}
	}
	return out
}
