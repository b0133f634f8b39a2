package tables

import (
	"bufio"
	"io"
	"strconv"
	"strings"

	"github.com/osaudit/osaudit/hostfs"
	"github.com/osaudit/osaudit/table"
)

// passwdEntry is one line of /etc/passwd.
type passwdEntry struct {
	Name, Password string
	UID, GID       int64
	Gecos, Home    string
	Shell          string
}

// readPasswd reads the host's /etc/passwd.
func readPasswd(root *hostfs.Root) ([]passwdEntry, error) {
	f, err := root.Open("/etc/passwd")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parsePasswd(f)
}

// parsePasswd parses passwd(5) lines. Comments, blank lines, NIS "+"/"-"
// lines and lines without seven fields or with non-numeric ids are skipped.
func parsePasswd(r io.Reader) ([]passwdEntry, error) {
	var out []passwdEntry
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" || line[0] == '#' || line[0] == '+' || line[0] == '-' {
			continue
		}
		f := strings.Split(line, ":")
		if len(f) != 7 {
			continue
		}
		uid, err1 := strconv.ParseInt(f[2], 10, 64)
		gid, err2 := strconv.ParseInt(f[3], 10, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		out = append(out, passwdEntry{Name: f[0], Password: f[1], UID: uid, GID: gid, Gecos: f[4], Home: f[5], Shell: f[6]})
	}
	return out, sc.Err()
}

// queryUsers returns the users a per-user (user_data) table reports: the
// uids the query constrains, or else the current user only, as osquery
// does. Users missing from /etc/passwd are left out.
func queryUsers(q *table.Query) []passwdEntry {
	users, err := readPasswd(q.Root())
	if err != nil {
		q.Warn("cannot read /etc/passwd", "err", err)
		return nil
	}
	want := map[int64]bool{}
	for _, uid := range q.UIDs() {
		want[uid] = true
	}
	var out []passwdEntry
	seen := map[int64]bool{}
	for _, u := range users {
		if want[u.UID] && !seen[u.UID] {
			seen[u.UID] = true
			out = append(out, u)
		}
	}
	return out
}
