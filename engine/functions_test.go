package engine

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"modernc.org/sqlite"

	"github.com/osaudit/osaudit/hostfs"
	"github.com/osaudit/osaudit/table"
)

// fnEngine is an engine with no tables, for running expressions.
func fnEngine(t testing.TB) *Engine {
	t.Helper()
	e, err := New(hostfs.Dir(t.TempDir()), Options{Tables: []*table.Table{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// sqlCase is one expression and what SELECT gives for it: want is nil,
// int64, float64 (compared to 1e-12 relative) or string; err, if set, is a
// substring the query's error must contain.
type sqlCase struct {
	expr string
	want any
	err  string
}

func runCases(t *testing.T, e *Engine, cases []sqlCase) {
	t.Helper()
	for _, c := range cases {
		got, err := fnEval(e, c.expr)
		switch {
		case c.err != "":
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("SELECT %s: error %v, want one containing %q (got value %#v)", c.expr, err, c.err, got)
			}
		case err != nil:
			t.Errorf("SELECT %s: %v", c.expr, err)
		case !sameValue(got, c.want):
			t.Errorf("SELECT %s = %T(%v), want %T(%v)", c.expr, got, got, c.want, c.want)
		}
	}
}

func fnEval(e *Engine, expr string) (any, error) {
	_, rows, err := e.QueryAll(context.Background(), "SELECT "+expr)
	if err != nil {
		return nil, err
	}
	if len(rows) != 1 || len(rows[0]) != 1 {
		return nil, fmt.Errorf("got %d rows", len(rows))
	}
	return rows[0][0], nil
}

func sameValue(got, want any) bool {
	if w, ok := want.(float64); ok {
		g, ok := got.(float64)
		if !ok {
			return false
		}
		if math.IsInf(w, 0) || w == 0 {
			return g == w
		}
		return math.Abs(g-w) <= 1e-12*math.Abs(w)
	}
	if w, ok := want.(int); ok {
		want = int64(w)
	}
	return fmt.Sprintf("%T %v", got, got) == fmt.Sprintf("%T %v", want, want)
}

func TestSplit(t *testing.T) {
	runCases(t, fnEngine(t), []sqlCase{
		{"split('192.168.0.1', '.', 1)", "168", ""},
		{"split('192.168.0.1', '.0', 0)", "192", ""},
		{"split('192.168.0.1', '.0', 2)", "1", ""},
		{"split('/foo/bar', '/', 0)", "foo", ""},
		{"split('/foo/bar', '/', 1)", "bar", ""},
		{"split('/foo/bar', '/', 2)", nil, ""},
		{"split('foo;;bar', ';;', 1)", "bar", ""},
		{"split(' a , b ', ',', 1)", "b", ""},
		{"split('a, ,b', ',', 1)", "", ""},
		{"split(1001, 1, 0)", "00", ""},
		{"split(500, 1, 0)", "500", ""},
		{"split('a,b', ',', '1')", "b", ""},
		{"split('a,b', ',', 1.9)", "b", ""},
		{"split('a,b', ',', -1)", nil, ""},
		{"split('a,b', ',', 9223372036854775807)", nil, ""},
		{"split('', ',', 0)", nil, ""},
		{"split(NULL, ',', 0)", nil, ""},
		{"split('a', NULL, 0)", nil, ""},
		{"split('a', ',', NULL)", nil, ""},
		{"split('a', '', 0)", nil, "Invalid input to split function"},
		{"split('a')", nil, "wrong number of arguments"},
	})
}

func TestRegexSplit(t *testing.T) {
	long := strings.Repeat("a", regexMaxSize+1)
	limit := strings.Repeat("a", regexMaxSize)
	runCases(t, fnEngine(t), []sqlCase{
		{"regex_split('/foo/bar', '/', 0)", "", ""},
		{"regex_split('/foo/bar', '/', 1)", "foo", ""},
		{"regex_split('/foo/bar', '/', 2)", "bar", ""},
		{"regex_split('/foo/bar', '/', 3)", nil, ""},
		{"regex_split('foo;;bar', ';;', 1)", "bar", ""},
		{"regex_split('foo;bar//qux', '(;|/)+', 0)", "foo", ""},
		{"regex_split('foo;bar//qux', '(;|/)+', 2)", "qux", ""},
		{"regex_split('foo;bar//qux', '(;|/)+', 3)", nil, ""},
		{"regex_split('/filesystem/path/download.extension.zip', '(.*/)|(.extension.zip)', 1)", "download", ""},
		{"regex_split('192.168.0.1', '\\.0', 0)", "192.168", ""},
		{"regex_split('abc', 'x', 0)", "abc", ""},
		{"regex_split('', 'x', 0)", "", ""},
		{"regex_split('foo/bar', '|', 0)", "", ""},
		{"regex_split('a1b22c', '[0-9]+', 2)", "c", ""},
		{"regex_split('a1b22c', '[0-9]+', -1)", nil, ""},
		{"regex_split(NULL, '/', 0)", nil, ""},
		{"regex_split('a', NULL, 0)", nil, ""},
		{"regex_split('a', '/', NULL)", nil, ""},
		{"regex_split('foo/bar', '', 0)", nil, "Invalid input to split function"},
		{"regex_split('foo/bar', '(/', 0)", nil, "Invalid regex: missing closing )"},
		{"regex_split('foo/bar', '+', 0)", nil, "Invalid regex"},
		{"regex_split('foo/bar', '" + long + "', 0)", nil, "Invalid regex: too big, max size is 256 bytes"},
		{"regex_split('b', '" + limit + "', 0)", "b", ""},
	})
}

func TestRegexMatch(t *testing.T) {
	long := strings.Repeat("|", regexMaxSize+1)
	runCases(t, fnEngine(t), []sqlCase{
		{"regex_match('hello world', '(l)(o).*', 0)", "lo world", ""},
		{"regex_match('hello world', '(l)(o).*', 1)", "l", ""},
		{"regex_match('hello world', '(l)(o).*', 2)", "o", ""},
		{"regex_match('hello world', '(l)(o).*', 3)", nil, ""},
		{"regex_match('hello world', '(\\w+) .*(or|ld)', 0)", "hello world", ""},
		{"regex_match('hello world', '(\\w+) .*(or|ld)', 1)", "hello", ""},
		{"regex_match('hello world', '(\\w+) .*(or|ld)', 2)", "ld", ""},
		{"regex_match('hello world. Goodbye', '(\\w+) \\w+', 1)", "hello", ""},
		{"regex_match('/filesystem/path/download.extension.zip', '.+/([^./]+)', 1)", "download", ""},
		{"regex_match('ac', 'a(b)?c', 1)", "", ""},
		{"regex_match('hello world', '', 0)", "", ""},
		{"regex_match('hello world', '', 1)", nil, ""},
		{"regex_match('hello world', 'no match', 0)", nil, ""},
		{"regex_match('hello world', 'o', -1)", nil, ""},
		{"regex_match('foo/bar', '|', 0)", "", ""},
		{"regex_match(12345, '3(4)', 1)", "4", ""},
		{"regex_match('x', 'x', '0')", "x", ""},
		{"regex_match(NULL, 'x', 0)", nil, ""},
		{"regex_match('x', NULL, 0)", nil, ""},
		{"regex_match('x', 'x', NULL)", nil, ""},
		{"regex_match('foo/bar', '(/', 0)", nil, "Invalid regex"},
		{"regex_match('foo/bar', '+', 0)", nil, "Invalid regex: missing argument to repetition operator"},
		// ECMAScript lookaround is not in Go's syntax: an error, not a panic.
		{"regex_match('ab', 'a(?=b)', 0)", nil, "Invalid regex"},
		{"regex_match('foo/bar', '" + long + "', 0)", nil, "Invalid regex: too big, max size is 256 bytes"},
	})
}

func TestRegexErrorIsSQLError(t *testing.T) {
	e := fnEngine(t)
	_, _, err := e.QueryAll(context.Background(), "SELECT regex_match('a', '[', 0)")
	var se *SQLError
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T), want *SQLError", err, err)
	}
	if !strings.HasPrefix(se.Msg, "Invalid regex: ") {
		t.Errorf("message %q, want it to start with \"Invalid regex: \"", se.Msg)
	}
}

func TestInetAton(t *testing.T) {
	runCases(t, fnEngine(t), []sqlCase{
		{"inet_aton('1.0.1.5')", int64(16777477), ""},
		{"inet_aton('0.0.0.0')", int64(0), ""},
		{"inet_aton('255.255.255.255')", int64(4294967295), ""},
		{"inet_aton('192.168.0.1')", int64(3232235521), ""},
		{"inet_aton('::1')", nil, ""},
		{"inet_aton('::ffff:1.2.3.4')", nil, ""},
		{"inet_aton('1.2.3')", nil, ""},
		{"inet_aton('1.2.3.256')", nil, ""},
		{"inet_aton('01.2.3.4')", nil, ""},
		{"inet_aton(' 1.2.3.4')", nil, ""},
		{"inet_aton('abc')", nil, ""},
		{"inet_aton('')", nil, ""},
		{"inet_aton(5)", nil, ""},
		{"inet_aton(NULL)", nil, ""},
	})
}

func TestConcat(t *testing.T) {
	runCases(t, fnEngine(t), []sqlCase{
		{"concat()", nil, ""},
		{"concat('hello')", "hello", ""},
		{"concat('hello', 'world')", "helloworld", ""},
		{"concat('hello', NULL, ' ', 'world')", "hello world", ""},
		{"concat(1, 2, 3, 'go')", "123go", ""},
		{"concat('')", "", ""},
		{"concat(NULL)", "", ""},
		{"concat(1.5, x'41', -2)", "1.5A-2", ""},
		{"concat_ws('')", nil, ""},
		{"concat_ws(NULL)", nil, ""},
		{"concat_ws(', ', 'hello', 'world', 1, 2, 3)", "hello, world, 1, 2, 3", ""},
		{"concat_ws('', 'hello', 'world', 1, 2, 3)", "helloworld123", ""},
		{"concat_ws(NULL, 'hello', 'world', 1, 2, 3)", "helloworld123", ""},
		{"concat_ws(' ', 'hello', NULL, 'world')", "hello world", ""},
		{"concat_ws('x', 'hello')", "hello", ""},
		{"concat_ws('x', '', '')", "x", ""},
		{"concat_ws(',', NULL, NULL)", "", ""},
		// osquery puts the separator after each non-NULL argument but the
		// last one, so a trailing NULL leaves a trailing separator.
		{"concat_ws(',', 'a', NULL)", "a,", ""},
		{"concat_ws(1, 'a', 'b')", "a1b", ""},
		{"concat_ws()", nil, "Missing separator to concat_ws"},
	})
}

func TestBase64(t *testing.T) {
	runCases(t, fnEngine(t), []sqlCase{
		{"to_base64('test')", "dGVzdA==", ""},
		{"to_base64('CPU0')", "Q1BVMA==", ""},
		{"to_base64('')", "", ""},
		{"to_base64(x'00ff')", "AP8=", ""},
		{"to_base64(123)", "MTIz", ""},
		{"to_base64(NULL)", nil, ""},
		{"typeof(to_base64('a'))", "text", ""},
		{"from_base64('dGVzdA==')", "test", ""},
		{"from_base64(to_base64('CPU0'))", "CPU0", ""},
		{"from_base64('dGVzdA')", "test", ""},
		{"from_base64('dGVz\ndA==')", "test", ""},
		{"from_base64('dGVzdA==' || char(13, 10))", "test", ""},
		{"from_base64('QQ')", "A", ""},
		{"from_base64('QUFB')", "AAA", ""},
		{"hex(from_base64('QQ=B'))", "410001", ""},
		{"hex(from_base64('AP8='))", "00FF", ""},
		{"typeof(from_base64('dGVzdA=='))", "text", ""},
		// Not base64: "" rather than NULL, as in osquery.
		{"from_base64('!!!!')", "", ""},
		{"from_base64('dGVzd')", "", ""},
		{"from_base64('Q')", "", ""},
		{"from_base64('dGVz' || char(13) || 'dA')", "", ""},
		{"from_base64('')", "", ""},
		{"from_base64('====')", "", ""},
		{"from_base64(NULL)", nil, ""},
		{"conditional_to_base64('test')", "test", ""},
		{"conditional_to_base64('')", "", ""},
		{"conditional_to_base64('悪因悪果')", "5oKq5Zug5oKq5p6c", ""},
		{"conditional_to_base64('CPU0' || char(183))", "Q1BVMMK3", ""},
		{"conditional_to_base64('a' || char(9) || 'b')", "YQli", ""},
		{"conditional_to_base64('~')", "~", ""},
		{"conditional_to_base64(char(127))", "fw==", ""},
		{"conditional_to_base64(42)", "42", ""},
		{"conditional_to_base64(NULL)", nil, ""},
	})
}

func TestHashes(t *testing.T) {
	runCases(t, fnEngine(t), []sqlCase{
		{"md5('test')", "098f6bcd4621d373cade4e832627b4f6", ""},
		{"sha1('test')", "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3", ""},
		{"sha256('test')", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", ""},
		{"md5('')", "d41d8cd98f00b204e9800998ecf8427e", ""},
		{"sha1('')", "da39a3ee5e6b4b0d3255bfef95601890afd80709", ""},
		{"sha256('')", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", ""},
		{"sha1(x'00')", "5ba93c9db0cff93f52b521d7420e43f6eda2784f", ""},
		{"md5(123) = md5('123')", int64(1), ""},
		{"sha1(1.5) = sha1('1.5')", int64(1), ""},
		{"md5(NULL)", nil, ""},
		{"sha1(NULL)", nil, ""},
		{"sha256(NULL)", nil, ""},
		{"typeof(md5('a'))", "text", ""},
	})
}

// communityIDVectors are the Community ID spec's baseline flows
// (corelight/community-id-spec, baseline/baseline_deflt.json and
// baseline_seed1.json), less the port-less RSVP flows, plus the examples
// in osquery's documentation.
var communityIDVectors = []struct {
	proto        int
	saddr, daddr string
	sport, dport int
	seed0, seed1 string
}{
	{58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 135, 136, "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=", "1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY="},
	{58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 136, 135, "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=", "1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY="},
	{58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 135, 136, "1:zavyT/cezQr1fmImYCwYnMXbgck=", "1:2hSqmsDZ2kdcY9kbiUzOEBic0iM="},
	{58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 136, 135, "1:zavyT/cezQr1fmImYCwYnMXbgck=", "1:2hSqmsDZ2kdcY9kbiUzOEBic0iM="},
	{58, "3ffe:501:1800:2345::2", "3ffe:507:0:1:200:86ff:fe05:80da", 3, 0, "1:2ObVBgIn28oZvibYZhZMBgh7WdQ=", "1:lVEtCZpYu84Xqaa++3lXFyuu2n4="},
	{58, "3ffe:501:410:0:2c0:dfff:fe47:33e", "3ffe:507:0:1:200:86ff:fe05:80da", 1, 4, "1:hLZd0XGWojozrvxqE0dWB1iM6R0=", "1:W8MHwXpWzpoSTD+cGcaJr4u0ys8="},
	{58, "3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:501:0:1001::2", 128, 129, "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=", "1:GfZxjAkDk2MkegpBYHV6tadtFXQ="},
	{58, "3ffe:501:0:1001::2", "3ffe:507:0:1:200:86ff:fe05:80da", 129, 128, "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=", "1:GfZxjAkDk2MkegpBYHV6tadtFXQ="},
	{58, "fe80::200:86ff:fe05:80da", "ff02::2", 133, 134, "1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0=", "1:L7Ka0ZMYu+J3bL4ulW2PrqyXNo8="},
	{58, "fe80::260:97ff:fe07:69ea", "ff02::1", 134, 133, "1:pkvHqCL88/tg1k4cPigmZXUtL00=", "1:K/ee5UCqAMAQXDorP5nSa2CGLjc="},
	{1, "192.168.0.89", "192.168.0.1", 8, 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=", "1:03g6IloqVBdcZlPyX8r0hgoE7kA="},
	{1, "192.168.0.1", "192.168.0.89", 0, 8, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=", "1:03g6IloqVBdcZlPyX8r0hgoE7kA="},
	{1, "10.0.0.1", "10.0.0.2", 11, 0, "1:YHxtAirCG//0OzkcVAukqKQN9xM=", "1:XjUibYHaafLQ3pxQeiMI8g25q20="},
	{6, "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a", 63943, 25, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=", "1:eJYTW6AOzFLlSUoESovMjnu7rMw="},
	{6, "2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887", 25, 63943, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=", "1:eJYTW6AOzFLlSUoESovMjnu7rMw="},
	{132, "192.168.170.8", "192.168.170.56", 7, 7, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=", "1:5w3ZRjeKBzqT3zsaEECDGjUbYeg="},
	{132, "192.168.170.56", "192.168.170.8", 7, 7, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=", "1:5w3ZRjeKBzqT3zsaEECDGjUbYeg="},
	{132, "192.168.170.8", "192.168.170.56", 7, 80, "1:jQgCxbku+pNGw8WPbEc/TS/uTpQ=", "1:Y1/0jQg6e+I3ZwZZ9LP65DNbTXU="},
	{6, "128.232.110.120", "66.35.250.204", 34855, 80, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=", "1:3V71V58M3Ksw/yuFALMcW0LAHvc="},
	{6, "66.35.250.204", "128.232.110.120", 80, 34855, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=", "1:3V71V58M3Ksw/yuFALMcW0LAHvc="},
	{17, "192.168.1.52", "8.8.8.8", 54585, 53, "1:d/FP5EW3wiY1vCndhwleRRKHowQ=", "1:Q9We8WO3piVF8yEQBNJF4uiSVrI="},
	{17, "8.8.8.8", "192.168.1.52", 53, 54585, "1:d/FP5EW3wiY1vCndhwleRRKHowQ=", "1:Q9We8WO3piVF8yEQBNJF4uiSVrI="},
	{6, "127.0.0.1", "fe80::14b0:de4a:f8e8:522f", 64, 10, "1:Jww+Ua4pSUNl9TvSUwvSHL4n93w=", ""},
	{6, "fe80::14b0:de4a:f8e8:522f", "127.0.0.1", 10, 64, "1:Jww+Ua4pSUNl9TvSUwvSHL4n93w=", ""},
	{6, "66.35.250.204", "2001:0:3238:DFE1:63::FEFB", 80, 2347, "1:rxU6O+b2d9kbSWjRmVDoBbowx6g=", ""},
}

func TestCommunityID(t *testing.T) {
	var cases []sqlCase
	for _, v := range communityIDVectors {
		args := fmt.Sprintf("'%s', '%s', %d, %d, %d", v.saddr, v.daddr, v.sport, v.dport, v.proto)
		cases = append(cases,
			sqlCase{"community_id_v1(" + args + ")", v.seed0, ""},
			sqlCase{"community_id_v1(" + args + ", 0)", v.seed0, ""},
			sqlCase{"community_id_v1_strict(" + args + ")", v.seed0, ""},
		)
		if v.seed1 != "" {
			cases = append(cases,
				sqlCase{"community_id_v1(" + args + ", 1)", v.seed1, ""},
				sqlCase{"community_id_v1_strict(" + args + ", 1)", v.seed1, ""},
			)
		}
	}
	ok := "'192.168.1.52', '192.168.1.1', 10, 53, 17"
	cases = append(cases, []sqlCase{
		{"community_id_v1('66.35.250.204', '2001:0:3238:DFE1:63::FEFB', 80, 2347, 6, 37)", "1:jmJ2ORP31di4mtsQPIKzyoEb3yo=", ""},
		// Seeds are 16 bits: negative ones as two's complement.
		{"community_id_v1(" + ok + ", -1) = community_id_v1(" + ok + ", 65535)", int64(1), ""},
		{"community_id_v1(" + ok + ", -32768) = community_id_v1(" + ok + ", 32768)", int64(1), ""},
		// Bad input: NULL from community_id_v1, an error from the strict one.
		{"community_id_v1('192.168.1.52', 'foo', 10, 53, 17, 0)", nil, ""},
		{"community_id_v1_strict('192.168.1.52', 'foo', 10, 53, 17, 0)", nil, "Community ID daddr cannot be parsed as IP"},
		{"community_id_v1_strict('foo', '192.168.1.52', 10, 53, 17)", nil, "Community ID saddr cannot be parsed as IP"},
		{"community_id_v1(" + ok + ", 100000000)", nil, ""},
		{"community_id_v1_strict(" + ok + ", 100000000)", nil, "Community ID seed must fit in 2 bytes"},
		{"community_id_v1_strict(" + ok + ", -32769)", nil, "Community ID seed must fit in 2 bytes"},
		{"community_id_v1_strict(" + ok + ", '1')", nil, "Community ID seed must be an integer"},
		{"community_id_v1_strict(" + ok + ", NULL)", nil, "Community ID seed must be an integer"},
		{"community_id_v1(NULL, '1.1.1.1', 1, 2, 6)", nil, ""},
		{"community_id_v1_strict(NULL, '1.1.1.1', 1, 2, 6)", nil, "Community ID IPs must be strings"},
		{"community_id_v1_strict(16843009, '1.1.1.1', 1, 2, 6)", nil, "Community ID IPs must be strings"},
		{"community_id_v1('1.1.1.1', '2.2.2.2', '80', 2, 6)", nil, ""},
		{"community_id_v1_strict('1.1.1.1', '2.2.2.2', '80', 2, 6)", nil, "Community ID ports must be integers"},
		{"community_id_v1_strict('1.1.1.1', '2.2.2.2', 80.0, 2, 6)", nil, "Community ID ports must be integers"},
		{"community_id_v1_strict('1.1.1.1', '2.2.2.2', 1, NULL, 6)", nil, "Community ID ports must be integers"},
		{"community_id_v1_strict('1.1.1.1', '2.2.2.2', 70000, 2, 6)", nil, "Community ID ports must fit in 2 bytes"},
		{"community_id_v1_strict('1.1.1.1', '2.2.2.2', -1, 2, 6)", nil, "Community ID ports must fit in 2 bytes"},
		{"community_id_v1_strict('1.1.1.1', '2.2.2.2', 1, 2, NULL)", nil, "Community ID protocol must be an integer"},
		{"community_id_v1_strict('1.1.1.1', '2.2.2.2', 1, 2, 256)", nil, "Community ID protocol must fit in 1 byte"},
		{"community_id_v1('1.1.1.1', '2.2.2.2', 1, 2, 256)", nil, ""},
		{"community_id_v1('1.1.1.1', '2.2.2.2', 1, 2)", nil, "wrong number of arguments to function community_id_v1()"},
		{"community_id_v1_strict('1.1.1.1', '2.2.2.2', 1, 2, 6, 0, 0)", nil, "wrong number of arguments to function community_id_v1_strict()"},
	}...)
	runCases(t, fnEngine(t), cases)
}

func TestInCIDRBlock(t *testing.T) {
	runCases(t, fnEngine(t), []sqlCase{
		{"in_cidr_block('10.0.0.0/26', '10.0.0.24')", int64(1), ""},
		{"in_cidr_block('198.51.100.14/24', '198.51.100.14')", int64(1), ""},
		{"in_cidr_block('10.0.0.5/24', '10.0.0.7')", int64(1), ""},
		{"in_cidr_block('10.0.0.0/24', '10.0.1.1')", int64(0), ""},
		{"in_cidr_block('10.0.0.0/8', '11.0.0.1')", int64(0), ""},
		{"in_cidr_block('0.0.0.0/0', '8.8.8.8')", int64(1), ""},
		{"in_cidr_block('10.0.0.5/32', '10.0.0.5')", int64(1), ""},
		{"in_cidr_block('10.0.0.5/32', '10.0.0.6')", int64(0), ""},
		{"in_cidr_block('10.0.0.0/024', '10.0.0.1')", int64(1), ""},
		// boost's hosts() leaves out the network and broadcast addresses.
		{"in_cidr_block('10.0.0.0/24', '10.0.0.0')", int64(0), ""},
		{"in_cidr_block('10.0.0.0/24', '10.0.0.255')", int64(0), ""},
		{"in_cidr_block('10.0.0.0/31', '10.0.0.1')", int64(0), ""},
		{"in_cidr_block('255.255.255.255/32', '255.255.255.255')", int64(0), ""},
		// IPv6
		{"in_cidr_block('2a00:a040:019e:f12a:0000:0000:0000:0000/64', '2a00:a040:19e:f12a:658b:3589:b2ba:71a3')", int64(1), ""},
		{"in_cidr_block('2001:db8::/48', '2001:db8:0:ffff:ffff:ffff:ffff:ffff')", int64(1), ""},
		{"in_cidr_block('2001:db8::/48', '2001:db8::')", int64(1), ""},
		{"in_cidr_block('2001:db8::/48', '2001:db8:1::')", int64(0), ""},
		{"in_cidr_block('2001:db8::/47', '2001:db8:1::1')", int64(1), ""},
		{"in_cidr_block('2001:db8::1/128', '2001:db8::1')", int64(1), ""},
		{"in_cidr_block('2001:db8::1/128', '2001:db8::2')", int64(0), ""},
		{"in_cidr_block('2001:db8::/32', 'fe80::1%eth0')", int64(0), ""},
		{"in_cidr_block('fe80::/10', 'fe80::1%eth0')", int64(1), ""},
		{"in_cidr_block('::ffff:0:0/96', '::ffff:10.0.0.1')", int64(1), ""},
		{"in_cidr_block('::/0', '::1')", int64(0), ""},
		// Errors, NULLs included, as in osquery.
		{"in_cidr_block(NULL, '1.2.3.4')", nil, "CIDR must be a string"},
		{"in_cidr_block(10, '1.2.3.4')", nil, "CIDR must be a string"},
		{"in_cidr_block('10.0.0.0/8', NULL)", nil, "IP address must be a string"},
		{"in_cidr_block('10.0.0.0/8', 'foo')", nil, "IP address cannot be parsed"},
		{"in_cidr_block('10.0.0.0/8', '10.1')", nil, "IP address cannot be parsed"},
		{"in_cidr_block('10.0.0.0', '10.0.0.1')", nil, "CIDR for IP address v4 cannot be parsed"},
		{"in_cidr_block('10.0.0.0/', '10.0.0.1')", nil, "CIDR for IP address v4 cannot be parsed"},
		{"in_cidr_block('10.0.0.0/33', '10.0.0.1')", nil, "CIDR for IP address v4 cannot be parsed"},
		{"in_cidr_block('10.0.0.0/-1', '10.0.0.1')", nil, "CIDR for IP address v4 cannot be parsed"},
		{"in_cidr_block('10.0.0.0/8x', '10.0.0.1')", nil, "CIDR for IP address v4 cannot be parsed"},
		{"in_cidr_block('2001:db8::/48', '10.0.0.1')", nil, "CIDR for IP address v4 cannot be parsed"},
		{"in_cidr_block('10.0.0.0/8', '::1')", nil, "CIDR for IP address v6 cannot be parsed"},
		{"in_cidr_block('2001:db8::/129', '::1')", nil, "CIDR for IP address v6 cannot be parsed"},
	})
}

func TestParentDirectory(t *testing.T) {
	runCases(t, fnEngine(t), []sqlCase{
		{"parent_directory('/etc/passwd')", "/etc", ""},
		{"parent_directory('/usr/bin/')", "/usr/bin", ""},
		{"parent_directory('/etc')", "", ""},
		{"parent_directory('/')", "", ""},
		{"parent_directory('a/b/c')", "a/b", ""},
		{"parent_directory('file')", nil, ""},
		{"parent_directory('')", nil, ""},
		{"parent_directory(NULL)", nil, "Invalid inputs to parent_directory, TEXT was expected"},
		{"parent_directory(5)", nil, "Invalid inputs to parent_directory, TEXT was expected"},
	})
}

func TestFindFilePathInCmdWithoutRoot(t *testing.T) {
	d := &sqlite.Driver{}
	if err := registerFunctions(d); err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(driverDB{d})
	defer db.Close()
	for _, c := range []sqlCase{
		{"find_file_path_in_cmd('/usr/bin/python3 /opt/x.py')", "/usr/bin/python3", ""},
		{"find_file_path_in_cmd('  /bin/ls -la')", "/bin/ls", ""},
		{"find_file_path_in_cmd('/bin/true')", "/bin/true", ""},
		{"find_file_path_in_cmd('/opt/my\\ app/run --x')", "/opt/my app/run", ""},
		{"find_file_path_in_cmd('\"/opt/my app/run\" --x', 1)", "/opt/my app/run", ""},
		{"find_file_path_in_cmd('\"/opt/my app/run\" --x', 0)", "\"/opt/my", ""},
		{"find_file_path_in_cmd('/opt/my^ app/run x', 0, '^')", "/opt/my app/run", ""},
		{"find_file_path_in_cmd('')", "", ""},
		{"find_file_path_in_cmd()", nil, "Invalid inputs to find_binary_path_from_cmd"},
		{"find_file_path_in_cmd(NULL)", nil, "Invalid inputs to find_binary_path_from_cmd"},
		{"find_file_path_in_cmd('x', NULL)", nil, "Invalid inputs to find_binary_path_from_cmd"},
		{"find_file_path_in_cmd('x', 0, '')", nil, "Invalid inputs to find_binary_path_from_cmd"},
		{"find_file_path_in_cmd('x', 0, 'ab')", nil, "Invalid inputs to find_binary_path_from_cmd"},
	} {
		var got any
		err := db.QueryRow("SELECT " + c.expr).Scan(&got)
		if b, ok := got.([]byte); ok {
			got = string(b)
		}
		switch {
		case c.err != "":
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("SELECT %s: error %v, want %q", c.expr, err, c.err)
			}
		case err != nil:
			t.Errorf("SELECT %s: %v", c.expr, err)
		case !sameValue(got, c.want):
			t.Errorf("SELECT %s = %#v, want %#v", c.expr, got, c.want)
		}
	}
}

// driverDB opens a database/sql handle over a bare driver.
type driverDB struct{ d *sqlite.Driver }

func (c driverDB) Connect(context.Context) (driver.Conn, error) { return c.d.Open(":memory:") }
func (c driverDB) Driver() driver.Driver                        { return c.d }

func TestFindFilePathInCmdWithRoot(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"opt/my app/run", "usr/bin/python3", "opt/a", "opt/a b"} {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, nil, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	d := &sqlite.Driver{}
	if err := registerFunctionsWith(d, hostfs.Dir(dir)); err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(driverDB{d})
	defer db.Close()
	for _, c := range []struct{ cmd, want string }{
		{"/usr/bin/python3 /opt/x.py", "/usr/bin/python3"},
		{"/opt/my app/run --x", "/opt/my app/run"},
		{"/opt/my app/run", "/opt/my app/run"},
		{"/opt/a b c", "/opt/a"}, // the shortest existing path wins
		{"/usr/bin python3", ""}, // a directory is not a program
		{"/missing arg", ""},
		{"", ""},
	} {
		var got string
		if err := db.QueryRow("SELECT find_file_path_in_cmd(?)", c.cmd).Scan(&got); err != nil {
			t.Fatalf("%q: %v", c.cmd, err)
		}
		if got != c.want {
			t.Errorf("find_file_path_in_cmd(%q) = %q, want %q", c.cmd, got, c.want)
		}
	}
}

func TestVersionCompare(t *testing.T) {
	runCases(t, fnEngine(t), []sqlCase{
		{"version_compare('1.0', '1.0')", int64(0), ""},
		{"version_compare('1:2.0-10', '1:2.0-10', 'DPKG')", int64(0), ""},
		{"version_compare('4:1.1.0', '4:1.1.0-3', 'arCH')", int64(0), ""},
		{"version_compare('50.4.1b', '50.4.1c')", int64(-1), ""},
		{"version_compare('1.0.8-4', '1.0.8-6', 'arch')", int64(-1), ""},
		{"version_compare('1.0.0~rc2^2021', '1.0.0', 'RHEL')", int64(-1), ""},
		{"version_compare('1.1.0~BETA2^1', '1.1.0~CR1', 'RhEl')", int64(-1), ""},
		{"version_compare('1.0.1.1', '1.0.1^2021', 'rhel')", int64(1), ""},
		{"version_compare('1.9.9-1ubuntu2.4', '1.9.9-1ubuntu2.3', 'dpkg')", int64(1), ""},
		{"version_compare('1:1.2.13-2', '4.2.1', 'ARCH')", int64(1), ""},
		{"version_compare('106.32.1', '106:32.1')", int64(0), ""},
		{"version_compare('1.10', '1.9')", int64(1), ""},
		{"version_compare('', '0')", int64(-1), ""},
		{"version_compare('1.0~rc1', '1.0', 'version_rhel')", int64(-1), ""},
		{"version_compare('1.0', '1.0', 'x', 'ignored')", int64(0), "does not match one of: (ARCH, DPKG, RHEL)"},
		{"version_compare('1.0', '1.0', 'DPKG', 'ignored')", int64(0), ""},
		{"version_compare('1.0')", nil, "Must provide two version strings to compare."},
		{"version_compare('1.0', NULL)", nil, "Must provide two version strings to compare."},
		{"version_compare(NULL, '1.0')", nil, "Must provide two version strings to compare."},
		{"version_compare(1, 2)", nil, "Must provide two version strings to compare."},
		{"version_compare('1', '2', 3)", nil, "The optional third parameter is not a string."},
		{"version_compare('1', '2', NULL)", nil, "The optional third parameter is not a string."},
		{"version_compare('1', '2', 'SEMVER')", nil, "The optional third parameter does not match one of: (ARCH, DPKG, RHEL)."},
	})
}

func TestMathFunctions(t *testing.T) {
	runCases(t, fnEngine(t), []sqlCase{
		// Registered by osaudit.
		{"cot(1)", 1 / math.Tan(1), ""},
		{"cot(30)", -0.156119952161659, ""},
		{"cot(0)", math.Inf(1), ""},
		{"cot('1')", 1 / math.Tan(1), ""},
		{"cot('abc')", nil, ""},
		{"cot(NULL)", nil, ""},
		{"log(100)", math.Log(100), ""},
		{"log(1)", 0.0, ""},
		{"log(107372805120)", 25.3995727757846, ""},
		{"log(0)", nil, ""},
		{"log(-1)", nil, ""},
		{"log('x')", nil, ""},
		{"log(NULL)", nil, ""},
		{"log(2, 8)", 3.0, ""}, // SQLite's two-argument log is kept
		{"ceil(1.2)", int64(2), ""},
		{"ceil(-1.5)", int64(-1), ""},
		{"ceil(3)", int64(3), ""},
		{"ceil('1.5')", int64(2), ""},
		{"ceil(' 7 ')", int64(7), ""},
		{"ceil(107372805120.5)", int64(107372805121), ""},
		{"ceil(1e300)", 1e300, ""},
		{"ceil('abc')", nil, ""},
		{"ceil(x'31')", nil, ""},
		{"ceil(NULL)", nil, ""},
		{"typeof(ceil(1.2))", "integer", ""},
		{"ceiling(1.2)", int64(2), ""},
		{"ceiling(NULL)", nil, ""},
		{"floor(1.7)", int64(1), ""},
		{"floor(-1.2)", int64(-2), ""},
		{"floor(-0.5)", int64(-1), ""},
		{"floor(9)", int64(9), ""},
		{"floor('2.5e1')", int64(25), ""},
		{"floor('12abc')", nil, ""},
		{"floor(NULL)", nil, ""},
		// SQLite's own, already what osquery gives.
		{"sqrt(4)", 2.0, ""},
		{"sqrt('4')", 2.0, ""},
		{"sqrt(-1)", nil, ""},
		{"sqrt(NULL)", nil, ""},
		{"pi()", math.Pi, ""},
		{"log10(100)", 2.0, ""},
		{"log10(NULL)", nil, ""},
		{"log2(8)", 3.0, ""},
		{"power(2, 10)", 1024.0, ""},
		{"pow(2, 10)", 1024.0, ""},
		{"power(NULL, 2)", nil, ""},
		{"sin(30)", -0.988031624092862, ""},
		{"cos(30)", 0.154251449887584, ""},
		{"tan(30)", -6.40533119664628, ""},
		{"asin(.5)", 0.523598775598299, ""},
		{"acos(.5)", 1.0471975511966, ""},
		{"atan(.5)", 0.463647609000806, ""},
		{"asin(2)", nil, ""},
		{"atan2(1, 1)", math.Pi / 4, ""},
		{"radians(60)", 1.0471975511966, ""},
		{"degrees(1.3)", 74.484513367007, ""},
		{"exp(1)", math.E, ""},
		{"exp(NULL)", nil, ""},
		{"mod(7, 3)", 1.0, ""},
	})
}

// Values reach functions as SQLite converts them: check the conversions
// against SQLite's own CAST.
func TestValueConversionsMatchSQLite(t *testing.T) {
	e := fnEngine(t)
	for _, lit := range []string{
		"0.1", "0.5", "2.0", "-1.5", "100.0", "12345.678", "1e15", "1e16", "1e17", "1e20", "1e100",
		"1.5e300", "1e-4", "1e-5", "-1e-7", "2.5e-10", "0.000123456", "0.1+0.2", "2.0/3", "1.0/7",
		"1.1*1.1", "123456789.123456789", "1234567890123456.0", "12345678901234567890.0",
		"1.7976931348623157e308", "9e999", "-9e999", "-0.0", "4.35", "8.2", "3.0e-300",
	} {
		got, err := fnEval(e, "concat("+lit+")")
		if err != nil {
			t.Fatal(err)
		}
		want, err := fnEval(e, "CAST("+lit+" AS TEXT)")
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("text of %s: %q, SQLite says %q", lit, got, want)
		}
	}
	// sqlite3_value_int64 of text takes the leading integer.
	for _, c := range []struct {
		in   driver.Value
		want int64
	}{
		{"12", 12}, {" 12abc", 12}, {"abc", 0}, {"-3", -3}, {"+4", 4}, {"1.9", 1}, {"", 0},
		{"99999999999999999999", math.MaxInt64}, {"-99999999999999999999", math.MinInt64},
		{1.9, 1}, {-1.9, -1}, {1e300, math.MaxInt64}, {-1e300, math.MinInt64}, {int64(7), 7},
		{[]byte("5"), 5}, {nil, 0},
	} {
		if got := valueInt(c.in); got != c.want {
			t.Errorf("valueInt(%#v) = %d, want %d", c.in, got, c.want)
		}
	}
}

func TestGuardRecoversPanics(t *testing.T) {
	f := guard("boom", func([]driver.Value) (driver.Value, error) { panic("bad") })
	v, err := f(nil, nil)
	if v != nil || err == nil || !strings.Contains(err.Error(), "boom: internal error: bad") {
		t.Errorf("guard gave %v, %v", v, err)
	}
}

// Every function osaudit registers is marked deterministic, so SQLite may
// use it in indexes and constant-fold it.
func TestFunctionsDeterministic(t *testing.T) {
	for _, f := range functionList(nil) {
		if !f.deterministic {
			t.Errorf("%s is not deterministic", f.name)
		}
	}
	for _, f := range functionList(hostfs.Dir(t.TempDir())) {
		if f.deterministic != (f.name != "find_file_path_in_cmd") {
			t.Errorf("%s: deterministic = %v with a root", f.name, f.deterministic)
		}
	}
}

func FuzzSplitFunctions(f *testing.F) {
	f.Add("192.168.0.1", ".", int64(1))
	f.Add("/foo/bar", "(/", int64(0))
	f.Add("a1b22c", "[0-9]*", int64(2))
	f.Add("", "|", int64(-1))
	f.Fuzz(func(t *testing.T, s, p string, i int64) {
		for _, fn := range []func([]driver.Value) (driver.Value, error){splitFunc, regexSplitFunc, regexMatchFunc} {
			v, err := fn([]driver.Value{s, p, i})
			if err == nil && v != nil {
				if _, ok := v.(string); !ok {
					t.Fatalf("result %T", v)
				}
			}
		}
		_, _ = fromBase64Func([]driver.Value{s})
		_, _ = inCIDRBlockFunc([]driver.Value{p, s})
		_, _ = findFilePathInCmdFunc(nil)([]driver.Value{s, i, p})
	})
}
