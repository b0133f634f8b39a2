package osquery

// The bodies of osquery's TLS remote API (enroll, config, log, distributed
// read and write), as osquery 5.x sends and expects them. Agents build the
// request types and marshal them with encoding/json; servers parse them with
// the Parse functions, which are lenient where osquery versions differ
// (strings or numbers for status fields and statuses, numeric columns with
// --logger_numerics) and bounded, so that a hostile body costs no more than
// its size.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/osaudit/osaudit"
)

// Limits of the parsers. A body is at most the server's size limit; these
// bound what a small body can make the parser allocate.
const (
	// MaxObjects bounds the JSON objects in one body (log lines, rows,
	// column maps): about 40 bytes each in a 10 MiB body.
	MaxObjects = 1 << 18
	// MaxDepth bounds how deeply a body nests.
	MaxDepth = 32
)

// ErrTooLarge is returned (wrapped) when a body exceeds a parser limit.
var ErrTooLarge = errors.New("too many objects or too deep")

// Platform types: osquery's build platform bitmask as the decimal string
// that enroll sends.
const (
	PlatformTypeLinux   = "9"  // POSIX | LINUX
	PlatformTypeWindows = "2"  // WINDOWS
	PlatformTypeDarwin  = "21" // POSIX | BSD | OSX
	PlatformTypeFreeBSD = "37" // POSIX | BSD | FREEBSD
)

// EnrollRequest is the body of an enroll request. Every host_details value
// is a string: the first row of SELECT * FROM the table.
type EnrollRequest struct {
	EnrollSecret   string                       `json:"enroll_secret"`
	HostIdentifier string                       `json:"host_identifier"`
	PlatformType   string                       `json:"platform_type"`
	HostDetails    map[string]map[string]string `json:"host_details,omitempty"`
}

// EnrollResponse is what enroll answers: a node key, or node_invalid.
type EnrollResponse struct {
	NodeKey     string `json:"node_key,omitempty"`
	NodeInvalid bool   `json:"node_invalid,omitempty"`
	Error       string `json:"error,omitempty"`
}

// NodeKeyRequest is the body of config and distributed read requests.
type NodeKeyRequest struct {
	NodeKey string `json:"node_key"`
}

// LogRequest is the body of a log request as an agent builds it: result or
// status lines, each a JSON object.
type LogRequest struct {
	NodeKey string            `json:"node_key"`
	LogType string            `json:"log_type"` // "result" or "status"
	Data    []json.RawMessage `json:"data"`
}

// Log types.
const (
	LogTypeResult = "result"
	LogTypeStatus = "status"
)

// DistributedReadResponse is what distributed read answers: queries by id,
// and discovery queries that gate the query of the same id.
type DistributedReadResponse struct {
	Queries     map[string]string `json:"queries"`
	Discovery   map[string]string `json:"discovery,omitempty"`
	Accelerate  int               `json:"accelerate,omitempty"` // seconds, a JSON integer
	NodeInvalid bool              `json:"node_invalid,omitempty"`
}

// DistributedWrite is the body of a distributed write: each query's rows,
// status (0: success), error message and resource use.
type DistributedWrite struct {
	NodeKey  string                         `json:"node_key"`
	Queries  map[string][]map[string]string `json:"queries"`
	Statuses map[string]int                 `json:"statuses,omitempty"`
	Messages map[string]string              `json:"messages,omitempty"`
	Stats    map[string]QueryStats          `json:"stats,omitempty"`
}

// QueryStats is what a distributed query cost the agent (osquery 5.8+):
// wall time and CPU times in milliseconds, memory in bytes.
type QueryStats struct {
	WallTimeMs int64 `json:"wall_time_ms"`
	UserTime   int64 `json:"user_time"`
	SystemTime int64 `json:"system_time"`
	Memory     int64 `json:"memory"`
}

// Map returns the stats by their wire names.
func (s QueryStats) Map() map[string]int64 {
	return map[string]int64{"wall_time_ms": s.WallTimeMs, "user_time": s.UserTime, "system_time": s.SystemTime, "memory": s.Memory}
}

