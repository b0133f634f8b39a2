package tables

import (
	"bufio"
	"io"
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
