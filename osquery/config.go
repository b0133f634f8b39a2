// Package osquery reads and writes osquery's formats: configuration and
// pack files, result and status log lines, and the bodies of the TLS
// remote API. It knows nothing of how osaudit runs queries.
package osquery

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// MaxConfigSize bounds a config or pack file after comments are stripped:
// osquery master's limit (4 MiB; 5.23.1 and earlier allowed 1 MiB).
const MaxConfigSize = 4 << 20

// MaxInterval is the longest schedule interval osquery accepts (a week).
const MaxInterval = 604800

// Config is an osquery configuration: the options, schedule, packs and
// the other top-level keys osaudit uses.
type Config struct {
	Options      map[string]string
	Schedule     map[string]Query
	Packs        map[string]Pack
	Decorators   Decorators
	FilePaths    map[string][]string
	ExcludePaths map[string][]string
	FileAccesses []string
	Events       EventsConfig
	// Warnings are problems that did not stop the config from loading:
	// unknown keys, queries dropped for a bad interval, CLI-only options.
	Warnings []string
}

// Query is a scheduled query with its options.
type Query struct {
	Query           string
	Interval        uint64 // 0: --schedule_default_interval
	Snapshot        bool
	Removed         bool // log removed rows; true unless "removed": false
	Platform        string
	Version         string
	Shard           int  // 0: no shard
	Denylist        bool // may be denylisted by the watchdog; true by default
	Description     string
	Value           string
	StartupPriority *uint64
}

// Pack is a named group of queries with shared conditions.
type Pack struct {
	Queries   map[string]Query
	Discovery []string
	Platform  string
	Version   string
	Shard     int
	Oncall    string
}

// Decorators are queries whose single row decorates every log line.
type Decorators struct {
	Load     []string
	Always   []string
	Interval map[uint64][]string // seconds (a multiple of 60) to queries
}

// EventsConfig enables and disables event subscribers.
type EventsConfig struct {
	DisableSubscribers []string
	EnableSubscribers  []string
}

// Error is a config error with where it is.
type Error struct {
	File   string
	Line   int // 1-based; 0 when unknown
	Column int
	Msg    string
}

func (e *Error) Error() string {
	switch {
	case e.File != "" && e.Line > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
	case e.File != "":
		return e.File + ": " + e.Msg
	}
	return e.Msg
}

// preprocessed is config text with osquery's preprocessing applied and a
// map back to the original lines for error messages.
type preprocessed struct {
	text  []byte
	lines []int // preprocessed line i (0-based) starts at original line lines[i] (1-based)
}

// Preprocess applies osquery's rules: every backslash-newline is removed,
// then every line whose trimmed text starts with # or // is dropped (here:
// blanked, so that positions survive). Inline comments stay: they are not
// osquery syntax.
func preprocess(src []byte) preprocessed {
	var out bytes.Buffer
	lines := []int{1}
	orig := 1
	var line bytes.Buffer
	flush := func(last bool) {
		t := bytes.TrimSpace(line.Bytes())
		if !bytes.HasPrefix(t, []byte("#")) && !bytes.HasPrefix(t, []byte("//")) {
			out.Write(line.Bytes())
		}
		line.Reset()
		if !last {
			out.WriteByte('\n')
			lines = append(lines, orig)
		}
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '\\' && i+1 < len(src) && src[i+1] == '\n':
			i++
			orig++
		case c == '\\' && i+2 < len(src) && src[i+1] == '\r' && src[i+2] == '\n':
			i += 2
			orig++
		case c == '\n':
			orig++
			flush(false)
		default:
			line.WriteByte(c)
		}
	}
	flush(true)
	return preprocessed{text: out.Bytes(), lines: lines}
}

