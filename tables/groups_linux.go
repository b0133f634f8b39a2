package tables

import (
	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("groups", func() *table.Table {
		return &table.Table{
			Name:        "groups",
			Description: "Local system groups.",
			Platforms:   []string{"linux"},
			Columns: []table.Column{
				table.BigIntColumn("gid", table.Index),
				table.BigIntColumn("gid_signed"),
				table.TextColumn("groupname"),
				table.IntegerColumn("pid_with_namespace", table.Additional, table.Hidden),
			},
			Generate: genGroups,
		}
	})
}

// genGroups lists /etc/group. Without a gid constraint a gid is reported
// once, for its first line, as osquery does; with one, the first line of
// each asked gid is reported (getgrgid).
func genGroups(q *table.Query, yield func(table.Row) bool) error {
	entries, err := readEtcGroup(q.Root())
	if err != nil {
		q.Warn("cannot read /etc/group", "err", err)
		return nil
	}
	want, constrained := q.EqualInts("gid")
	if constrained {
		for _, gid := range want {
			for _, e := range entries {
				if e.GID == gid {
					if !yield(groupsRow(q, e)) {
						return nil
					}
					break
				}
			}
		}
		return nil
	}
	seen := map[int64]bool{}
	for _, e := range entries {
		if seen[e.GID] {
			continue
		}
		seen[e.GID] = true
		if !yield(groupsRow(q, e)) {
			return nil
		}
	}
	return nil
}

func groupsRow(q *table.Query, e etcGroupEntry) table.Row {
	r := q.NewRow()
	r.Set("gid", table.Int(e.GID))
	r.Set("gid_signed", table.Int(int64(int32(uint32(e.GID)))))
	r.Set("groupname", table.Text(e.Name))
	r.Set("pid_with_namespace", table.Int(0))
	return r
}
