package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

var fixture = filepath.Join("..", "..", "tables", "testdata", "hosts", "debian12")

func runCLI(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, io.NopCloser(strings.NewReader(stdin)), &out, &errb)
	return out.String(), errb.String(), code
}

func TestQueryJSON(t *testing.T) {
	out, errOut, code := runCLI(t, "", "query", "--root", fixture, "--json", "SELECT pid, name, on_disk FROM processes WHERE pid IN (1, 1300) ORDER BY pid")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rows []map[string]string
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	want := []map[string]string{{"pid": "1", "name": "systemd", "on_disk": "1"}, {"pid": "1300", "name": "evil", "on_disk": "0"}}
	if len(rows) != 2 || rows[0]["name"] != want[0]["name"] || rows[1]["on_disk"] != "0" || rows[0]["pid"] != "1" {
		t.Errorf("rows = %v, want %v", rows, want)
	}
	// osqueryi's layout: one object per line.
	if !strings.HasPrefix(out, "[\n  {") || !strings.HasSuffix(out, "}\n]\n") {
		t.Errorf("layout:\n%s", out)
	}
}

func TestQueryFlagsAfterSQL(t *testing.T) {
	out, _, code := runCLI(t, "", "query", "SELECT 1 AS one", "--json", "--root", fixture)
	if code != 0 || !strings.Contains(out, `"one":"1"`) {
		t.Errorf("exit %d, out %q", code, out)
	}
}

func TestQueryFormats(t *testing.T) {
	tests := []struct {
		flag, want string
	}{
		{"--csv", "a,b\n1,x\n"},
		{"--list", "a|b\n1|x\n"},
		{"--line", "a = 1\nb = x\n"},
		{"--json", "[\n  {\"a\":\"1\",\"b\":\"x\"}\n]\n"},
		{"", "+---+---+\n| a | b |\n+---+---+\n| 1 | x |\n+---+---+\n"},
	}
	for _, tt := range tests {
		args := []string{"query", "--root", fixture, "SELECT 1 AS a, 'x' AS b"}
		if tt.flag != "" {
			args = append(args, tt.flag)
		}
		out, errOut, code := runCLI(t, "", args...)
		if code != 0 || out != tt.want {
			t.Errorf("%s: exit %d out %q (err %s), want %q", tt.flag, code, out, errOut, tt.want)
		}
	}
}

func TestQueryErrors(t *testing.T) {
	tests := []struct {
		sql, want string
	}{
		{"SELECT * FROM proceses", "did you mean processes"},
		{"SELECT * FROM file", "path"},
		{"SELEC 1", "syntax error at line 1, column 1"},
		{"ATTACH '/tmp/x.db' AS x", "not authorized"},
		{"SELECT 1; SELECT 2", "one statement"},
	}
	for _, tt := range tests {
		out, errOut, code := runCLI(t, "", "query", "--root", fixture, tt.sql)
		if code != 1 || !strings.Contains(errOut, tt.want) {
			t.Errorf("%q: exit %d, stderr %q, want exit 1 and %q", tt.sql, code, errOut, tt.want)
		}
		if out != "" {
			t.Errorf("%q: stdout %q, want nothing", tt.sql, out)
		}
	}
	if _, _, code := runCLI(t, "", "query", "--root", "/no/such/dir", "SELECT 1"); code != 1 {
		t.Errorf("bad --root: exit %d", code)
	}
}

func TestQueryTimeout(t *testing.T) {
	_, errOut, code := runCLI(t, "", "query", "--query_timeout=1", "--root", fixture,
		"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT count(*) FROM c")
	if code != 1 || !strings.Contains(errOut, "timed out") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

func TestInvalidUTF8GivesValidJSON(t *testing.T) {
	out, errOut, code := runCLI(t, "", "query", "--root", fixture, "--json", "SELECT CAST(x'66ff6f' AS TEXT) AS s, char(10) AS nl")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rows []map[string]string
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("invalid JSON %q: %v", out, err)
	}
	if rows[0]["s"] != "f\ufffdo" || rows[0]["nl"] != "\n" {
		t.Errorf("got %q", rows[0])
	}
}

// countingWriter discards output and samples the heap as it goes.
type countingWriter struct {
	n       int
	maxHeap uint64
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n += len(p)
	if w.n/(1<<20) != (w.n-len(p))/(1<<20) {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		w.maxHeap = max(w.maxHeap, m.HeapInuse)
	}
	return len(p), nil
}

