package engine

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"database/sql/driver"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"modernc.org/sqlite"

	"github.com/osaudit/osaudit/hostfs"
)

// osquery's SQL functions (osquery/sql/sqlite_*.cpp), written from their
// documented and observed behaviour: the same names, argument order, result
// types, NULL handling and error texts where osquery has them.
//
// SQLite (modernc, 3.54, SQLITE_ENABLE_MATH_FUNCTIONS) already provides
// sqrt, log10, log2, ln, log(B,X), pow/power, pi, sin, cos, tan, asin, acos,
// atan, atan2, degrees, radians, exp and mod. Those return NULL for NULL,
// non-numeric or out-of-domain input, which is what osaudit wants, so they
// are not registered again. Registered here are the math functions SQLite
// lacks or computes differently from osquery:
//
//   - cot: missing from SQLite.
//   - log(X): SQLite's one-argument log is base 10; osquery's is natural.
//     log(B, X) stays SQLite's.
//   - ceil, ceiling, floor: SQLite returns REAL for a REAL argument; osquery
//     returns INTEGER.
//
// concat and concat_ws exist in SQLite too, but differ from osquery on zero
// arguments, NULL separators and separator placement, so osquery's win.

// regexMaxSize is osquery's --regex_max_size default: longer patterns are
// refused by regex_match and regex_split.
const regexMaxSize = 256

// scalar is one SQL function. fn never sees more or fewer arguments than
// nArgs allows when nArgs >= 0.
type scalar struct {
	name          string
	nArgs         int32
	deterministic bool
	fn            func(args []driver.Value) (driver.Value, error)
}

// registerFunctions adds osquery's SQL functions to the driver.
//
// The driver alone does not know the host root, so find_file_path_in_cmd
// falls back to splitting the command line without looking at files; see
// registerFunctionsWith.
func registerFunctions(d *sqlite.Driver) error { return registerFunctionsWith(d, nil) }

// registerFunctionsWith adds osquery's SQL functions; a non-nil root lets
// find_file_path_in_cmd test candidate paths on the host as osquery does.
func registerFunctionsWith(d *sqlite.Driver, root *hostfs.Root) error {
	for _, f := range functionList(root) {
		if err := d.RegisterFunction(f.name, &sqlite.FunctionImpl{
			NArgs:         f.nArgs,
			Deterministic: f.deterministic,
			Scalar:        guard(f.name, f.fn),
		}); err != nil {
			return fmt.Errorf("register function %s: %w", f.name, err)
		}
	}
	return nil
}

func functionList(root *hostfs.Root) []scalar {
	var exists func(string) bool
	if root != nil {
		exists = func(p string) bool {
			fi, err := root.Stat(p)
			return err == nil && !fi.IsDir()
		}
	}
	return []scalar{
		// Strings (sqlite_string.cpp).
		{"split", 3, true, splitFunc},
		{"regex_split", 3, true, regexSplitFunc},
		{"regex_match", 3, true, regexMatchFunc},
		{"inet_aton", 1, true, inetAtonFunc},
		{"concat", -1, true, concatFunc},
		{"concat_ws", -1, true, concatWSFunc},
		// Encoding (sqlite_encoding.cpp).
		{"to_base64", 1, true, toBase64Func},
		{"from_base64", 1, true, fromBase64Func},
		{"conditional_to_base64", 1, true, conditionalToBase64Func},
		// Hashing (sqlite_hashing.cpp).
		{"md5", 1, true, hashFunc(func(b []byte) []byte { s := md5.Sum(b); return s[:] })},
		{"sha1", 1, true, hashFunc(func(b []byte) []byte { s := sha1.Sum(b); return s[:] })},
		{"sha256", 1, true, hashFunc(func(b []byte) []byte { s := sha256.Sum256(b); return s[:] })},
		{"community_id_v1", -1, true, communityIDFunc("community_id_v1", false)},
		{"community_id_v1_strict", -1, true, communityIDFunc("community_id_v1_strict", true)},
		// Network (sqlite_network.cpp).
		{"in_cidr_block", 2, true, inCIDRBlockFunc},
		// Filesystem (sqlite_filesystem.cpp). Looking at files makes the
		// result depend on the host, so it is not deterministic then.
		{"parent_directory", 1, true, parentDirectoryFunc},
		{"find_file_path_in_cmd", -1, exists == nil, findFilePathInCmdFunc(exists)},
		// Versions (osquery's version_compare, beside its collations).
		{"version_compare", -1, true, versionCompareFunc},
		// Math (sqlite_math.cpp), only where SQLite's own differs.
		{"cot", 1, true, mathFunc(func(x float64) float64 { return 1 / math.Tan(x) })},
		{"log", 1, true, mathFunc(func(x float64) float64 {
			if x <= 0 {
				return math.NaN() // NULL, like SQLite's ln
			}
			return math.Log(x)
		})},
		{"ceil", 1, true, roundFunc(math.Ceil)},
		{"ceiling", 1, true, roundFunc(math.Ceil)},
		{"floor", 1, true, roundFunc(math.Floor)},
	}
}

