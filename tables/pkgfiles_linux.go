package tables

import (
	"bufio"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/osaudit/osaudit/hostfs"
)

// pkgLineMax is the longest line the package-database parsers keep; the
// rest of a longer line is read and dropped, and the line is marked long.
const pkgLineMax = 64 << 10

// pkgLineReader reads text lines of any length with bounded memory, for
// package databases and configuration files that can be several MB.
type pkgLineReader struct {
	r    *bufio.Reader
	buf  []byte
	line int // number of the last line read, from 1
}

func newPkgLineReader(r io.Reader) *pkgLineReader {
	return &pkgLineReader{r: bufio.NewReaderSize(r, 16<<10)}
}

// next returns the next line without its "\n", valid until the next call.
// long reports a line cut at pkgLineMax. err is io.EOF after the last line.
func (l *pkgLineReader) next() (line []byte, long bool, err error) {
	l.buf = l.buf[:0]
	for {
		chunk, isPrefix, err := l.r.ReadLine()
		if err != nil {
			if err == io.EOF && len(l.buf) > 0 {
				break
			}
			return nil, false, err
		}
		if room := pkgLineMax - len(l.buf); room > 0 {
			if len(chunk) > room {
				chunk, long = chunk[:room], true
			}
			l.buf = append(l.buf, chunk...)
		} else if len(chunk) > 0 {
			long = true
		}
		if !isPrefix {
			break
		}
	}
	l.line++
	return l.buf, long, nil
}

// pkgIsFile reports whether a host path is a regular file, following
// symlinks.
func pkgIsFile(root *hostfs.Root, p string) bool {
	fi, err := root.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// pkgGlobFiles expands a host pattern to the regular files it matches, in
// name order.
func pkgGlobFiles(root *hostfs.Root, pattern string) []string {
	matches, _ := root.Glob(pattern)
	var out []string
	for _, m := range matches {
		if pkgIsFile(root, m) {
			out = append(out, m)
		}
	}
	return out
}

// pkgSplit splits s on any of the delimiter bytes as osquery's split()
// does: empty pieces are dropped, then each piece is trimmed of spaces.
func pkgSplit(s, delims string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(delims, r) }) {
		out = append(out, strings.TrimSpace(p))
	}
	return out
}

// pkgGlobEscape quotes the characters filepath.Match treats specially.
func pkgGlobEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// pkgSortedKeys returns a map's keys in order.
func pkgSortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
