package tables

import (
	"errors"

	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("logged_in_users", func() *table.Table {
		return &table.Table{
			Name:        "logged_in_users",
			Description: "Users with an active shell on the system.",
			Platforms:   []string{"linux"},
			Attributes:  table.Cacheable,
			Columns: []table.Column{
				table.TextColumn("type"),
				table.TextColumn("user"),
				table.TextColumn("tty"),
				table.TextColumn("host"),
				table.BigIntColumn("time"),
				table.IntegerColumn("pid"),
			},
			Generate: genLoggedInUsers,
		}
	})
}

// utmpPath is glibc's _PATH_UTMP.
const utmpPath = "/var/run/utmp"

// loggedInTypeNames are osquery's names for ut_type values in
// logged_in_users; other values are "unknown".
var loggedInTypeNames = map[int16]string{
	utmpEmpty:        "empty",
	utmpRunLevel:     "runlevel",
	utmpBootTime:     "boot_time",
	utmpNewTime:      "new_time",
	utmpOldTime:      "old_time",
	utmpInitProcess:  "init",
	utmpLoginProcess: "login",
	utmpUserProcess:  "user",
	utmpDeadProcess:  "dead",
	utmpAccounting:   "accounting",
}

// genLoggedInUsers reports every record of the utmp file, as osquery's
// getutxent loop does, except those of pid 1.
func genLoggedInUsers(q *table.Query, yield func(table.Row) bool) error {
	f, err := q.Root().Open(utmpPath)
	if err != nil {
		if !acctMissing(err) {
			q.Warn("cannot read "+utmpPath, "err", err)
		}
		return nil
	}
	defer f.Close()
	err = parseUtmp(f, func(u utmpRecord) bool {
		if u.PID == 1 {
			return true
		}
		name, ok := loggedInTypeNames[u.Type]
		if !ok {
			name = "unknown"
		}
		r := q.NewRow()
		r.Set("type", table.Text(name))
		r.Set("user", table.Text(u.User))
		r.Set("tty", table.Text(u.Line))
		r.Set("host", table.Text(u.Host))
		r.Set("time", table.Int(int64(u.Sec)))
		r.Set("pid", table.Int(int64(u.PID)))
		return yield(r)
	})
	if errors.Is(err, errUtmpTruncated) {
		q.Warn(utmpPath + " ends with a partial record; ignored")
	} else if err != nil {
		q.Warn("cannot read "+utmpPath, "err", err)
	}
	return nil
}