// guard turns a panic in a function into a SQL error: the driver does not
// recover panics in user functions and one would end the process.
func guard(name string, fn func([]driver.Value) (driver.Value, error)) func(*sqlite.FunctionContext, []driver.Value) (driver.Value, error) {
	return func(_ *sqlite.FunctionContext, args []driver.Value) (v driver.Value, err error) {
		defer func() {
			if r := recover(); r != nil {
				v, err = nil, fmt.Errorf("%s: internal error: %v", name, r)
			}
		}()
		v, err = fn(args)
		if f, ok := v.(float64); ok && math.IsNaN(f) {
			v = nil // SQLite stores NaN as NULL; say so explicitly
		}
		return v, err
	}
}

// ---- value conversions, as SQLite's sqlite3_value_* do them ----

// valueText is sqlite3_value_text: the text SQLite would give a value, and
// false for NULL. BLOBs give their bytes.
func valueText(v driver.Value) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", false
	case string:
		return x, true
	case []byte:
		return string(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case float64:
		return formatReal(x), true
	case bool:
		if x {
			return "1", true
		}
		return "0", true
	default:
		return fmt.Sprint(x), true
	}
}

// formatReal renders a REAL the way SQLite's CAST(x AS TEXT) does
// ("%!.17g"): SQLite takes 18 significant digits, shortens them when a
// run of 9s or 0s at digits 14-16 hides a shorter decimal that reads back
// as the same double (so 0.1 is "0.1", not "0.10000000000000001"), else
// rounds to 17 digits; the text always has a decimal point and uses an
// exponent outside 1e-4 <= |x| < 1e17. SQLite derives its 18 digits with its
// own arithmetic, which can differ in the last place from the exact digits
// used here, so rare values differ in their 17th digit.
func formatReal(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	case math.IsNaN(f):
		return ""
	case f == 0:
		return "0.0"
	}
	neg := f < 0
	r := math.Abs(f)
	digits, point := realDigits(r)
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	exp := point - 1
	switch {
	case exp < -4 || exp > 16:
		b.WriteByte(digits[0])
		b.WriteByte('.')
		if len(digits) > 1 {
			b.WriteString(digits[1:])
		} else {
			b.WriteByte('0')
		}
		b.WriteByte('e')
		if exp < 0 {
			b.WriteByte('-')
			exp = -exp
		} else {
			b.WriteByte('+')
		}
		if exp < 10 {
			b.WriteByte('0')
		}
		b.WriteString(strconv.Itoa(exp))
	case point <= 0:
		b.WriteString("0.")
		b.WriteString(strings.Repeat("0", -point))
		b.WriteString(digits)
	case len(digits) <= point:
		b.WriteString(digits)
		b.WriteString(strings.Repeat("0", point-len(digits)))
		b.WriteString(".0")
	default:
		b.WriteString(digits[:point])
		b.WriteByte('.')
		b.WriteString(digits[point:])
	}
	return b.String()
}

