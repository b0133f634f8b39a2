package tables

import (
	"bytes"
	"errors"
	"io/fs"
	"strconv"
	"strings"
	"syscall"

	"github.com/osaudit/osaudit/hostfs"
	"github.com/osaudit/osaudit/table"
)

// acctReadMax is the largest account or per-user file the tables read, as
// osquery's --read_max (50 MiB) bounds its readFile.
const acctReadMax = 50 << 20

// acctReadFile reads a host file of at most acctReadMax bytes.
func acctReadFile(root *hostfs.Root, path string) ([]byte, error) {
	return root.ReadFileLimit(path, acctReadMax)
}

// acctMissing reports whether err means the file is simply not there, which
// per-user tables treat as "no rows" without a warning.
func acctMissing(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

// acctSplitLines splits text on newlines as osquery's split(s, "\n") does:
// empty pieces are dropped and every piece is trimmed of C isspace
// characters (so whitespace-only lines become "").
func acctSplitLines(b []byte) []string {
	var out []string
	for piece := range bytes.SplitSeq(b, []byte{'\n'}) {
		if len(piece) == 0 {
			continue
		}
		out = append(out, acctTrimSpace(string(piece)))
	}
	return out
}

// acctIsSpace is C's isspace in the "C" locale.
func acctIsSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// acctTrimSpace trims C isspace characters from both ends, as boost::trim
// does.
func acctTrimSpace(s string) string {
	i, j := 0, len(s)
	for i < j && acctIsSpace(s[i]) {
		i++
	}
	for j > i && acctIsSpace(s[j-1]) {
		j--
	}
	return s[i:j]
}

// acctHomeFile joins a home directory and a relative path as
// boost::filesystem's operator/ does: no separator is doubled.
func acctHomeFile(home, rel string) string {
	if home == "" {
		return rel
	}
	if strings.HasSuffix(home, "/") {
		return home + rel
	}
	return home + "/" + rel
}

// acctInteger converts decimal digits to the value an osquery INTEGER
// column holds: osquery parses the text with strtol in base 0 (a leading 0
// means octal), gives NULL when that fails or overflows, and hands SQLite a
// C int, so the value wraps to 32 bits.
func acctInteger(s string) table.Value {
	base := 10
	digits := s
	if len(s) > 1 && s[0] == '0' {
		base, digits = 8, s[1:]
	}
	v, err := strconv.ParseInt(digits, base, 64)
	if err != nil {
		return table.Null
	}
	return table.Int(int64(int32(v)))
}

// acctUsers returns the users a per-user table reports (queryUsers) with
// those without a home directory left out: osquery would resolve their
// files against its own working directory.
func acctUsers(q *table.Query) []passwdEntry {
	var out []passwdEntry
	for _, u := range queryUsers(q) {
		if u.Home != "" {
			out = append(out, u)
		}
	}
	return out
}
