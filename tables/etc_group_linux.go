package tables

import (
	"bufio"
	"io"
	"strconv"
	"strings"

	"github.com/osaudit/osaudit/hostfs"
)

// etcGroupEntry is one line of /etc/group.
type etcGroupEntry struct {
	Name, Password string
	GID            int64
	Members        []string
}

// readEtcGroup reads the host's /etc/group.
func readEtcGroup(root *hostfs.Root) ([]etcGroupEntry, error) {
	f, err := root.Open("/etc/group")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseEtcGroup(f)
}

// parseEtcGroup parses group(5) lines: name:password:gid:members, the
// member list comma-separated and possibly absent. Comments, blank lines,
// NIS "+"/"-" lines and lines with a non-numeric or out-of-range gid are
// skipped, as glibc's files backend skips lines it cannot parse.
func parseEtcGroup(r io.Reader) ([]etcGroupEntry, error) {
	var out []etcGroupEntry
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" || line[0] == '#' || line[0] == '+' || line[0] == '-' {
			continue
		}
		f := strings.SplitN(line, ":", 4)
		if len(f) < 3 || f[0] == "" {
			continue
		}
		gid, err := strconv.ParseUint(f[2], 10, 32)
		if err != nil {
			continue
		}
		e := etcGroupEntry{Name: f[0], Password: f[1], GID: int64(gid)}
		if len(f) == 4 {
			for m := range strings.SplitSeq(f[3], ",") {
				if m != "" {
					e.Members = append(e.Members, m)
				}
			}
		}
		out = append(out, e)
	}
	return out, sc.Err()
}
