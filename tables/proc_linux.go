package tables

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strconv"

	"github.com/osaudit/osaudit/hostfs"
	"github.com/osaudit/osaudit/table"
)

// clockTicks is USER_HZ, the unit of times in /proc/<pid>/stat. It is 100 on
// every Linux architecture Go supports; sysconf would need cgo.
const clockTicks = 100

// listPIDs returns the pids a process table reads: those the query's pid
// constraint names that exist, or every process in /proc, sorted.
func listPIDs(q *table.Query, column string) ([]int64, error) {
	root := q.Root()
	if want, constrained := q.EqualInts(column); constrained {
		var pids []int64
		for _, pid := range want {
			if fi, err := root.Stat("/proc/" + strconv.FormatInt(pid, 10)); err == nil && fi.IsDir() {
				pids = append(pids, pid)
			}
		}
		sort.Slice(pids, func(i, j int) bool { return pids[i] < pids[j] })
		return pids, nil
	}
	return allPIDs(root)
}

// allPIDs lists the numeric entries of /proc, sorted.
func allPIDs(root *hostfs.Root) ([]int64, error) {
	f, err := root.Open("/proc")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	pids := make([]int64, 0, len(names))
	for _, n := range names {
		if n == "" || n[0] < '0' || n[0] > '9' {
			continue
		}
		if pid, err := strconv.ParseInt(n, 10, 64); err == nil {
			pids = append(pids, pid)
		}
	}
	sort.Slice(pids, func(i, j int) bool { return pids[i] < pids[j] })
	return pids, nil
}

// readBootTime returns the boot time in Unix seconds from /proc/stat.
func readBootTime(root *hostfs.Root) (int64, error) {
	f, err := root.Open("/proc/stat")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return parseBootTime(f)
}

// parseBootTime finds the btime line of /proc/stat.
func parseBootTime(r io.Reader) (int64, error) {
	b, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil {
		return 0, err
	}
	for line := range bytes.SplitSeq(b, []byte{'\n'}) {
		if rest, ok := bytes.CutPrefix(line, []byte("btime ")); ok {
			return strconv.ParseInt(string(bytes.TrimSpace(rest)), 10, 64)
		}
	}
	return 0, fmt.Errorf("/proc/stat: no btime line")
}