// realDigits gives the significant digits SQLite prints for r > 0 (no
// trailing zeros) and the position of the decimal point relative to them.
func realDigits(r float64) (string, int) {
	const n = 18
	s := strconv.FormatFloat(r, 'e', n-1, 64)
	mant, expText, _ := strings.Cut(s, "e")
	exp, _ := strconv.Atoi(expText)
	z := []byte(strings.Replace(mant, ".", "", 1))
	point := exp + 1
	// readsBack reports whether the k-digit decimal v (scaled so its first
	// digit sits where z's does) is r again.
	readsBack := func(v uint64, k int) bool {
		back, err := strconv.ParseFloat(strconv.FormatUint(v, 10)+"e"+strconv.Itoa(point-k), 64)
		return err == nil && back == r
	}
	keep := 17
	if z[15] == '9' && z[14] == '9' {
		j := 14
		for j > 0 && z[j-1] == '9' {
			j--
		}
		v := uint64(1)
		if j > 0 {
			v, _ = strconv.ParseUint(string(z[:j]), 10, 64)
			v++
		}
		if readsBack(v, j) {
			keep = j + 1
		}
	} else if point >= n || (z[15] == '0' && z[14] == '0' && z[13] == '0') {
		j := 13
		for z[j-1] == '0' {
			j--
		}
		v, _ := strconv.ParseUint(string(z[:j]), 10, 64)
		if readsBack(v, j) {
			keep = j + 1
		}
	}
	out := z[:keep]
	if z[keep] >= '5' {
		i := keep - 1
		for ; i >= 0; i-- {
			if out[i] < '9' {
				out[i]++
				break
			}
			out[i] = '0'
		}
		if i < 0 {
			out = append([]byte{'1'}, out...)
			point++
		}
	}
	return strings.TrimRight(string(out), "0"), point
}

// valueInt is sqlite3_value_int64: REALs truncate toward zero (saturating),
// text gives its leading integer (" 12abc" is 12, "abc" is 0).
func valueInt(v driver.Value) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case float64:
		switch {
		case math.IsNaN(x):
			return 0
		case x <= math.MinInt64:
			return math.MinInt64
		case x >= math.MaxInt64:
			return math.MaxInt64
		}
		return int64(x)
	case bool:
		if x {
			return 1
		}
		return 0
	case string:
		return leadingInt(x)
	case []byte:
		return leadingInt(string(x))
	}
	return 0
}

func leadingInt(s string) int64 {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	var u uint64
	over := false
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		if u > (math.MaxUint64-9)/10 {
			over = true
			continue
		}
		u = u*10 + uint64(s[i]-'0')
	}
	switch {
	case neg && (over || u > 1<<63):
		return math.MinInt64
	case neg:
		return -int64(u)
	case over || u > math.MaxInt64:
		return math.MaxInt64
	}
	return int64(u)
}

// isSpace is C's isspace in the "C" locale.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// numeric converts a value the way SQLite's math functions see it: INTEGER
// and REAL as they are, text that is entirely a decimal number (spaces
// around it allowed) as that number; anything else (NULL, BLOB, "abc",
// "12abc", "0x10") is not numeric.
func numeric(v driver.Value) (i int64, f float64, isInt, ok bool) {
	switch x := v.(type) {
	case int64:
		return x, float64(x), true, true
	case float64:
		return 0, x, false, true
	case string:
		s := strings.TrimFunc(x, func(r rune) bool { return r < 0x80 && isSpace(byte(r)) })
		if !isDecimal(s) {
			return 0, 0, false, false
		}
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n, float64(n), true, true
		}
		g, err := strconv.ParseFloat(s, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return 0, 0, false, false
		}
		return 0, g, false, true
	}
	return 0, 0, false, false
}

// isDecimal reports whether s is [+-] digits [. digits] [e [+-] digits],
// with at least one digit in the mantissa.
func isDecimal(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s)
}

// ---- strings ----

