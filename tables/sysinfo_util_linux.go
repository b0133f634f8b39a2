package tables

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/osaudit/osaudit/hostfs"
)

// Helpers shared by the system tables (system_info, os_version, cpu_info,
// system_controls...). They reproduce the small string utilities osquery's
// C++ code relies on, so that edge cases split and convert as osquery does.

// sysIsSpace reports whether c is whitespace for C's isspace in the "C"
// locale, which boost::trim uses.
func sysIsSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// sysTrim trims C whitespace from both ends, as boost::trim does.
func sysTrim(s string) string {
	i, j := 0, len(s)
	for i < j && sysIsSpace(s[i]) {
		i++
	}
	for j > i && sysIsSpace(s[j-1]) {
		j--
	}
	return s[i:j]
}

// sysTrimRight trims C whitespace from the end, as boost::trim_right does.
func sysTrimRight(s string) string {
	j := len(s)
	for j > 0 && sysIsSpace(s[j-1]) {
		j--
	}
	return s[:j]
}

// sysSplit splits s on any byte of delims, drops the empty pieces and then
// trims each remaining piece, as osquery::split(s, delims) does. A piece of
// only whitespace is kept (as ""): osquery drops empties before trimming.
func sysSplit(s, delims string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && strings.IndexByte(delims, s[i]) < 0 {
			continue
		}
		if i > start {
			out = append(out, sysTrim(s[start:i]))
		}
		start = i + 1
	}
	return out
}

// sysSplitN splits s like sysSplit on one delimiter, then joins every piece
// after the first occurrences ones back with the delimiter, as
// osquery::split(s, delim, occurrences) does.
func sysSplitN(s string, delim byte, occurrences int) []string {
	parts := sysSplit(s, string(delim))
	if len(parts) <= occurrences {
		return parts
	}
	out := append([]string(nil), parts[:occurrences]...)
	return append(out, strings.Join(parts[occurrences:], string(delim)))
}

// sysStrtoll converts s as osquery's tryTo<long long>(s, 0) does (strtoll
// with base 0 that must consume the whole string): leading whitespace and
// a sign are allowed, "0x" means hex and a leading "0" octal. osquery
// stores a value that fails this conversion as NULL in numeric columns.
func sysStrtoll(s string) (int64, bool) {
	i := 0
	for i < len(s) && sysIsSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	base := uint64(10)
	switch {
	case i+2 < len(s) && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X') && sysHexDigit(s[i+2]) >= 0:
		base = 16
		i += 2
	case i < len(s) && s[i] == '0':
		base = 8
	}
	if i >= len(s) {
		return 0, false
	}
	var v uint64
	for ; i < len(s); i++ {
		d := sysHexDigit(s[i])
		if d < 0 || uint64(d) >= base {
			return 0, false
		}
		if v > (math.MaxUint64-uint64(d))/base {
			return 0, false
		}
		v = v*base + uint64(d)
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}

func sysHexDigit(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// sysReadSmall reads a small host file (a /proc or /sys attribute, a
// config file) of at most 1 MiB.
func sysReadSmall(root *hostfs.Root, hostPath string) ([]byte, error) {
	b, err := root.ReadFileLimit(hostPath, 1<<20)
	if errors.Is(err, hostfs.ErrTooLarge) {
		return nil, fmt.Errorf("%s: %w", hostPath, err)
	}
	return b, err
}

// sysReadAttr reads a one-line sysfs/procfs attribute and returns it with
// surrounding whitespace trimmed. Non-UTF-8 content is an error.
func sysReadAttr(root *hostfs.Root, hostPath string) (string, error) {
	b, err := root.ReadFileLimit(hostPath, 64<<10)
	if err != nil {
		return "", err
	}
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	if !utf8.Valid(b) {
		return "", fmt.Errorf("%s: not UTF-8", hostPath)
	}
	return sysTrim(string(b)), nil
}