// checkBounds rejects bodies with more objects or deeper nesting than the
// limits, before anything is allocated for them. Braces inside strings are
// counted too: the count is an upper bound.
func checkBounds(body []byte) error {
	if n := bytes.Count(body, []byte{'{'}); n > MaxObjects {
		return fmt.Errorf("%d objects, the limit is %d: %w", n, MaxObjects, ErrTooLarge)
	}
	depth := 0
	for i := 0; i < len(body); i++ {
		switch body[i] {
		case '"':
			i = stringEnd(body, i+1)
		case '{', '[':
			depth++
			if depth > MaxDepth {
				return fmt.Errorf("nests deeper than %d: %w", MaxDepth, ErrTooLarge)
			}
		case '}', ']':
			depth--
		}
	}
	return nil
}

// syntaxError returns a message for invalid JSON with its offset.
func syntaxError(what string, err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Errorf("%s: invalid JSON at byte %d: %s", what, syn.Offset, syn.Error())
	}
	return fmt.Errorf("%s: %w", what, err)
}

// decodeLenient decodes body into a generic value, numbers kept as text.
func decodeLenient(body []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON value")
	}
	return v, nil
}

// text converts a JSON value to the text osquery means by it: strings as
// they are, numbers as written, booleans as true/false, null as "", and
// objects or arrays as compact JSON.
func text(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	case nil:
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

// integer converts a JSON value to an integer: numbers (fractions
// truncated), strings holding one ("83", " 4 "), booleans. Anything else,
// and out-of-range values, give ok false.
func integer(v any) (n int64, ok bool) {
	var s string
	switch v := v.(type) {
	case json.Number:
		s = v.String()
	case string:
		s = string(bytes.TrimSpace([]byte(v)))
	case bool:
		if v {
			return 1, true
		}
		return 0, true
	default:
		return 0, false
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || f >= math.MaxInt64 || f <= math.MinInt64 {
		return 0, false
	}
	return int64(f), true
}

func stringMap(v any) map[string]string {
	m, ok := v.(map[string]any)
	if !ok || len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, x := range m {
		out[k] = text(x)
	}
	return out
}

// ParseEnroll parses an enroll request. host_details values that are not
// strings are kept as their text.
func ParseEnroll(body []byte) (*EnrollRequest, error) {
	if err := checkBounds(body); err != nil {
		return nil, fmt.Errorf("enroll: %w", err)
	}
	v, err := decodeLenient(body)
	if err != nil {
		return nil, syntaxError("enroll", err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("enroll: the body must be a JSON object")
	}
	req := &EnrollRequest{
		EnrollSecret:   text(obj["enroll_secret"]),
		HostIdentifier: text(obj["host_identifier"]),
		PlatformType:   text(obj["platform_type"]),
	}
	if d, ok := obj["host_details"].(map[string]any); ok {
		req.HostDetails = make(map[string]map[string]string, len(d))
		for table, row := range d {
			if m := stringMap(row); m != nil {
				req.HostDetails[table] = m
			}
		}
	}
	return req, nil
}

// ParseNodeKey parses the body of a config or distributed read request.
// An empty body has no node key (it may be in the Authorization header).
func ParseNodeKey(body []byte) (string, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return "", nil
	}
	var req NodeKeyRequest
	err := json.Unmarshal(body, &req)
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return "", nil // a node_key that is not a string is no key
	}
	if err != nil {
		return "", syntaxError("request", err)
	}
	return req.NodeKey, nil
}

// LogBatch is a parsed log request: result rows (event, batch and snapshot
// lines split into one row each) or status lines.
type LogBatch struct {
	NodeKey  string
	LogType  string
	Results  []*osaudit.ResultRow
	Statuses []*osaudit.StatusRow
	// Skipped counts lines that were not JSON objects; osquery drops those
	// too.
	Skipped int
}

// logLine is a result or status line, decoded fast when every field has
// the usual type.
type logLine struct {
	Name        string              `json:"name"`
	UnixTime    json.Number         `json:"unixTime"`
	Epoch       json.Number         `json:"epoch"`
	Counter     json.Number         `json:"counter"`
	Decorations map[string]string   `json:"decorations"`
	Columns     map[string]string   `json:"columns"`
	Action      string              `json:"action"`
	DiffResults *diffResults        `json:"diffResults"`
	Snapshot    []map[string]string `json:"snapshot"`

	Severity json.Number `json:"severity"`
	Filename string      `json:"filename"`
	Line     json.Number `json:"line"`
	Message  string      `json:"message"`
	Version  string      `json:"version"`
}

type diffResults struct {
	Added   []map[string]string `json:"added"`
	Removed []map[string]string `json:"removed"`
}

// ParseLog parses a log request. Lines may be objects or, as some clients
// send them, JSON strings holding an object. A log_type other than result
// or status is an error.
func ParseLog(body []byte) (*LogBatch, error) {
	if err := checkBounds(body); err != nil {
		return nil, fmt.Errorf("log: %w", err)
	}
	if validJSON(body) {
		if b, ok := scanLog(body); ok {
			return b, nil
		}
	}
	return parseLog(body)
}

// parseLog is ParseLog's general path, on encoding/json.
func parseLog(body []byte) (*LogBatch, error) {
	var env struct {
		NodeKey any               `json:"node_key"`
		LogType any               `json:"log_type"`
		Data    []json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		var typ *json.UnmarshalTypeError
		if !errors.As(err, &typ) {
			return nil, syntaxError("log", err)
		}
		if typ.Field == "data" {
			return nil, errors.New("log: data must be an array of log lines")
		}
		return nil, errors.New("log: the body must be a JSON object")
	}
	b := &LogBatch{NodeKey: text(env.NodeKey), LogType: text(env.LogType)}
	switch b.LogType {
	case LogTypeResult, "snapshot":
		b.LogType = LogTypeResult
	case LogTypeStatus:
	case "":
		return nil, errors.New("log: no log_type")
	default:
		return nil, fmt.Errorf("log: unknown log_type %q", b.LogType)
	}
	for _, raw := range env.Data {
		if len(raw) > 0 && raw[0] == '"' {
			var s string
			if json.Unmarshal(raw, &s) != nil {
				b.Skipped++
				continue
			}
			raw = json.RawMessage(s)
			if checkBounds(raw) != nil {
				b.Skipped++
				continue
			}
		}
		if raw = bytes.TrimLeft(raw, " \t\r\n"); len(raw) == 0 || raw[0] != '{' {
			b.Skipped++
			continue
		}
		line, ok := decodeLogLine(raw)
		if !ok {
			b.Skipped++
			continue
		}
		if b.LogType == LogTypeStatus {
			b.Statuses = append(b.Statuses, line.status())
		} else {
			b.Results = line.appendRows(b.Results)
		}
		if len(b.Results) > MaxObjects {
			return nil, fmt.Errorf("log: more than %d rows: %w", MaxObjects, ErrTooLarge)
		}
	}
	return b, nil
}

// decodeLogLine decodes one line: fast when its fields have the usual
// types, leniently otherwise.
func decodeLogLine(raw []byte) (*logLine, bool) {
	var l logLine
	if json.Unmarshal(raw, &l) == nil {
		return &l, true
	}
	v, err := decodeLenient(raw)
	if err != nil {
		return nil, false
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, false
	}
	l = logLine{
		Name:        text(obj["name"]),
		UnixTime:    number(obj["unixTime"]),
		Epoch:       number(obj["epoch"]),
		Counter:     number(obj["counter"]),
		Decorations: stringMap(obj["decorations"]),
		Columns:     stringMap(obj["columns"]),
		Action:      text(obj["action"]),
		Severity:    number(obj["severity"]),
		Filename:    text(obj["filename"]),
		Line:        number(obj["line"]),
		Message:     text(obj["message"]),
		Version:     text(obj["version"]),
	}
	if d, ok := obj["diffResults"].(map[string]any); ok {
		l.DiffResults = &diffResults{Added: rowList(d["added"]), Removed: rowList(d["removed"])}
	}
	l.Snapshot = rowList(obj["snapshot"])
	return &l, true
}

func number(v any) json.Number {
	n, ok := integer(v)
	if !ok {
		return ""
	}
	return json.Number(strconv.FormatInt(n, 10))
}

func rowList(v any) []map[string]string {
	a, ok := v.([]any)
	if !ok {
		return nil
	}
	rows := make([]map[string]string, 0, len(a))
	for _, x := range a {
		if _, ok := x.(map[string]any); ok {
			m := stringMap(x)
			if m == nil {
				m = map[string]string{}
			}
			rows = append(rows, m)
		}
	}
	return rows
}

// toInt converts a json.Number to an integer; anything unparsable is 0.
func toInt(n json.Number) int64 {
	if n == "" {
		return 0
	}
	v, _ := integer(n)
	return v
}

func (l *logLine) row(action string, cols map[string]string) *osaudit.ResultRow {
	if cols == nil {
		cols = map[string]string{}
	}
	return &osaudit.ResultRow{
		Name:        l.Name,
		Action:      action,
		UnixTime:    toInt(l.UnixTime),
		Epoch:       toInt(l.Epoch),
		Counter:     toInt(l.Counter),
		Columns:     cols,
		Decorations: l.Decorations,
	}
}

// appendRows splits a result line into rows: an event line is one row; a
// batch line gives a row per removed then per added row; a snapshot line a
// row per snapshot row, with action "snapshot". A batch line without rows
// (counter 0, nothing found) gives none.
func (l *logLine) appendRows(rows []*osaudit.ResultRow) []*osaudit.ResultRow {
	switch {
	case l.DiffResults != nil:
		for _, c := range l.DiffResults.Removed {
			rows = append(rows, l.row("removed", c))
		}
		for _, c := range l.DiffResults.Added {
			rows = append(rows, l.row("added", c))
		}
	case l.Snapshot != nil || l.Action == "snapshot" && l.Columns == nil:
		for _, c := range l.Snapshot {
			rows = append(rows, l.row("snapshot", c))
		}
	default:
		rows = append(rows, l.row(l.Action, l.Columns))
	}
	return rows
}

func (l *logLine) status() *osaudit.StatusRow {
	s := &osaudit.StatusRow{
		Severity: int(clamp(toInt(l.Severity), 0, 3)),
		Filename: l.Filename,
		Line:     int(clamp(toInt(l.Line), 0, math.MaxInt32)),
		Message:  l.Message,
		Version:  l.Version,
	}
	if t := toInt(l.UnixTime); t > 0 {
		s.Time = time.Unix(t, 0).UTC()
	}
	return s
}

func clamp(v, lo, hi int64) int64 { return min(max(v, lo), hi) }

// distributedWrite is a distributed write decoded fast when every field
// has the usual type.
type distributedWrite struct {
	NodeKey  string                         `json:"node_key"`
	Queries  map[string][]map[string]string `json:"queries"`
	Statuses map[string]int                 `json:"statuses"`
	Messages map[string]string              `json:"messages"`
	Stats    map[string]QueryStats          `json:"stats"`
}

// ParseDistributedWrite parses a distributed write. Statuses may be
// numbers or strings; a query whose rows are not an array has none.
func ParseDistributedWrite(body []byte) (*DistributedWrite, error) {
	if err := checkBounds(body); err != nil {
		return nil, fmt.Errorf("distributed write: %w", err)
	}
	var w distributedWrite
	if err := json.Unmarshal(body, &w); err == nil {
		return (*DistributedWrite)(&w), nil
	}
	v, err := decodeLenient(body)
	if err != nil {
		return nil, syntaxError("distributed write", err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("distributed write: the body must be a JSON object")
	}
	out := &DistributedWrite{NodeKey: text(obj["node_key"])}
	if qs, ok := obj["queries"].(map[string]any); ok {
		out.Queries = make(map[string][]map[string]string, len(qs))
		for id, rows := range qs {
			out.Queries[id] = rowList(rows)
		}
	}
	if st, ok := obj["statuses"].(map[string]any); ok {
		out.Statuses = make(map[string]int, len(st))
		for id, x := range st {
			n, ok := integer(x)
			if !ok || n != int64(int32(n)) {
				n = 1 // not a status code: a failure
			}
			out.Statuses[id] = int(n)
		}
	}
	if ms, ok := obj["messages"].(map[string]any); ok {
		out.Messages = make(map[string]string, len(ms))
		for id, x := range ms {
			out.Messages[id] = text(x)
		}
	}
	if ss, ok := obj["stats"].(map[string]any); ok {
		out.Stats = make(map[string]QueryStats, len(ss))
		for id, x := range ss {
			m, _ := x.(map[string]any)
			get := func(k string) int64 { n, _ := integer(m[k]); return n }
			out.Stats[id] = QueryStats{WallTimeMs: get("wall_time_ms"), UserTime: get("user_time"), SystemTime: get("system_time"), Memory: get("memory")}
		}
	}
	return out, nil
}

// AppendDistributedRead appends a distributed read response with the
// queries and discovery queries, keys sorted.
func AppendDistributedRead(b []byte, queries, discovery map[string]string) []byte {
	b = append(b, `{"queries":`...)
	b = AppendStringMap(b, queries)
	b = append(b, `,"discovery":`...)
	b = AppendStringMap(b, discovery)
	return append(b, '}')
}
