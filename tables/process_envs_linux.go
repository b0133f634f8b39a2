package tables

import (
	"bytes"
	"strconv"

	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("process_envs", func() *table.Table {
		return &table.Table{
			Name:        "process_envs",
			Description: "A key/value table of environment variables for each process.",
			Platforms:   []string{"linux"},
			Columns: []table.Column{
				table.IntegerColumn("pid", table.Index, table.Optimized),
				table.TextColumn("key"),
				table.TextColumn("value"),
			},
			Generate: genProcessEnvs,
		}
	})
}

// genProcessEnvs reads /proc/<pid>/environ of each process. Other users'
// environments need privileges; those processes give no rows.
func genProcessEnvs(q *table.Query, yield func(table.Row) bool) error {
	pids, err := listPIDs(q, "pid")
	if err != nil {
		q.Warn("cannot list processes", "err", err)
		return nil
	}
	var scratch []byte
	for _, pid := range pids {
		if q.Context().Err() != nil {
			return nil
		}
		scratch, err = q.Root().ReadInto("/proc/"+strconv.FormatInt(pid, 10)+"/environ", scratch)
		if err != nil {
			continue
		}
		for _, v := range parseProcEnviron(scratch) {
			r := q.NewRow()
			r.Set("pid", table.Int(pid))
			r.Set("key", table.Text(v.key))
			r.Set("value", table.Text(v.value))
			if !yield(r) {
				return nil
			}
		}
	}
	return nil
}

// procEnvVar is one variable of a process environment.
type procEnvVar struct{ key, value string }

// parseProcEnviron splits the NUL-separated /proc/<pid>/environ. As in
// osquery, the list ends at the first empty entry, and an entry without "="
// gives the whole entry as both key and value. (osquery also stops at an
// entry whose first byte is 0x80 or above, a signed-char slip not copied
// here.)
func parseProcEnviron(b []byte) []procEnvVar {
	var out []procEnvVar
	for len(b) > 0 {
		entry := b
		if i := bytes.IndexByte(b, 0); i >= 0 {
			entry, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		if len(entry) == 0 {
			break
		}
		s := string(entry)
		key, value := s, s
		if i := bytes.IndexByte(entry, '='); i >= 0 {
			key, value = s[:i], s[i+1:]
		}
		out = append(out, procEnvVar{key: key, value: value})
	}
	return out
}
