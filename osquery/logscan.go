package osquery

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// scanLog is ParseLog's fast path: one pass over a body that json.Valid
// accepted, for log requests in the shapes osquery sends (every field of
// its usual type, no duplicate or case-folded keys). It gives exactly what
// decoding with encoding/json into logLine gives; ok false means the body
// has something else, and the general path must parse it.
func scanLog(body []byte) (b *LogBatch, ok bool) {
	s := &logScanner{b: body, text: string(body)}
	b = &LogBatch{}
	var env envelope
	var dataStart, dataEnd int
	s.ws()
	if !s.is('{') {
		return nil, false
	}
	var seen uint8
	for s.more('}') {
		key := s.key()
		s.ws()
		switch key {
		case "node_key", "log_type", "data":
			bit := uint8(1)
			switch key {
			case "log_type":
				bit = 2
			case "data":
				bit = 4
			}
			if seen&bit != 0 {
				return nil, false
			}
			seen |= bit
		default:
			if foldsTo(key, "node_key", "log_type", "data") {
				return nil, false
			}
			s.skip()
			continue
		}
		switch key {
		case "node_key", "log_type":
			v, isStr := s.stringOrNull()
			if !isStr {
				return nil, false
			}
			if key == "node_key" {
				env.nodeKey = v
			} else {
				env.logType = v
			}
		case "data":
			if s.peek() != '[' {
				if s.peek() == 'n' {
					s.skip()
					continue
				}
				return nil, false
			}
			dataStart = s.i
			s.skip()
			dataEnd = s.i
		}
	}
	b.NodeKey, b.LogType = env.nodeKey, env.logType
	switch b.LogType {
	case LogTypeResult, "snapshot":
		b.LogType = LogTypeResult
	case LogTypeStatus:
	default:
		return nil, false // the general path reports it
	}
	if dataEnd == 0 {
		return b, true
	}
	s.i = dataStart + 1
	for s.more(']') {
		switch s.peek() {
		case '{':
			var l logLine
			if !s.line(&l) {
				return nil, false
			}
			if b.LogType == LogTypeStatus {
				b.Statuses = append(b.Statuses, l.status())
			} else {
				b.Results = l.appendRows(b.Results)
			}
			if len(b.Results) > MaxObjects {
				return nil, false
			}
		case '"':
			return nil, false // a line as a JSON string
		default:
			s.skip()
			b.Skipped++
		}
	}
	return b, true
}

type envelope struct{ nodeKey, logType string }

// logLineFields are logLine's JSON names.
var logLineFields = []string{"name", "unixTime", "epoch", "counter", "decorations", "columns", "action", "diffResults",
	"snapshot", "severity", "filename", "line", "message", "version"}

// foldsTo reports whether key matches one of names only case-insensitively,
// as encoding/json would match it.
func foldsTo(key string, names ...string) bool {
	for _, n := range names {
		if key != n && strings.EqualFold(key, n) {
			return true
		}
	}
	return false
}

type logScanner struct {
	b []byte
	// text is b as a string: strings without escapes are its substrings,
	// one copy of the body instead of an allocation per key and value
	// (they keep the body's memory while any of them lives: rows are
	// stored and dropped within the request).
	text    string
	i       int
	fields  map[string]uint32 // fieldBit's answers, by key
	mapSize int               // the last string map's size, to size the next
}

// foldedField is fieldBit's answer for a key that matches a field only
// case-insensitively.
const foldedField = 1 << 31

// fieldBit returns the bit of the logLine field named key (1<<i for
// logLineFields[i]), 0 for another key, or foldedField. Lines repeat the
// same keys (osquery's hostIdentifier, calendarTime, numerics...), so the
// answer is kept.
func (s *logScanner) fieldBit(key string) uint32 {
	if bit, ok := s.fields[key]; ok {
		return bit
	}
	bit := uint32(0)
	for i, f := range logLineFields {
		if key == f {
			bit = 1 << i
			break
		}
	}
	if bit == 0 && foldsTo(key, logLineFields...) {
		bit = foldedField
	}
	if s.fields == nil {
		s.fields = map[string]uint32{}
	}
	if len(s.fields) < 64 {
		s.fields[key] = bit
	}
	return bit
}