func (p preprocessed) position(offset int64) (line, col int) {
	if offset > int64(len(p.text)) {
		offset = int64(len(p.text))
	}
	l, c := 0, 1
	for i := int64(0); i < offset; i++ {
		if p.text[i] == '\n' {
			l++
			c = 1
		} else {
			c++
		}
	}
	if l < len(p.lines) {
		return p.lines[l], c
	}
	return l + 1, c
}

// jsonError turns a decoding error into an Error with a position.
func (p preprocessed) jsonError(file string, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		l, c := p.position(syn.Offset)
		return &Error{File: file, Line: l, Column: c, Msg: "invalid JSON: " + syn.Error()}
	case errors.As(err, &typ):
		l, c := p.position(typ.Offset)
		field := typ.Field
		if field == "" {
			field = "value"
		}
		return &Error{File: file, Line: l, Column: c, Msg: fmt.Sprintf("%s: want %s, got JSON %s", field, typ.Type, typ.Value)}
	case errors.Is(err, errTrailing):
		return &Error{File: file, Msg: err.Error()}
	}
	return &Error{File: file, Msg: err.Error()}
}

var errTrailing = errors.New("invalid JSON: data after the top-level object")

// decode reads exactly one JSON value from the preprocessed text.
func (p preprocessed) decode(file string, v any) error {
	if len(bytes.TrimSpace(p.text)) == 0 {
		return &Error{File: file, Msg: "empty config"}
	}
	if len(p.text) > MaxConfigSize {
		return &Error{File: file, Msg: fmt.Sprintf("config is %d bytes; the limit is %d", len(p.text), MaxConfigSize)}
	}
	dec := json.NewDecoder(bytes.NewReader(p.text))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return p.jsonError(file, err)
	}
	if dec.More() {
		off := dec.InputOffset()
		l, c := p.position(off)
		return &Error{File: file, Line: l, Column: c, Msg: errTrailing.Error()}
	}
	if m, ok := v.(*map[string]any); ok && depth(*m, 0) > 32 {
		return &Error{File: file, Msg: "config nests deeper than 32 levels"}
	}
	return nil
}

func depth(v any, d int) int {
	switch v := v.(type) {
	case map[string]any:
		m := d + 1
		for _, x := range v {
			m = max(m, depth(x, d+1))
		}
		return m
	case []any:
		m := d + 1
		for _, x := range v {
			m = max(m, depth(x, d+1))
		}
		return m
	}
	return d
}

// ParseConfig parses osquery config text. file names it in errors. Pack
// values that are strings are file paths: readPack reads them (nil to
// refuse).
func ParseConfig(file string, src []byte, readPack func(path string) ([]byte, error)) (*Config, error) {
	p := preprocess(src)
	var raw map[string]any
	if err := p.decode(file, &raw); err != nil {
		return nil, err
	}
	if raw == nil {
		return nil, &Error{File: file, Msg: "config must be a JSON object"}
	}
	c := &Config{
		Options:      map[string]string{},
		Schedule:     map[string]Query{},
		Packs:        map[string]Pack{},
		FilePaths:    map[string][]string{},
		ExcludePaths: map[string][]string{},
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := raw[k]
		var err error
		switch k {
		case "options":
			err = c.parseOptions(v)
		case "schedule":
			var qs map[string]Query
			qs, err = c.parseQueries("schedule", v)
			for name, q := range qs {
				c.Schedule[name] = q
			}
		case "packs":
			err = c.parsePacks(file, v, readPack)
		case "decorators":
			err = c.parseDecorators(v)
		case "file_paths":
			c.FilePaths, err = stringListMap(k, v)
		case "exclude_paths":
			c.ExcludePaths, err = stringListMap(k, v)
		case "file_accesses":
			c.FileAccesses, err = stringList(k, v)
		case "events":
			err = c.parseEvents(v)
		case "node_invalid", "node_key", "yara", "views", "auto_table_construction", "prometheus_targets",
			"feature_vectors", "kafka_topics", "logger", "file_paths_query", "schema", "$schema":
			// Keys other osquery plugins read; osaudit does not use them yet.
		default:
			c.Warnings = append(c.Warnings, fmt.Sprintf("unknown top-level key %q ignored", k))
		}
		if err != nil {
			return nil, &Error{File: file, Msg: err.Error()}
		}
	}
	return c, nil
}