// splitFunc is split(str, tokens, index): split on any byte of tokens, drop
// empty pieces, trim spaces from each and return piece index (0-based), or
// NULL past the end.
func splitFunc(args []driver.Value) (driver.Value, error) {
	if args[0] == nil || args[1] == nil || args[2] == nil {
		return nil, nil
	}
	input, _ := valueText(args[0])
	tokens, _ := valueText(args[1])
	index := valueInt(args[2])
	if tokens == "" {
		return nil, errors.New("Invalid input to split function")
	}
	var pieces []string
	start := 0
	for i := 0; i <= len(input); i++ {
		if i < len(input) && strings.IndexByte(tokens, input[i]) < 0 {
			continue
		}
		if i > start {
			pieces = append(pieces, trimSpace(input[start:i]))
		}
		start = i + 1
	}
	return pick(pieces, index), nil
}

func trimSpace(s string) string {
	for len(s) > 0 && isSpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

func pick(pieces []string, index int64) driver.Value {
	if index < 0 || index >= int64(len(pieces)) {
		return nil
	}
	return pieces[index]
}

// regexCache keeps compiled patterns, since a function runs once per row.
var regexCache = struct {
	sync.Mutex
	m map[string]regexEntry
}{m: map[string]regexEntry{}}

type regexEntry struct {
	re  *regexp.Regexp
	err error
}

const regexCacheSize = 256

// compileRegex compiles an osquery regex_* pattern. osquery uses
// std::regex's ECMAScript grammar; osaudit uses Go's RE2 syntax, which reads
// the common subset the same way but has no backreferences or lookaround.
func compileRegex(pattern string) (*regexp.Regexp, error) {
	if len(pattern) > regexMaxSize {
		return nil, fmt.Errorf("Invalid regex: too big, max size is %d bytes", regexMaxSize)
	}
	regexCache.Lock()
	e, ok := regexCache.m[pattern]
	regexCache.Unlock()
	if ok {
		return e.re, e.err
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		err = fmt.Errorf("Invalid regex: %s", strings.TrimPrefix(err.Error(), "error parsing regexp: "))
	}
	regexCache.Lock()
	if len(regexCache.m) >= regexCacheSize {
		clear(regexCache.m)
	}
	regexCache.m[pattern] = regexEntry{re, err}
	regexCache.Unlock()
	return re, err
}

// regexSplitFunc is regex_split(str, pattern, index): the pieces between
// matches of pattern. Like std::sregex_token_iterator, a leading empty piece
// is kept and a trailing one dropped; with no match the whole input is the
// only piece.
func regexSplitFunc(args []driver.Value) (driver.Value, error) {
	if args[0] == nil || args[1] == nil || args[2] == nil {
		return nil, nil
	}
	input, _ := valueText(args[0])
	pattern, _ := valueText(args[1])
	index := valueInt(args[2])
	if pattern == "" {
		return nil, errors.New("Invalid input to split function")
	}
	re, err := compileRegex(pattern)
	if err != nil {
		return nil, err
	}
	matches := re.FindAllStringIndex(input, -1)
	if len(matches) == 0 {
		return pick([]string{input}, index), nil
	}
	pieces := make([]string, 0, len(matches)+1)
	prev := 0
	for _, m := range matches {
		pieces = append(pieces, input[prev:m[0]])
		prev = m[1]
	}
	if prev < len(input) {
		pieces = append(pieces, input[prev:])
	}
	return pick(pieces, index), nil
}

// regexMatchFunc is regex_match(str, pattern, index): group index of the
// first match (0 is the whole match; a group that took no part is ""), or
// NULL without a match or past the last group.
func regexMatchFunc(args []driver.Value) (driver.Value, error) {
	if args[0] == nil || args[1] == nil || args[2] == nil {
		return nil, nil
	}
	input, _ := valueText(args[0])
	pattern, _ := valueText(args[1])
	index := valueInt(args[2])
	re, err := compileRegex(pattern)
	if err != nil {
		return nil, err
	}
	m := re.FindStringSubmatchIndex(input)
	if m == nil || index < 0 || index >= int64(len(m)/2) {
		return nil, nil
	}
	if m[2*index] < 0 {
		return "", nil
	}
	return input[m[2*index]:m[2*index+1]], nil
}

// inetAtonFunc is inet_aton(ip): a dotted-quad IPv4 address as an integer,
// NULL for anything else (IPv6 included).
func inetAtonFunc(args []driver.Value) (driver.Value, error) {
	s, ok := valueText(args[0])
	if !ok || strings.Contains(s, ":") {
		return nil, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return nil, nil
	}
	b := a.As4()
	return int64(binary.BigEndian.Uint32(b[:])), nil
}

// concatFunc is concat(...): the arguments' text, NULLs skipped; NULL when
// called without arguments.
func concatFunc(args []driver.Value) (driver.Value, error) {
	if len(args) == 0 {
		return nil, nil
	}
	return joinArgs("", args), nil
}

// concatWSFunc is concat_ws(sep, ...). As in osquery, a NULL separator
// counts as "", NULL arguments are skipped, and the separator follows every
// non-NULL argument that is not the last argument, so a trailing NULL
// leaves a trailing separator: concat_ws(',', 'a', NULL) is "a,".
func concatWSFunc(args []driver.Value) (driver.Value, error) {
	if len(args) == 0 {
		return nil, errors.New("Missing separator to concat_ws")
	}
	if len(args) == 1 {
		return nil, nil
	}
	sep, _ := valueText(args[0])
	return joinArgs(sep, args[1:]), nil
}

func joinArgs(sep string, args []driver.Value) string {
	var b strings.Builder
	for i, a := range args {
		s, ok := valueText(a)
		if !ok {
			continue
		}
		b.WriteString(s)
		if i+1 < len(args) {
			b.WriteString(sep)
		}
	}
	return b.String()
}

// ---- encoding ----

func toBase64Func(args []driver.Value) (driver.Value, error) {
	s, ok := valueText(args[0])
	if !ok {
		return nil, nil
	}
	return base64.StdEncoding.EncodeToString([]byte(s)), nil
}

// conditionalToBase64Func encodes only text with a byte outside printable
// ASCII (0x20-0x7e).
func conditionalToBase64Func(args []driver.Value) (driver.Value, error) {
	s, ok := valueText(args[0])
	if !ok {
		return nil, nil
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return base64.StdEncoding.EncodeToString([]byte(s)), nil
		}
	}
	return s, nil
}

