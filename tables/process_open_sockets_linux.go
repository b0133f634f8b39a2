package tables

import (
	"strconv"

	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("process_open_sockets", func() *table.Table {
		return &table.Table{
			Name:        "process_open_sockets",
			Description: "Processes which have open network sockets on the system.",
			Platforms:   []string{"linux"},
			Columns: []table.Column{
				table.IntegerColumn("pid", table.Additional),
				table.BigIntColumn("fd"),
				table.BigIntColumn("socket"),
				table.IntegerColumn("family"),
				table.IntegerColumn("protocol"),
				table.TextColumn("local_address"),
				table.TextColumn("remote_address"),
				table.IntegerColumn("local_port"),
				table.IntegerColumn("remote_port"),
				table.TextColumn("path"),
				table.TextColumn("state"),
				table.TextColumn("net_namespace"),
			},
			Generate: genProcessOpenSockets,
		}
	})
}

// genProcessOpenSockets lists the sockets of every network namespace that a
// process lives in, with the process and descriptor holding each (-1 when
// none is known). A pid constraint reads only those processes and returns
// only their sockets.
func genProcessOpenSockets(q *table.Query, yield func(table.Row) bool) error {
	pids, filtered, err := socketQueryPIDs(q)
	if err != nil {
		q.Warn("cannot list processes", "err", err)
		return nil
	}
	for _, s := range collectProcSockets(q, pids, filtered) {
		r := q.NewRow()
		r.Set("pid", table.Int(s.pid))
		r.Set("fd", table.Int(s.fd))
		r.Set("socket", table.Uint(s.inode))
		r.Set("family", table.Int(s.family))
		r.Set("protocol", table.Int(s.protocol))
		r.Set("local_address", table.Text(s.localAddr))
		r.Set("remote_address", table.Text(s.remoteAddr))
		r.Set("local_port", table.Int(s.localPort))
		r.Set("remote_port", table.Int(s.remotePort))
		r.Set("path", table.Text(s.path))
		r.Set("state", table.Text(s.state))
		r.Set("net_namespace", table.Text(strconv.FormatUint(s.netNS, 10)))
		if !yield(r) {
			return nil
		}
	}
	return nil
}
