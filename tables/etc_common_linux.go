package tables

import (
	"strconv"
	"strings"

	"github.com/osaudit/osaudit/hostfs"
	"github.com/osaudit/osaudit/table"
)

// etcSplit splits s the way osquery's split(s, delims) does: at every byte
// of delims, dropping the empty pieces and then trimming white space from
// each remaining piece. A piece of white space only becomes "" (osquery
// drops empty pieces before it trims), and the callers keep that quirk.
func etcSplit(s, delims string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && strings.IndexByte(delims, s[i]) < 0 {
			continue
		}
		if i > start {
			out = append(out, etcTrim(s[start:i]))
		}
		start = i + 1
	}
	return out
}

// etcTrim trims the bytes C's isspace accepts, as boost::trim does.
func etcTrim(s string) string {
	return strings.Trim(s, " \t\n\v\f\r")
}

// etcLines splits a file's content into osquery's lines: split(content,
// "\n"), so blank lines are dropped and every line is trimmed.
func etcLines(content string) []string {
	return etcSplit(content, "\n")
}

// etcReadLimit bounds the configuration files these tables read whole.
const etcReadLimit = 16 << 20

// etcReadText reads a small host text file whole.
func etcReadText(root *hostfs.Root, hostPath string) (string, error) {
	b, err := root.ReadFileLimit(hostPath, etcReadLimit)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// etcInNamespace reports whether the query asks for the rows of another
// process's namespaces (pid_with_namespace = N, N != 0). osquery forks into
// that process's namespaces; osaudit does not, so such a query gets no rows
// and a warning. Rows generated normally carry pid_with_namespace 0, as in
// osquery.
func etcInNamespace(q *table.Query) bool {
	pids, constrained := q.EqualInts("pid_with_namespace")
	if !constrained {
		return false
	}
	for _, pid := range pids {
		if pid != 0 {
			q.Warn("pid_with_namespace is not supported; no rows", "pid", pid)
			return true
		}
	}
	return false
}

// etcInteger converts text for an INTEGER column as osquery's virtual
// table does (DynamicTableRow::get_column): std::stol with base 0
// (decimal, 0x hex or leading-0 octal, optional sign and leading white
// space, nothing after the digits), then sqlite3_result_int, which keeps
// the low 32 bits. Text that is not such a number becomes NULL.
func etcInteger(s string) table.Value {
	t := strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if t != "" && (t[0] == '+' || t[0] == '-') {
		neg = t[0] == '-'
		t = t[1:]
	}
	base := 10
	switch {
	case len(t) > 2 && (t[:2] == "0x" || t[:2] == "0X"):
		base, t = 16, t[2:]
	case len(t) > 1 && t[0] == '0':
		base, t = 8, t[1:]
	}
	if t == "" || t[0] == '+' || t[0] == '-' || strings.Contains(t, "_") {
		return table.Null
	}
	v, err := strconv.ParseInt(t, base, 64)
	if err != nil {
		return table.Null
	}
	if neg {
		v = -v
	}
	return table.Int(int64(int32(v)))
}