// fromBase64Func decodes like osquery's base64::decode: line breaks are
// removed, trailing '=' ignored, an inner '=' reads as zero bits, and
// anything undecodable gives "" (not NULL). The result is TEXT.
func fromBase64Func(args []driver.Value) (driver.Value, error) {
	s, ok := valueText(args[0])
	if !ok {
		return nil, nil
	}
	return decodeBase64(s), nil
}

func decodeBase64(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "")
	s = strings.ReplaceAll(s, "\n", "")
	s = strings.TrimRight(s, "=")
	if len(s)%4 == 1 {
		return "" // the last byte would need bits past the end
	}
	out := make([]byte, 0, len(s)*3/4)
	var acc uint32
	bits := 0
	for i := 0; i < len(s); i++ {
		var v byte
		switch c := s[i]; {
		case c >= 'A' && c <= 'Z':
			v = c - 'A'
		case c >= 'a' && c <= 'z':
			v = c - 'a' + 26
		case c >= '0' && c <= '9':
			v = c - '0' + 52
		case c == '+':
			v = 62
		case c == '/':
			v = 63
		case c == '=':
			v = 0
		default:
			return ""
		}
		acc = acc<<6 | uint32(v)
		bits += 6
		if bits >= 8 {
			bits -= 8
			out = append(out, byte(acc>>bits))
		}
	}
	return string(out)
}

// ---- hashing ----

// hashFunc hashes the argument's text (a BLOB's bytes) to lower-case hex.
func hashFunc(sum func([]byte) []byte) func([]driver.Value) (driver.Value, error) {
	return func(args []driver.Value) (driver.Value, error) {
		s, ok := valueText(args[0])
		if !ok {
			return nil, nil
		}
		return hex.EncodeToString(sum([]byte(s))), nil
	}
}

