package osquery

import (
	"sort"
	"strconv"
	"time"
)

// Row is one result row as osquery logs and diffs it: column to text.
type Row map[string]string

// CalendarTime formats t as osquery's calendarTime: asctime of UTC with
// " UTC", the day space-padded ("Mon May  2 22:27:32 2016 UTC").
func CalendarTime(t time.Time) string {
	return t.UTC().Format("Mon Jan _2 15:04:05 2006") + " UTC"
}

// ResultHeader is what every result line of one execution shares.
type ResultHeader struct {
	Name           string
	HostIdentifier string
	Time           time.Time
	Epoch          uint64
	Counter        uint64
	// Numerics writes values of Numeric columns as JSON numbers
	// (--logger_numerics).
	Numerics bool
	Numeric  map[string]bool
	// Decorations are added as "decorations", or merged into the line with
	// DecorationsTopLevel (--decorations_top_level).
	Decorations         map[string]string
	DecorationsTopLevel bool
}

// EventLines returns the "event" format (--logger_event_type, the default):
// one line per removed row, then one per added row.
func (h ResultHeader) EventLines(added, removed []Row) [][]byte {
	var e eventEncoder
	e.start(h, len(added)+len(removed))
	for _, r := range removed {
		e.line(r, "removed")
	}
	for _, r := range added {
		e.line(r, "added")
	}
	return e.lines()
}

// eventEncoder writes the event lines of one execution: the shared keys
// are encoded once, and every line is a capped slice of one buffer.
type eventEncoder struct {
	h    ResultHeader
	head []byte
	buf  []byte
	ends []int
}

func (e *eventEncoder) start(h ResultHeader, n int) {
	e.h = h
	e.head = h.appendHead(make([]byte, 0, 192))
	e.buf = make([]byte, 0, n*(len(e.head)+320))
	e.ends = make([]int, 0, n)
}

func (e *eventEncoder) line(r Row, action string) {
	b := append(e.buf, '{')
	b = append(b, e.head...)
	b = append(b, `,"columns":`...)
	b = e.h.appendRow(b, r)
	b = append(b, `,"action":`...)
	b = AppendJSONString(b, action)
	e.buf = append(b, '}')
	e.ends = append(e.ends, len(e.buf))
}

func (e *eventEncoder) lines() [][]byte {
	lines := make([][]byte, len(e.ends))
	start := 0
	for i, end := range e.ends {
		lines[i] = e.buf[start:end:end]
		start = end
	}
	return lines
}

// BatchLine returns the "batch" format (--logger_event_type=false): one
// line with diffResults.
func (h ResultHeader) BatchLine(added, removed []Row) []byte {
	b := make([]byte, 0, 256)
	b = append(b, `{"diffResults":{"removed":`...)
	b = h.appendRows(b, removed)
	b = append(b, `,"added":`...)
	b = h.appendRows(b, added)
	b = append(b, "},"...)
	b = h.appendHead(b)
	return append(b, '}')
}

// SnapshotLine returns a snapshot query's line: every row under
// "snapshot".
func (h ResultHeader) SnapshotLine(rows []Row) []byte {
	b := make([]byte, 0, 256)
	b = append(b, `{"snapshot":`...)
	b = h.appendRows(b, rows)
	b = append(b, `,"action":"snapshot",`...)
	b = h.appendHead(b)
	return append(b, '}')
}

// SnapshotEventLines returns a snapshot as one event line per row
// (--logger_snapshot_event_type).
func (h ResultHeader) SnapshotEventLines(rows []Row) [][]byte {
	var e eventEncoder
	e.start(h, len(rows))
	for _, r := range rows {
		e.line(r, "snapshot")
	}
	return e.lines()
}

// appendHead writes the shared keys in osquery's order, without braces.
func (h ResultHeader) appendHead(b []byte) []byte {
	b = append(b, `"name":`...)
	b = AppendJSONString(b, h.Name)
	b = append(b, `,"hostIdentifier":`...)
	b = AppendJSONString(b, h.HostIdentifier)
	b = append(b, `,"calendarTime":`...)
	b = AppendJSONString(b, CalendarTime(h.Time))
	b = append(b, `,"unixTime":`...)
	b = strconv.AppendInt(b, h.Time.Unix(), 10)
	b = append(b, `,"epoch":`...)
	b = strconv.AppendUint(b, h.Epoch, 10)
	b = append(b, `,"counter":`...)
	b = strconv.AppendUint(b, h.Counter, 10)
	b = append(b, `,"numerics":`...)
	b = strconv.AppendBool(b, h.Numerics)
	if len(h.Decorations) > 0 {
		if h.DecorationsTopLevel {
			for _, k := range sortedKeys(h.Decorations) {
				b = append(b, ',')
				b = AppendJSONString(b, k)
				b = append(b, ':')
				b = AppendJSONString(b, h.Decorations[k])
			}
		} else {
			b = append(b, `,"decorations":`...)
			b = AppendStringMap(b, h.Decorations)
		}
	}
	return b
}

