package tables

import (
	"errors"

	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("last", func() *table.Table {
		return &table.Table{
			Name:        "last",
			Description: "System logins and logouts.",
			Platforms:   []string{"linux"},
			Attributes:  table.Cacheable,
			Columns: []table.Column{
				table.TextColumn("username"),
				table.TextColumn("tty"),
				table.IntegerColumn("pid"),
				table.IntegerColumn("type"),
				table.TextColumn("type_name"),
				table.IntegerColumn("time"),
				table.TextColumn("host"),
			},
			Generate: genLast,
		}
	})
}

// wtmpPath is glibc's _PATH_WTMP.
const wtmpPath = "/var/log/wtmp"

// genLast reports the login (USER_PROCESS) and logout (DEAD_PROCESS)
// records of wtmp, in file order; boot, run-level and other records are
// left out, as in osquery.
func genLast(q *table.Query, yield func(table.Row) bool) error {
	f, err := q.Root().Open(wtmpPath)
	if err != nil {
		if !acctMissing(err) {
			q.Warn("cannot read "+wtmpPath, "err", err)
		}
		return nil
	}
	defer f.Close()
	err = parseUtmp(f, func(u utmpRecord) bool {
		if q.Context().Err() != nil {
			return false
		}
		if u.Type != utmpUserProcess && u.Type != utmpDeadProcess {
			return true
		}
		r := q.NewRow()
		r.Set("username", table.Text(u.User))
		r.Set("tty", table.Text(u.Line))
		r.Set("pid", table.Int(int64(u.PID)))
		r.Set("type", table.Int(int64(u.Type)))
		r.Set("type_name", table.Text(lastTypeName(u.Type)))
		r.Set("time", table.Int(int64(u.Sec)))
		r.Set("host", table.Text(u.Host))
		return yield(r)
	})
	if errors.Is(err, errUtmpTruncated) {
		q.Warn(wtmpPath + " ends with a partial record; ignored")
	} else if err != nil {
		q.Warn("cannot read "+wtmpPath, "err", err)
	}
	return nil
}

// lastTypeName is osquery's type_name for a ut_type in the last table.
func lastTypeName(t int16) string {
	switch t {
	case utmpEmpty:
		return "empty"
	case utmpRunLevel:
		return "run-level"
	case utmpBootTime:
		return "boot-time"
	case utmpNewTime:
		return "new-time"
	case utmpOldTime:
		return "old-time"
	case utmpInitProcess:
		return "init-process"
	case utmpLoginProcess:
		return "login-process"
	case utmpUserProcess:
		return "user-process"
	case utmpDeadProcess:
		return "dead-process"
	}
	return ""
}