func (s *logScanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *logScanner) peek() byte {
	s.ws()
	return s.b[s.i]
}

// is consumes c if it comes next.
func (s *logScanner) is(c byte) bool {
	if s.peek() == c {
		s.i++
		return true
	}
	return false
}

// more reports whether another member or element follows before the
// closing byte, consuming commas and the closing byte.
func (s *logScanner) more(closing byte) bool {
	s.ws()
	switch s.b[s.i] {
	case closing:
		s.i++
		return false
	case ',':
		s.i++
		s.ws()
	}
	return true
}

// key reads an object key and its colon.
func (s *logScanner) key() string {
	k := s.str()
	s.ws()
	s.i++ // ':'
	return k
}

// str reads a string, unquoted as encoding/json does.
func (s *logScanner) str() string {
	start := s.i + 1
	ascii := true
	for i := start; i < len(s.b); i++ {
		switch c := s.b[i]; {
		case c == '"':
			s.i = i + 1
			if !ascii && !utf8.Valid(s.b[start:i]) {
				return unquote(s.b[start:i])
			}
			return s.text[start:i]
		case c == '\\':
			end := stringEnd(s.b, i)
			s.i = end + 1
			return unquote(s.b[start:end])
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	s.i = len(s.b) + 1 // not reached: the body is valid JSON
	return ""
}

// stringEnd returns the index of the quote that ends the string whose
// contents start at i.
func stringEnd(b []byte, i int) int {
	for {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			return len(b)
		}
		i += j
		n := 0
		for k := i - 1; k >= 0 && b[k] == '\\'; k-- {
			n++
		}
		if n%2 == 0 {
			return i
		}
		i++
	}
}

// unquote decodes a JSON string's contents like encoding/json: invalid
// UTF-8 bytes and lone surrogates become U+FFFD.
func unquote(s []byte) string {
	b := make([]byte, 0, len(s)+8)
	for r := 0; r < len(s); {
		c := s[r]
		switch {
		case c == '\\':
			r++
			switch s[r] {
			case '"', '\\', '/':
				b = append(b, s[r])
				r++
			case 'b':
				b, r = append(b, '\b'), r+1
			case 'f':
				b, r = append(b, '\f'), r+1
			case 'n':
				b, r = append(b, '\n'), r+1
			case 'r':
				b, r = append(b, '\r'), r+1
			case 't':
				b, r = append(b, '\t'), r+1
			case 'u':
				rr := getu4(s[r-1:])
				r += 5
				if utf16.IsSurrogate(rr) {
					rr1 := rune(-1)
					if r+6 <= len(s) && s[r] == '\\' && s[r+1] == 'u' {
						rr1 = getu4(s[r:])
					}
					if dec := utf16.DecodeRune(rr, rr1); dec != unicode.ReplacementChar {
						r += 6
						b = utf8.AppendRune(b, dec)
						break
					}
					rr = unicode.ReplacementChar
				}
				b = utf8.AppendRune(b, rr)
			}
		case c < utf8.RuneSelf:
			b = append(b, c)
			r++
		default:
			rr, size := utf8.DecodeRune(s[r:])
			r += size
			b = utf8.AppendRune(b, rr)
		}
	}
	return string(b)
}

// getu4 decodes \uXXXX at the start of s, or returns -1.
func getu4(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	n, err := strconv.ParseUint(string(s[2:6]), 16, 32)
	if err != nil {
		return -1
	}
	return rune(n)
}

// skip passes over one value.
func (s *logScanner) skip() {
	s.ws()
	depth := 0
	for {
		switch c := s.b[s.i]; c {
		case '"':
			s.i = stringEnd(s.b, s.i+1) + 1
		case '{', '[':
			depth++
			s.i++
		case '}', ']':
			depth--
			s.i++
		case ',', ':', ' ', '\t', '\n', '\r':
			s.i++
		default: // a literal
			s.literal()
		}
		if depth == 0 {
			return
		}
	}
}

// literalEnd marks the bytes that can follow a literal.
var literalEnd = func() (t [256]bool) {
	for _, c := range []byte(",]} \t\n\r") {
		t[c] = true
	}
	return t
}()

// literal reads a number or true/false/null.
func (s *logScanner) literal() []byte {
	start := s.i
	for s.i < len(s.b) && !literalEnd[s.b[s.i]] {
		s.i++
	}
	return s.b[start:s.i]
}

// stringOrNull reads a string (null: ""); ok false for anything else.
func (s *logScanner) stringOrNull() (string, bool) {
	switch s.peek() {
	case '"':
		return s.str(), true
	case 'n':
		s.literal()
		return "", true
	}
	return "", false
}

// number reads what a json.Number field takes: a number, a string holding
// one, or null.
func (s *logScanner) number() (json.Number, bool) {
	switch c := s.peek(); {
	case c == '"':
		v := s.str()
		if !isJSONNumber(v) {
			return "", false
		}
		return json.Number(v), true
	case c == 'n':
		s.literal()
		return "", true
	case c == '-' || c >= '0' && c <= '9':
		return json.Number(s.literal()), true
	}
	return "", false
}

// stringMap reads an object of strings into m (allocated if nil, as
// encoding/json reuses a map), or null.
func (s *logScanner) stringMap(m *map[string]string) bool {
	if s.peek() == 'n' {
		s.literal()
		*m = nil
		return true
	}
	if !s.is('{') {
		return false
	}
	if *m == nil {
		*m = make(map[string]string, s.mapSize)
	}
	for s.more('}') {
		k := s.key()
		v, ok := s.stringOrNull()
		if !ok {
			return false
		}
		(*m)[k] = v
	}
	s.mapSize = len(*m)
	return true
}

// rows reads an array of string maps, or null.
func (s *logScanner) rows(rs *[]map[string]string) bool {
	if s.peek() == 'n' {
		s.literal()
		*rs = nil
		return true
	}
	if !s.is('[') {
		return false
	}
	*rs = []map[string]string{}
	for s.more(']') {
		var m map[string]string
		if !s.stringMap(&m) {
			return false
		}
		*rs = append(*rs, m)
	}
	return true
}

// line reads a result or status line.
func (s *logScanner) line(l *logLine) bool {
	s.i++ // '{'
	var seen uint32
	for s.more('}') {
		key := s.key()
		bit := s.fieldBit(key)
		if bit == foldedField {
			return false
		}
		if bit == 0 {
			s.skip()
			continue
		}
		if seen&bit != 0 {
			return false
		}
		seen |= bit
		ok := true
		switch key {
		case "name":
			l.Name, ok = s.stringOrNull()
		case "action":
			l.Action, ok = s.stringOrNull()
		case "filename":
			l.Filename, ok = s.stringOrNull()
		case "message":
			l.Message, ok = s.stringOrNull()
		case "version":
			l.Version, ok = s.stringOrNull()
		case "unixTime":
			l.UnixTime, ok = s.number()
		case "epoch":
			l.Epoch, ok = s.number()
		case "counter":
			l.Counter, ok = s.number()
		case "severity":
			l.Severity, ok = s.number()
		case "line":
			l.Line, ok = s.number()
		case "decorations":
			ok = s.stringMap(&l.Decorations)
		case "columns":
			ok = s.stringMap(&l.Columns)
		case "snapshot":
			ok = s.rows(&l.Snapshot)
		case "diffResults":
			ok = s.diff(l)
		}
		if !ok {
			return false
		}
	}
	return true
}

func (s *logScanner) diff(l *logLine) bool {
	if s.peek() == 'n' {
		s.literal()
		l.DiffResults = nil
		return true
	}
	if !s.is('{') {
		return false
	}
	d := &diffResults{}
	var seen uint8
	for s.more('}') {
		key := s.key()
		switch key {
		case "added", "removed":
			bit := uint8(1)
			if key == "removed" {
				bit = 2
			}
			if seen&bit != 0 {
				return false
			}
			seen |= bit
			rs := &d.Added
			if key == "removed" {
				rs = &d.Removed
			}
			if !s.rows(rs) {
				return false
			}
		default:
			if foldsTo(key, "added", "removed") {
				return false
			}
			s.skip()
		}
	}
	l.DiffResults = d
	return true
}