func (c *Config) parseOptions(v any) error {
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("options: want an object")
	}
	for k, x := range m {
		s, err := scalarString(x)
		if err != nil {
			return fmt.Errorf("options.%s: %w", k, err)
		}
		c.Options[k] = s
	}
	return nil
}

// scalarString converts an option value as osquery does: strings as they
// are, numbers and booleans in their text form.
func scalarString(x any) (string, error) {
	switch x := x.(type) {
	case string:
		return x, nil
	case json.Number:
		return x.String(), nil
	case bool:
		return strconv.FormatBool(x), nil
	case nil:
		return "", nil
	}
	return "", fmt.Errorf("want a string, number or boolean")
}

var queryKeys = map[string]bool{
	"query": true, "interval": true, "snapshot": true, "removed": true, "platform": true, "version": true,
	"shard": true, "denylist": true, "blacklist": true, "description": true, "value": true, "startup_priority": true,
	"oncall": true,
}

func (c *Config) parseQueries(where string, v any) (map[string]Query, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: want an object of queries", where)
	}
	out := map[string]Query{}
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		q, warn, err := parseQuery(m[name])
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %w", where, name, err)
		}
		if warn != "" {
			c.Warnings = append(c.Warnings, fmt.Sprintf("%s.%s: %s; query dropped", where, name, warn))
			continue
		}
		if reason := reservedName(name); reason != "" {
			c.Warnings = append(c.Warnings, fmt.Sprintf("%s.%s: %s; query dropped", where, name, reason))
			continue
		}
		out[name] = q
	}
	return out, nil
}

// reservedName rejects names that clash with osquery's state keys.
func reservedName(name string) string {
	for _, p := range []string{"query.", "cache.", "config_views."} {
		if strings.HasPrefix(name, p) {
			return "query names may not start with " + p
		}
	}
	for _, s := range []string{"epoch", "counter"} {
		if strings.HasSuffix(name, s) {
			return "query names may not end with " + s
		}
	}
	return ""
}

// parseQuery reads one query object. warn is set when osquery would drop
// the query (a bad interval) without failing the config.
func parseQuery(v any) (q Query, warn string, err error) {
	m, ok := v.(map[string]any)
	if !ok {
		return q, "", fmt.Errorf("want an object")
	}
	q.Removed, q.Denylist = true, true
	sql, ok := m["query"].(string)
	if !ok || strings.TrimSpace(sql) == "" {
		return q, "", fmt.Errorf("query: want a non-empty SQL string")
	}
	q.Query = sql
	for k, x := range m {
		switch k {
		case "query":
		case "interval":
			n, perr := parseUint(x)
			if perr != nil {
				return q, "interval " + perr.Error(), nil
			}
			if n < 1 || n > MaxInterval {
				return q, fmt.Sprintf("interval %d is outside 1..%d", n, MaxInterval), nil
			}
			q.Interval = n
		case "snapshot":
			q.Snapshot, err = parseBool(x)
		case "removed":
			q.Removed, err = parseBool(x)
		case "denylist", "blacklist":
			q.Denylist, err = parseBool(x)
		case "platform":
			q.Platform, err = scalarString(x)
		case "version":
			q.Version, err = scalarString(x)
		case "description":
			q.Description, err = scalarString(x)
		case "value":
			q.Value, err = scalarString(x)
		case "shard":
			var n uint64
			n, err = parseUint(x)
			q.Shard = int(min(n, 100))
		case "startup_priority":
			var n uint64
			if n, err = parseUint(x); err == nil {
				q.StartupPriority = &n
			}
		case "oncall":
		default:
			// osquery ignores unknown query keys; so do we.
		}
		if err != nil {
			return q, "", fmt.Errorf("%s: %w", k, err)
		}
	}
	return q, "", nil
}

