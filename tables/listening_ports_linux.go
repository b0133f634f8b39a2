package tables

import (
	"strconv"

	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("listening_ports", func() *table.Table {
		return &table.Table{
			Name:        "listening_ports",
			Description: "Processes with listening (bound) network sockets/ports.",
			Platforms:   []string{"linux"},
			Attributes:  table.Cacheable,
			Columns: []table.Column{
				table.IntegerColumn("pid"),
				table.IntegerColumn("port"),
				table.IntegerColumn("protocol"),
				table.IntegerColumn("family"),
				table.TextColumn("address"),
				table.BigIntColumn("fd"),
				table.BigIntColumn("socket"),
				table.TextColumn("path"),
				table.TextColumn("net_namespace"),
			},
			Generate: genListeningPorts,
		}
	})
}

// genListeningPorts keeps, as osquery does, the process_open_sockets rows
// with no remote port: listening TCP, bound UDP and raw sockets, AF_PACKET
// sockets, and UNIX sockets that have a path. UNIX rows give the path and
// leave address and port NULL; the others leave path NULL.
func genListeningPorts(q *table.Query, yield func(table.Row) bool) error {
	pids, err := allPIDs(q.Root())
	if err != nil {
		q.Warn("cannot list processes", "err", err)
		return nil
	}
	for _, s := range collectProcSockets(q, pids, false) {
		if !isListeningSocket(s.procSocket) {
			continue
		}
		r := q.NewRow()
		r.Set("pid", table.Int(s.pid))
		if s.family == sockFamilyUnix {
			r.Set("path", table.Text(s.path))
		} else {
			r.Set("address", table.Text(s.localAddr))
			r.Set("port", table.Int(s.localPort))
		}
		r.Set("protocol", table.Int(s.protocol))
		r.Set("family", table.Int(s.family))
		r.Set("net_namespace", table.Text(strconv.FormatUint(s.netNS, 10)))
		r.Set("fd", table.Int(s.fd))
		r.Set("socket", table.Uint(s.inode))
		if !yield(r) {
			return nil
		}
	}
	return nil
}

// isListeningSocket is osquery's test: remote port 0, and a path for UNIX
// sockets (anonymous ones are skipped).
func isListeningSocket(s procSocket) bool {
	if s.remotePort != 0 {
		return false
	}
	return s.family != sockFamilyUnix || s.path != ""
}