func TestQueryStreamsLargeResults(t *testing.T) {
	if testing.Short() {
		t.Skip("a million rows")
	}
	modes, rows, minOut, maxHeap := []string{"--json", "--csv", ""}, 1000000, 20<<20, uint64(24<<20)
	if raceEnabled {
		// The race detector slows this tenfold: one mode, fewer rows, and a
		// heap bound still well below what holding the rows would take.
		modes, rows, minOut, maxHeap = modes[:1], 400000, 8<<20, 16<<20
	}
	for _, mode := range modes {
		w := &countingWriter{}
		args := []string{"query", "--root", fixture, "--query_timeout=0",
			fmt.Sprintf("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c LIMIT %d) SELECT x, 'row number ' || x AS label FROM c", rows)}
		if mode != "" {
			args = append(args, mode)
		}
		var errb bytes.Buffer
		if code := run(context.Background(), args, io.NopCloser(strings.NewReader("")), w, &errb); code != 0 {
			t.Fatalf("%s: exit %d: %s", mode, code, errb.String())
		}
		if w.n < minOut {
			t.Fatalf("%s: only %d bytes of output", mode, w.n)
		}
		// A million rows of this shape are 30+ MB of output; holding them
		// would show in the heap.
		if w.maxHeap > maxHeap {
			t.Errorf("%s: heap reached %d MB while printing %d MB", mode, w.maxHeap>>20, w.n>>20)
		}
	}
}

func TestShellScript(t *testing.T) {
	script := `.mode csv
SELECT 1 AS a;
SELECT 'multi' AS b,
  2 AS c;
.tables proc
SELECT * FROM nosuch;
.mode line
SELECT name FROM processes WHERE pid = 1
`
	out, errOut, code := runCLI(t, script, "shell", "--root", fixture)
	if code != 1 {
		t.Errorf("exit %d, want 1 after a failed statement", code)
	}
	for _, want := range []string{"a\n1\n", "b,c\nmulti,2\n", "=> processes", "name = systemd"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "no such table: nosuch") {
		t.Errorf("stderr %q", errOut)
	}
}

func TestShellMetaCommands(t *testing.T) {
	out, errOut, code := runCLI(t, ".schema processes\n.help\n.show\n.timer on\nSELECT 1;\n.bogus\n.quit\nSELECT 'after quit';\n", "shell", "--root", fixture)
	if code != 1 {
		t.Errorf("exit %d", code)
	}
	for _, want := range []string{"CREATE TABLE processes(`pid` BIGINT", ".mode MODE", "mode: pretty", "Run Time: real"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "after quit") || !strings.Contains(errOut, "unknown command .bogus") {
		t.Errorf("out %q err %q", out, errOut)
	}
}

func TestTablesJSON(t *testing.T) {
	out, _, code := runCLI(t, "", "tables", "--json")
	if code != 0 {
		t.Fatal(code)
	}
	var infos []struct {
		Name      string   `json:"name"`
		Platforms []string `json:"platforms"`
		Columns   []struct {
			Name, Type string
			Index      bool
		} `json:"columns"`
	}
	if err := json.Unmarshal([]byte(out), &infos); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, ti := range infos {
		if ti.Name == "processes" {
			found = ti.Columns[0].Name == "pid" && ti.Columns[0].Type == "BIGINT" && ti.Columns[0].Index
		}
	}
	if !found {
		t.Errorf("processes.pid BIGINT index not in %s", out[:min(len(out), 300)])
	}
}

func TestOsqueryFlagsTable(t *testing.T) {
	out, errOut, code := runCLI(t, "", "query", "--root", fixture, "--json", "--query_timeout=7",
		"SELECT name, value, shell_only FROM osquery_flags WHERE name IN ('query_timeout', 'json')")
	if code != 0 {
		t.Fatal(errOut)
	}
	if !strings.Contains(out, `{"name":"json","value":"true","shell_only":"1"}`) || !strings.Contains(out, `{"name":"query_timeout","value":"7","shell_only":"0"}`) {
		t.Errorf("got %s", out)
	}
}

func TestMain(m *testing.M) {
	os.Exit(m.Run())
}