func (h ResultHeader) appendRows(b []byte, rows []Row) []byte {
	b = append(b, '[')
	for i, r := range rows {
		if i > 0 {
			b = append(b, ',')
		}
		b = h.appendRow(b, r)
	}
	return append(b, ']')
}

// appendRow writes a row with its keys sorted, as osquery's std::map does.
func (h ResultHeader) appendRow(b []byte, r Row) []byte {
	b = append(b, '{')
	for i, k := range sortedKeys(r) {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendJSONString(b, k)
		b = append(b, ':')
		v := r[k]
		if h.Numerics && h.Numeric[k] && isJSONNumber(v) {
			b = append(b, v...)
		} else {
			b = AppendJSONString(b, v)
		}
	}
	return append(b, '}')
}

// AppendStringMap writes a map of strings with sorted keys.
func AppendStringMap(b []byte, m map[string]string) []byte {
	b = append(b, '{')
	for i, k := range sortedKeys(m) {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendJSONString(b, k)
		b = append(b, ':')
		b = AppendJSONString(b, m[k])
	}
	return append(b, '}')
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// isJSONNumber reports whether s is a number in JSON's grammar, so it can
// be written as it is.
func isJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	start := i
	if n := digits(); n == 0 || (n > 1 && s[start] == '0') {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// Severity is a status log severity.
type Severity int

// Status severities, as osquery numbers them.
const (
	SeverityInfo Severity = iota
	SeverityWarning
	SeverityError
	SeverityFatal
)

// StatusLine is one status log entry.
type StatusLine struct {
	HostIdentifier string
	Time           time.Time
	Severity       Severity
	Filename       string
	Line           int
	Message        string
	Version        string
	Decorations    map[string]string
}

// JSON returns the status line as buffered loggers (tls) send it, with
// numbers for unixTime, severity and line as osquery 5.10 and later do.
func (s StatusLine) JSON() []byte {
	b := make([]byte, 0, 200)
	b = append(b, `{"hostIdentifier":`...)
	b = AppendJSONString(b, s.HostIdentifier)
	b = append(b, `,"calendarTime":`...)
	b = AppendJSONString(b, CalendarTime(s.Time))
	b = append(b, `,"unixTime":`...)
	b = strconv.AppendInt(b, s.Time.Unix(), 10)
	b = append(b, `,"severity":`...)
	b = strconv.AppendInt(b, int64(s.Severity), 10)
	b = append(b, `,"filename":`...)
	b = AppendJSONString(b, s.Filename)
	b = append(b, `,"line":`...)
	b = strconv.AppendInt(b, int64(s.Line), 10)
	b = append(b, `,"message":`...)
	b = AppendJSONString(b, s.Message)
	b = append(b, `,"version":`...)
	b = AppendJSONString(b, s.Version)
	if len(s.Decorations) > 0 {
		b = append(b, `,"decorations":`...)
		b = AppendStringMap(b, s.Decorations)
	}
	return append(b, '}')
}

// Glog returns the status line as osquery's filesystem logger writes it,
// in glog's text format: "Lmmdd hh:mm:ss.uuuuuu tid file:line] msg".
func (s StatusLine) Glog(tid int) []byte {
	letter := "IWEF"[min(max(int(s.Severity), 0), 3)]
	t := s.Time.UTC()
	b := make([]byte, 0, 100+len(s.Message))
	b = append(b, letter)
	b = t.AppendFormat(b, "0102 15:04:05.000000")
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(tid), 10)
	b = append(b, ' ')
	b = append(b, s.Filename...)
	b = append(b, ':')
	b = strconv.AppendInt(b, int64(s.Line), 10)
	b = append(b, "] "...)
	b = append(b, s.Message...)
	return append(b, '\n')
}
