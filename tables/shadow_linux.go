package tables

import (
	"bufio"
	"io"
	"strings"

	"github.com/osaudit/osaudit/hostfs"
	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("shadow", func() *table.Table {
		return &table.Table{
			Name:        "shadow",
			Description: "Local system users encrypted passwords and related information. Please note, that you usually need superuser rights to access `/etc/shadow`.",
			Platforms:   []string{"linux"},
			Columns: []table.Column{
				table.TextColumn("password_status"),
				table.TextColumn("hash_alg"),
				table.BigIntColumn("last_change"),
				table.BigIntColumn("min"),
				table.BigIntColumn("max"),
				table.BigIntColumn("warning"),
				table.BigIntColumn("inactive"),
				table.BigIntColumn("expire"),
				table.BigIntColumn("flag"),
				table.TextColumn("username", table.Index, table.Optimized),
			},
			Generate: genShadow,
		}
	})
}

// shadowEntry is one line of /etc/shadow as glibc's getspent returns it:
// empty numeric fields are -1, and an empty flag field is ~0UL, which
// osquery cannot fit in a BIGINT and reports as NULL (FlagSet false).
type shadowEntry struct {
	Name, Password                               string
	LastChange, Min, Max, Warn, Inactive, Expire int64
	Flag                                         int64
	FlagSet                                      bool
}

// readShadow reads the host's /etc/shadow.
func readShadow(root *hostfs.Root) ([]shadowEntry, error) {
	f, err := root.Open("/etc/shadow")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseShadow(f)
}

// parseShadow parses shadow(5) lines as glibc's files backend does (see
// parseShadowLine). Leading blanks are skipped; blank lines, comments and
// NIS "+"/"-" lines are skipped, and so are lines glibc cannot parse.
func parseShadow(r io.Reader) ([]shadowEntry, error) {
	var out []shadowEntry
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		line := strings.TrimLeftFunc(sc.Text(), func(c rune) bool { return c < 0x80 && acctIsSpace(byte(c)) })
		if line == "" || line[0] == '#' || line[0] == '+' || line[0] == '-' {
			continue
		}
		if e, ok := parseShadowLine(line); ok {
			out = append(out, e)
		}
	}
	return out, sc.Err()
}

// parseShadowLine is glibc's sgetspent_r: name and password, then
// last_change, min and max, which must be present (an empty one is -1, but
// the line may not end before max). If the line ends after max it is the
// "old form" and the rest is -1; otherwise warning, inactive and expire
// follow the same rule, and an optional flag must end the line. Numbers
// are strtoul's, clamped to 32 bits and kept as a C int, so "4294967295"
// and "-1" are both -1.
func parseShadowLine(line string) (shadowEntry, bool) {
	c := shadowCursor{s: line}
	e := shadowEntry{Name: c.stringField(), Password: c.stringField()}
	ok := true
	for _, dst := range []*int64{&e.LastChange, &e.Min, &e.Max} {
		if *dst, ok = c.number(true); !ok {
			return e, false
		}
	}
	for c.i < len(c.s) && acctIsSpace(c.s[c.i]) {
		c.i++
	}
	if c.i == len(c.s) {
		e.Warn, e.Inactive, e.Expire = -1, -1, -1
		return e, true
	}
	for _, dst := range []*int64{&e.Warn, &e.Inactive, &e.Expire} {
		if *dst, ok = c.number(true); !ok {
			return e, false
		}
	}
	if c.i < len(c.s) {
		start := c.i
		v, digits, end := shadowStrtoul(c.s[start:])
		if end != len(c.s)-start {
			return e, false
		}
		if digits {
			e.Flag, e.FlagSet = v, true
		}
	}
	return e, true
}

// shadowCursor walks a shadow line field by field.
type shadowCursor struct {
	s string
	i int
}

// stringField returns the text up to the next colon (or the end) and moves
// past the colon.
func (c *shadowCursor) stringField() string {
	start := c.i
	for c.i < len(c.s) && c.s[c.i] != ':' {
		c.i++
	}
	f := c.s[start:c.i]
	if c.i < len(c.s) {
		c.i++
	}
	return f
}

