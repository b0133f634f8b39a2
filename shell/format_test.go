package shell

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func render(mode Mode, opts Options, cols []string, rows ...[]any) string {
	var b bytes.Buffer
	p := NewPrinter(mode, &b, opts)
	p.Begin(cols)
	for _, r := range rows {
		p.Row(r)
	}
	p.End()
	return b.String()
}

func TestPrinters(t *testing.T) {
	cols := []string{"pid", "name", "load"}
	rows := [][]any{{int64(1), "systemd", 0.5}, {int64(1234), nil, float64(2)}}
	opts := Options{Headers: true, Separator: "|", NullValue: ""}
	tests := []struct {
		mode Mode
		want string
	}{
		{ModePretty, "+------+---------+------+\n| pid  | name    | load |\n+------+---------+------+\n| 1    | systemd | 0.5  |\n| 1234 |         | 2.0  |\n+------+---------+------+\n"},
		{ModeLine, " pid = 1\nname = systemd\nload = 0.5\n\n pid = 1234\nname = \nload = 2.0\n"},
		{ModeCSV, "pid,name,load\n1,systemd,0.5\n1234,,2.0\n"},
		{ModeList, "pid|name|load\n1|systemd|0.5\n1234||2.0\n"},
		{ModeJSON, "[\n  {\"pid\":\"1\",\"name\":\"systemd\",\"load\":\"0.5\"},\n  {\"pid\":\"1234\",\"name\":\"\",\"load\":\"2.0\"}\n]\n"},
	}
	for _, tt := range tests {
		got := render(tt.mode, opts, cols, rows...)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.mode, diff)
		}
	}
	if got := render(ModePretty, opts, cols); got != "" {
		t.Errorf("pretty prints nothing for no rows, got %q", got)
	}
	if got := render(ModeJSON, opts, cols); got != "[\n]\n" {
		t.Errorf("empty JSON %q", got)
	}
	if got := render(ModeCSV, Options{NullValue: "NULL"}, []string{"a"}, []any{nil}, []any{"x,y\"z"}); got != "NULL\n\"x,y\"\"z\"\n" {
		t.Errorf("csv quoting and nullvalue: %q", got)
	}
}

func TestJSONStaysValid(t *testing.T) {
	got := render(ModeJSON, Options{}, []string{"k\x01"}, []any{[]byte("\xff\xfe<tab>\t")}, []any{"\u2028"})
	var rows []map[string]string
	if err := json.Unmarshal([]byte(got), &rows); err != nil {
		t.Fatalf("invalid JSON %q: %v", got, err)
	}
	if rows[0]["k\x01"] != "\ufffd\ufffd<tab>\t" {
		t.Errorf("got %q", rows[0])
	}
}

func TestParseMode(t *testing.T) {
	if m, err := ParseMode("JSON"); err != nil || m != ModeJSON {
		t.Errorf("ParseMode(JSON) = %v, %v", m, err)
	}
	if _, err := ParseMode("column"); err == nil {
		t.Error("unknown mode accepted")
	}
}
