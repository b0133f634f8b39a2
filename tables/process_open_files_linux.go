package tables

import (
	"strings"

	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("process_open_files", func() *table.Table {
		return &table.Table{
			Name:        "process_open_files",
			Description: "File descriptors for each process.",
			Platforms:   []string{"linux"},
			Columns: []table.Column{
				table.BigIntColumn("pid", table.Index),
				table.BigIntColumn("fd"),
				table.TextColumn("path"),
			},
			Generate: genProcessOpenFiles,
		}
	})
}

// genProcessOpenFiles lists each process's descriptors from the
// /proc/<pid>/fd links, leaving out sockets, pipes and anonymous inodes
// (eventfd, epoll, inotify...). A process whose descriptors cannot be read
// (another user's, without privileges) gives no rows.
func genProcessOpenFiles(q *table.Query, yield func(table.Row) bool) error {
	pids, err := listPIDs(q, "pid")
	if err != nil {
		q.Warn("cannot list processes", "err", err)
		return nil
	}
	for _, pid := range pids {
		if q.Context().Err() != nil {
			return nil
		}
		fds, err := readProcFDs(q.Root(), pid)
		if err != nil {
			continue
		}
		for _, fd := range fds {
			if !isFileDescriptorLink(fd.target) {
				continue
			}
			r := q.NewRow()
			r.Set("pid", table.Int(pid))
			r.Set("fd", table.Int(fd.fd))
			r.Set("path", table.Text(fd.target))
			if !yield(r) {
				return nil
			}
		}
	}
	return nil
}

// isFileDescriptorLink reports whether a /proc/<pid>/fd link names a file
// rather than a socket, pipe or anonymous inode. osquery drops links that
// contain "socket:", "pipe:" or "anon_inode:" anywhere, which also hides
// real files such as /tmp/pipe:x; only the kernel's prefixes are tested
// here.
func isFileDescriptorLink(target string) bool {
	for _, p := range []string{"socket:", "pipe:", "anon_inode:"} {
		if strings.HasPrefix(target, p) {
			return false
		}
	}
	return true
}