// number reads one aging field ending in a colon or at the end of the line.
// The line may not already be at its end; an empty field is -1.
func (c *shadowCursor) number(colon bool) (int64, bool) {
	if c.i >= len(c.s) {
		return 0, false
	}
	v, digits, n := shadowStrtoul(c.s[c.i:])
	if !digits {
		v, n = -1, 0
	} else {
		v = int64(int32(uint32(v)))
	}
	c.i += n
	switch {
	case c.i < len(c.s) && colon && c.s[c.i] == ':':
		c.i++
	case c.i < len(c.s):
		return 0, false
	}
	return v, true
}

// shadowStrtoul is glibc's strtou32: C strtoul (leading blanks, an
// optional sign, decimal digits) clamped to 0xffffffff. It returns the
// value, whether any digit was read, and how many bytes were consumed (0
// when none was).
func shadowStrtoul(s string) (v int64, digits bool, n int) {
	i := 0
	for i < len(s) && acctIsSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	var u uint64
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		if u <= 0xffffffff {
			u = u*10 + uint64(s[i]-'0')
		}
		i++
	}
	if i == start {
		return 0, false, 0
	}
	if neg && u != 0 {
		u = 0xffffffff // strtoul of a negative number wraps; the clamp keeps all ones
	}
	return int64(min(u, 0xffffffff)), true, i
}

// shadowPasswordStatus is osquery's password_status: "!!" is not_set, a
// leading "!", "*" or "x" is locked, "" is empty, anything else active.
func shadowPasswordStatus(pw string) string {
	switch {
	case pw == "!!":
		return "not_set"
	case pw == "":
		return "empty"
	case pw[0] == '!' || pw[0] == '*' || pw[0] == 'x':
		return "locked"
	}
	return "active"
}

// shadowHashAlg is the id of a crypt(3) "$id$..." hash ("6", "y",
// "2b"...); ok is false when the password does not start with one.
func shadowHashAlg(pw string) (string, bool) {
	if len(pw) < 3 || pw[0] != '$' {
		return "", false
	}
	i := 1
	for i < len(pw) && shadowWordByte(pw[i]) {
		i++
	}
	if i == 1 || i >= len(pw) || pw[i] != '$' {
		return "", false
	}
	return pw[1:i], true
}

// shadowWordByte is the regex class \w: ASCII letters, digits and underscore.
func shadowWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func genShadow(q *table.Query, yield func(table.Row) bool) error {
	entries, err := readShadow(q.Root())
	if err != nil {
		if !acctMissing(err) {
			q.Warn("cannot read /etc/shadow (it needs root)", "err", err)
		}
		return nil
	}
	names := q.EqualTexts("username")
	if len(names) > 0 {
		// getspnam: the first line of each asked name.
		for _, name := range names {
			for _, e := range entries {
				if e.Name == name {
					if !yield(shadowRow(q, e)) {
						return nil
					}
					break
				}
			}
		}
		return nil
	}
	for _, e := range entries {
		if !yield(shadowRow(q, e)) {
			return nil
		}
	}
	return nil
}

func shadowRow(q *table.Query, e shadowEntry) table.Row {
	r := q.NewRow()
	r.Set("username", table.Text(e.Name))
	r.Set("password_status", table.Text(shadowPasswordStatus(e.Password)))
	if alg, ok := shadowHashAlg(e.Password); ok {
		r.Set("hash_alg", table.Text(alg))
	}
	r.Set("last_change", table.Int(e.LastChange))
	r.Set("min", table.Int(e.Min))
	r.Set("max", table.Int(e.Max))
	r.Set("warning", table.Int(e.Warn))
	r.Set("inactive", table.Int(e.Inactive))
	r.Set("expire", table.Int(e.Expire))
	if e.FlagSet {
		r.Set("flag", table.Int(e.Flag))
	}
	return r
}