func parseUint(x any) (uint64, error) {
	var s string
	switch x := x.(type) {
	case json.Number:
		s = x.String()
	case string:
		s = strings.TrimSpace(x)
	default:
		return 0, fmt.Errorf("is not a number")
	}
	if n, err := strconv.ParseUint(s, 10, 64); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f != math.Trunc(f) || f > math.MaxInt64 {
		return 0, fmt.Errorf("%q is not a whole number", s)
	}
	return uint64(f), nil
}

// parseBool accepts what osquery's JSON helpers accept: true/false, the
// strings "true"/"t"/"1"/"false"/"f"/"0", and numbers.
func parseBool(x any) (bool, error) {
	switch x := x.(type) {
	case bool:
		return x, nil
	case json.Number:
		return x.String() != "0", nil
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true", "t", "1", "yes", "on":
			return true, nil
		case "false", "f", "0", "no", "off", "":
			return false, nil
		}
	}
	return false, fmt.Errorf("want a boolean")
}

func (c *Config) parsePacks(file string, v any, readPack func(string) ([]byte, error)) error {
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("packs: want an object")
	}
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		switch x := m[name].(type) {
		case map[string]any:
			p, err := c.parsePack("packs."+name, x)
			if err != nil {
				return err
			}
			c.Packs[name] = p
		case string:
			if err := c.loadPackFiles(file, name, x, readPack); err != nil {
				return err
			}
		default:
			return fmt.Errorf("packs.%s: want a pack object or a file path", name)
		}
	}
	return nil
}