// communityIDFunc is community_id_v1(src_ip, dst_ip, src_port, dst_port,
// proto[, seed]): the Community ID v1 flow hash
// (https://github.com/corelight/community-id-spec), "1:" + base64(sha1(seed
// . saddr . daddr . proto . 0 . sport . dport)) with the endpoints ordered
// so that both directions of a flow hash alike. The plain function returns
// NULL for bad input, the strict one fails the query. Ports are used as
// given, with no ICMP type/code mapping, as in osquery.
func communityIDFunc(name string, strict bool) func([]driver.Value) (driver.Value, error) {
	return func(args []driver.Value) (driver.Value, error) {
		if len(args) != 5 && len(args) != 6 {
			return nil, fmt.Errorf("wrong number of arguments to function %s()", name)
		}
		id, err := communityID(args)
		if err != nil {
			if strict {
				return nil, err
			}
			return nil, nil
		}
		return id, nil
	}
}

func communityID(args []driver.Value) (string, error) {
	var seed uint16
	if len(args) == 6 {
		s, ok := args[5].(int64)
		if !ok {
			return "", errors.New("Community ID seed must be an integer")
		}
		// osquery takes -32768..32767; the spec's seed is unsigned, so
		// 32768..65535 are accepted too.
		if s < math.MinInt16 || s > math.MaxUint16 {
			return "", errors.New("Community ID seed must fit in 2 bytes")
		}
		seed = uint16(s)
	}
	src, ok1 := args[0].(string)
	dst, ok2 := args[1].(string)
	if !ok1 || !ok2 {
		return "", errors.New("Community ID IPs must be strings")
	}
	saddr, err := netip.ParseAddr(src)
	if err != nil {
		return "", errors.New("Community ID saddr cannot be parsed as IP")
	}
	daddr, err := netip.ParseAddr(dst)
	if err != nil {
		return "", errors.New("Community ID daddr cannot be parsed as IP")
	}
	sport, ok1 := args[2].(int64)
	dport, ok2 := args[3].(int64)
	if !ok1 || !ok2 {
		return "", errors.New("Community ID ports must be integers")
	}
	if sport < 0 || sport > math.MaxUint16 || dport < 0 || dport > math.MaxUint16 {
		return "", errors.New("Community ID ports must fit in 2 bytes")
	}
	proto, ok := args[4].(int64)
	if !ok {
		return "", errors.New("Community ID protocol must be an integer")
	}
	if proto < 0 || proto > math.MaxUint8 {
		return "", errors.New("Community ID protocol must fit in 1 byte")
	}
	saddr, daddr = saddr.WithZone(""), daddr.WithZone("")
	// IPv4 sorts before IPv6, then by address; equal addresses by port.
	if c := saddr.Compare(daddr); c > 0 || (c == 0 && sport >= dport) {
		saddr, daddr = daddr, saddr
		sport, dport = dport, sport
	}
	buf := make([]byte, 0, 2+16+16+2+4)
	buf = binary.BigEndian.AppendUint16(buf, seed)
	buf = append(buf, saddr.AsSlice()...)
	buf = append(buf, daddr.AsSlice()...)
	buf = append(buf, byte(proto), 0)
	buf = binary.BigEndian.AppendUint16(buf, uint16(sport))
	buf = binary.BigEndian.AppendUint16(buf, uint16(dport))
	sum := sha1.Sum(buf)
	return "1:" + base64.StdEncoding.EncodeToString(sum[:]), nil
}

// ---- network ----

// inCIDRBlockFunc is in_cidr_block(cidr, ip): 1 if ip is one of the
// network's host addresses, else 0. Both must be TEXT (NULL is an error, as
// in osquery). osquery asks boost::asio for the network's hosts() range,
// and osaudit keeps that range exactly: for IPv4 it leaves out the network
// and broadcast addresses (so a /31 holds nothing), and the range end is
// one past the last address with wraparound, so 255.255.255.255/32, ::/0
// and any IPv6 network ending at ffff:...:ffff contain nothing either.
func inCIDRBlockFunc(args []driver.Value) (driver.Value, error) {
	cidr, ok := args[0].(string)
	if !ok {
		return nil, errors.New("CIDR must be a string")
	}
	ipText, ok := args[1].(string)
	if !ok {
		return nil, errors.New("IP address must be a string")
	}
	ip, err := netip.ParseAddr(ipText)
	if err != nil {
		return nil, errors.New("IP address cannot be parsed")
	}
	ip = ip.WithZone("")
	if ip.Is4() {
		addr, bits, ok := parseCIDR(cidr, 32)
		if !ok || !addr.Is4() {
			return nil, errors.New("CIDR for IP address v4 cannot be parsed")
		}
		a4 := addr.As4()
		a := binary.BigEndian.Uint32(a4[:])
		mask := uint32(0)
		if bits > 0 {
			mask = ^uint32(0) << (32 - bits)
		}
		var first, end uint32
		if bits == 32 {
			first, end = a, a+1
		} else {
			first, end = a&mask+1, a|^mask
		}
		i4 := ip.As4()
		x := binary.BigEndian.Uint32(i4[:])
		return boolInt(x >= first && x < end), nil
	}
	addr, bits, ok := parseCIDR(cidr, 128)
	if !ok || !addr.Is6() {
		return nil, errors.New("CIDR for IP address v6 cannot be parsed")
	}
	first, last := addr.As16(), addr.As16()
	for i := range 16 {
		switch {
		case bits <= i*8:
			first[i], last[i] = 0, 0xff
		case bits < (i+1)*8:
			first[i] &= ^byte(0xff >> (bits % 8))
			last[i] |= byte(0xff >> (bits % 8))
		}
	}
	end := last
	for i := 15; i >= 0; i-- {
		end[i]++
		if end[i] != 0 {
			break
		}
	}
	x := ip.As16()
	return boolInt(string(x[:]) >= string(first[:]) && string(x[:]) < string(end[:])), nil
}