// loadPackFiles reads a pack given by path; the pack named "*" takes a
// glob and names each pack after its file.
func (c *Config) loadPackFiles(configFile, name, path string, readPack func(string) ([]byte, error)) error {
	if readPack == nil {
		c.Warnings = append(c.Warnings, fmt.Sprintf("packs.%s: pack files are not read from this config source; pack skipped", name))
		return nil
	}
	if !filepath.IsAbs(path) && configFile != "" {
		path = filepath.Join(filepath.Dir(configFile), path)
	}
	paths := []string{path}
	if name == "*" {
		matches, err := filepath.Glob(path)
		if err != nil {
			return fmt.Errorf("packs.*: %w", err)
		}
		paths = matches
	}
	for _, p := range paths {
		packName := name
		if name == "*" {
			packName = strings.TrimSuffix(filepath.Base(p), filepath.Ext(p))
		}
		src, err := readPack(p)
		if err != nil {
			// A missing pack file is osquery's warning, not a failed config.
			c.Warnings = append(c.Warnings, fmt.Sprintf("packs.%s: cannot read pack file %s: %v; pack skipped", packName, p, unwrapPath(err)))
			continue
		}
		pp := preprocess(src)
		var raw map[string]any
		if err := pp.decode(p, &raw); err != nil {
			return err
		}
		pack, err := c.parsePack("packs."+packName, raw)
		if err != nil {
			return &Error{File: p, Msg: err.Error()}
		}
		c.Packs[packName] = pack
	}
	return nil
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func (c *Config) parsePack(where string, m map[string]any) (Pack, error) {
	var p Pack
	var err error
	for k, x := range m {
		switch k {
		case "queries":
			p.Queries, err = c.parseQueries(where+".queries", x)
		case "discovery":
			p.Discovery, err = stringList(where+".discovery", x)
		case "platform":
			p.Platform, err = scalarString(x)
		case "version":
			p.Version, err = scalarString(x)
		case "shard":
			var n uint64
			n, err = parseUint(x)
			p.Shard = int(min(n, 100))
		case "oncall":
			p.Oncall, err = scalarString(x)
		default:
			// Manager metadata (description, ATT&CK ids...) rides along.
		}
		if err != nil {
			return p, fmt.Errorf("%s: %w", where, err)
		}
	}
	if p.Queries == nil {
		p.Queries = map[string]Query{}
	}
	return p, nil
}

func (c *Config) parseDecorators(v any) error {
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("decorators: want an object")
	}
	var err error
	for k, x := range m {
		switch k {
		case "load":
			c.Decorators.Load, err = stringList("decorators.load", x)
		case "always":
			c.Decorators.Always, err = stringList("decorators.always", x)
		case "interval":
			im, ok := x.(map[string]any)
			if !ok {
				return fmt.Errorf("decorators.interval: want an object of seconds to queries")
			}
			c.Decorators.Interval = map[uint64][]string{}
			for secs, qs := range im {
				n, perr := strconv.ParseUint(secs, 10, 64)
				if perr != nil || n == 0 {
					return fmt.Errorf("decorators.interval: %q is not a number of seconds", secs)
				}
				if n%60 != 0 {
					c.Warnings = append(c.Warnings, fmt.Sprintf("decorators.interval.%s: not a multiple of 60; osquery never runs it", secs))
					continue
				}
				list, lerr := stringList("decorators.interval."+secs, qs)
				if lerr != nil {
					return lerr
				}
				c.Decorators.Interval[n] = list
			}
		default:
			c.Warnings = append(c.Warnings, fmt.Sprintf("decorators: unknown key %q ignored", k))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (c *Config) parseEvents(v any) error {
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("events: want an object")
	}
	var err error
	if x, ok := m["disable_subscribers"]; ok {
		if c.Events.DisableSubscribers, err = stringList("events.disable_subscribers", x); err != nil {
			return err
		}
	}
	if x, ok := m["enable_subscribers"]; ok {
		c.Events.EnableSubscribers, err = stringList("events.enable_subscribers", x)
	}
	return err
}

func stringList(where string, v any) ([]string, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%s: want an array of strings", where)
	}
	out := make([]string, 0, len(list))
	for _, x := range list {
		s, ok := x.(string)
		if !ok {
			return nil, fmt.Errorf("%s: want an array of strings", where)
		}
		out = append(out, s)
	}
	return out, nil
}

func stringListMap(where string, v any) (map[string][]string, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: want an object of category to paths", where)
	}
	out := map[string][]string{}
	for k, x := range m {
		list, err := stringList(where+"."+k, x)
		if err != nil {
			return nil, err
		}
		out[k] = list
	}
	return out, nil
}

// Merge adds another source's config to c, as osquery merges the files of
// config_path.d: later sources add queries, packs and paths and override
// options of the same name.
func (c *Config) Merge(o *Config) {
	for k, v := range o.Options {
		c.Options[k] = v
	}
	for k, v := range o.Schedule {
		c.Schedule[k] = v
	}
	for k, v := range o.Packs {
		c.Packs[k] = v
	}
	c.Decorators.Load = append(c.Decorators.Load, o.Decorators.Load...)
	c.Decorators.Always = append(c.Decorators.Always, o.Decorators.Always...)
	for k, v := range o.Decorators.Interval {
		if c.Decorators.Interval == nil {
			c.Decorators.Interval = map[uint64][]string{}
		}
		c.Decorators.Interval[k] = append(c.Decorators.Interval[k], v...)
	}
	for k, v := range o.FilePaths {
		c.FilePaths[k] = append(c.FilePaths[k], v...)
	}
	for k, v := range o.ExcludePaths {
		c.ExcludePaths[k] = append(c.ExcludePaths[k], v...)
	}
	c.FileAccesses = append(c.FileAccesses, o.FileAccesses...)
	c.Events.DisableSubscribers = append(c.Events.DisableSubscribers, o.Events.DisableSubscribers...)
	c.Events.EnableSubscribers = append(c.Events.EnableSubscribers, o.Events.EnableSubscribers...)
	c.Warnings = append(c.Warnings, o.Warnings...)
}