// parseCIDR reads "address/prefix" as boost's make_network_v4/v6 do: the
// prefix is decimal digits only, at most max; host bits may be set.
func parseCIDR(s string, max int) (netip.Addr, int, bool) {
	addrText, prefix, ok := strings.Cut(s, "/")
	if !ok || prefix == "" || strings.Trim(prefix, "0123456789") != "" {
		return netip.Addr{}, 0, false
	}
	prefix = strings.TrimLeft(prefix, "0")
	if len(prefix) > 3 {
		return netip.Addr{}, 0, false
	}
	bits, _ := strconv.Atoi("0" + prefix)
	if bits > max {
		return netip.Addr{}, 0, false
	}
	addr, err := netip.ParseAddr(addrText)
	if err != nil {
		return netip.Addr{}, 0, false
	}
	return addr.WithZone(""), bits, true
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// ---- filesystem ----

// pathSeparator is the directory separator osquery uses on this platform.
func pathSeparator() byte {
	if runtime.GOOS == "windows" {
		return '\\'
	}
	return '/'
}

// parentDirectoryFunc is parent_directory(path): everything before the last
// separator ("" for "/etc"), NULL without one. The argument must be TEXT.
func parentDirectoryFunc(args []driver.Value) (driver.Value, error) {
	p, ok := args[0].(string)
	if !ok {
		return nil, errors.New("Invalid inputs to parent_directory, TEXT was expected")
	}
	i := strings.LastIndexByte(p, pathSeparator())
	if i < 0 {
		return nil, nil
	}
	return p[:i], nil
}

// findFilePathInCmdFunc is find_file_path_in_cmd(cmdline[, allow_quoting[,
// escape_char]]): the program a command line runs. osquery walks the line
// (skipping leading spaces, honouring the escape character and, when
// allow_quoting is true, double quotes) and at each unquoted space tries the
// text so far as a path, returning the first that is an existing file, or
// the whole line if that is one, or "". With exists nil (no host root) every
// non-empty candidate counts as a file, so the result is the first word. The escape
// character defaults to '\' ('^' on Windows). Any NULL argument, or an
// escape argument that is not one character, is an error.
func findFilePathInCmdFunc(exists func(string) bool) func([]driver.Value) (driver.Value, error) {
	return func(args []driver.Value) (driver.Value, error) {
		bad := errors.New("Invalid inputs to find_binary_path_from_cmd")
		if len(args) == 0 {
			return nil, bad
		}
		for _, a := range args {
			if a == nil {
				return nil, bad
			}
		}
		cmd, _ := valueText(args[0])
		quoting := len(args) > 1 && valueInt(args[1]) != 0
		escape := byte('\\')
		if runtime.GOOS == "windows" {
			escape = '^'
		}
		if len(args) > 2 {
			e, _ := valueText(args[2])
			if len(e) != 1 {
				return nil, bad
			}
			escape = e[0]
		}
		return findProgramPath(cmd, escape, quoting, exists), nil
	}
}

func findProgramPath(cmd string, escape byte, quoting bool, exists func(string) bool) string {
	isFile := func(p string) bool {
		if exists == nil {
			return p != ""
		}
		return exists(p)
	}
	i := 0
	for i < len(cmd) && isSpace(cmd[i]) {
		i++
	}
	var cur []byte
	quoted, escaped := false, false
	for ; i < len(cmd); i++ {
		c := cmd[i]
		switch {
		case escaped:
			cur = append(cur, c)
			escaped = false
			continue
		case quoting && c == '"':
			quoted = !quoted
			continue
		case c == escape:
			escaped = true
			continue
		case !quoted && isSpace(c):
			if isFile(string(cur)) {
				return string(cur)
			}
		}
		cur = append(cur, c)
	}
	if isFile(string(cur)) {
		return string(cur)
	}
	return ""
}

// ---- versions ----

// versionCompareFunc is version_compare(left, right[, flavor]): -1, 0 or 1
// as the version collations order left and right. flavor is ARCH, DPKG or
// RHEL in any case (osaudit also takes the collation names VERSION,
// VERSION_ARCH, VERSION_DPKG and VERSION_RHEL); without it the generic
// "version" ordering is used. Both versions must be TEXT.
func versionCompareFunc(args []driver.Value) (driver.Value, error) {
	if len(args) < 2 {
		return nil, errors.New("Must provide two version strings to compare.")
	}
	l, ok1 := args[0].(string)
	r, ok2 := args[1].(string)
	if !ok1 || !ok2 {
		return nil, errors.New("Must provide two version strings to compare.")
	}
	fl := flavorGeneric
	if len(args) > 2 {
		name, ok := args[2].(string)
		if !ok {
			return nil, errors.New("The optional third parameter is not a string.")
		}
		f, found := flavorByName(name)
		if !found {
			return nil, errors.New("The optional third parameter does not match one of: (ARCH, DPKG, RHEL).")
		}
		fl = f
	}
	return int64(compareVersions(l, r, fl)), nil
}

// ---- math ----

// mathFunc applies f to a numeric argument; NULL and non-numeric arguments
// give NULL, as do NaN results.
func mathFunc(f func(float64) float64) func([]driver.Value) (driver.Value, error) {
	return func(args []driver.Value) (driver.Value, error) {
		_, x, _, ok := numeric(args[0])
		if !ok {
			return nil, nil
		}
		return f(x), nil
	}
}

// roundFunc is osquery's ceil/floor: an INTEGER stays as it is, a REAL is
// rounded and returned as INTEGER. A result outside the INTEGER range stays
// REAL; NULL and non-numeric arguments give NULL.
func roundFunc(f func(float64) float64) func([]driver.Value) (driver.Value, error) {
	return func(args []driver.Value) (driver.Value, error) {
		i, x, isInt, ok := numeric(args[0])
		switch {
		case !ok:
			return nil, nil
		case isInt:
			return i, nil
		}
		r := f(x)
		if r >= -(1<<63) && r < 1<<63 {
			return int64(r), nil
		}
		return r, nil
	}
}
