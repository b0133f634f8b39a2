package osquery

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The examples of ../shared/reference/osquery.md §3, which come from
// osquery's docs and source.
func TestResultLineShapes(t *testing.T) {
	h := ResultHeader{
		Name:           "pack_incident-response_listening_ports",
		HostIdentifier: "web01",
		Time:           time.Unix(1412098650, 0),
		Epoch:          0,
		Counter:        3,
		Decorations:    map[string]string{"host_uuid": "4740D59F-699E-5B29-960B-979AAF9BBEEB"},
	}
	row := Row{"port": "22", "address": "0.0.0.0", "pid": "97830"}
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"event added", h.EventLines([]Row{row}, nil)[0],
			`{"name":"pack_incident-response_listening_ports","hostIdentifier":"web01","calendarTime":"Tue Sep 30 17:37:30 2014 UTC","unixTime":1412098650,"epoch":0,"counter":3,"numerics":false,"decorations":{"host_uuid":"4740D59F-699E-5B29-960B-979AAF9BBEEB"},"columns":{"address":"0.0.0.0","pid":"97830","port":"22"},"action":"added"}`},
		{"batch", h.BatchLine([]Row{row}, []Row{{"pid": "1"}}),
			`{"diffResults":{"removed":[{"pid":"1"}],"added":[{"address":"0.0.0.0","pid":"97830","port":"22"}]},"name":"pack_incident-response_listening_ports","hostIdentifier":"web01","calendarTime":"Tue Sep 30 17:37:30 2014 UTC","unixTime":1412098650,"epoch":0,"counter":3,"numerics":false,"decorations":{"host_uuid":"4740D59F-699E-5B29-960B-979AAF9BBEEB"}}`},
		{"snapshot", ResultHeader{Name: "process_snapshot", HostIdentifier: "h", Time: time.Unix(1462228052, 0)}.SnapshotLine([]Row{{"pid": "1", "path": "/sbin/launchd", "parent": "0"}}),
			`{"snapshot":[{"parent":"0","path":"/sbin/launchd","pid":"1"}],"action":"snapshot","name":"process_snapshot","hostIdentifier":"h","calendarTime":"Mon May  2 22:27:32 2016 UTC","unixTime":1462228052,"epoch":0,"counter":0,"numerics":false}`},
		{"numerics", ResultHeader{Name: "q", HostIdentifier: "h", Time: time.Unix(0, 0), Numerics: true, Numeric: map[string]bool{"pid": true, "name": false}}.EventLines(nil, []Row{{"pid": "42", "name": "7"}})[0],
			`{"name":"q","hostIdentifier":"h","calendarTime":"Thu Jan  1 00:00:00 1970 UTC","unixTime":0,"epoch":0,"counter":0,"numerics":true,"columns":{"name":"7","pid":42},"action":"removed"}`},
		{"top-level decorations", ResultHeader{Name: "q", HostIdentifier: "h", Time: time.Unix(0, 0), Decorations: map[string]string{"user": "x"}, DecorationsTopLevel: true}.SnapshotEventLines([]Row{{"a": "<b>"}})[0],
			`{"name":"q","hostIdentifier":"h","calendarTime":"Thu Jan  1 00:00:00 1970 UTC","unixTime":0,"epoch":0,"counter":0,"numerics":false,"user":"x","columns":{"a":"<b>"},"action":"snapshot"}`},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, string(tt.got)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
		if !json.Valid(tt.got) {
			t.Errorf("%s: invalid JSON", tt.name)
		}
	}
	lines := h.EventLines([]Row{{"a": "1"}}, []Row{{"a": "2"}})
	if len(lines) != 2 || !strings.HasSuffix(string(lines[0]), `{"a":"2"},"action":"removed"}`) || !strings.HasSuffix(string(lines[1]), `{"a":"1"},"action":"added"}`) {
		t.Fatalf("removed lines come first: %q", lines)
	}
	// Lines share one buffer: appending to one must not write into the next.
	second := string(lines[1])
	_ = append(lines[0], "xxxxxxxx"...)
	if string(lines[1]) != second {
		t.Errorf("appending to a line changed the next: %s", lines[1])
	}
}

func TestStatusLine(t *testing.T) {
	s := StatusLine{HostIdentifier: "h", Time: time.Date(2026, 1, 15, 10, 0, 0, 123456000, time.UTC), Severity: SeverityWarning, Filename: "scheduler.go", Line: 83, Message: "Executing \"x\"", Version: "5.23.1"}
	want := `{"hostIdentifier":"h","calendarTime":"Thu Jan 15 10:00:00 2026 UTC","unixTime":1768471200,"severity":1,"filename":"scheduler.go","line":83,"message":"Executing \"x\"","version":"5.23.1"}`
	if got := string(s.JSON()); got != want {
		t.Errorf("JSON:\n got %s\nwant %s", got, want)
	}
	if got, want := string(s.Glog(7)), "W0115 10:00:00.123456 7 scheduler.go:83] Executing \"x\"\n"; got != want {
		t.Errorf("glog: got %q want %q", got, want)
	}
}

func TestIsJSONNumber(t *testing.T) {
	for s, want := range map[string]bool{"1": true, "-5": true, "1.5": true, "1e5": true, "": false, "abc": false, "NaN": false, "Inf": false, ".5": false, "5.": false, "+1": false, "0x10": false, "007": false, "0": true, "-0.5": true, "1e": false, "1.": false} {
		if got := isJSONNumber(s); got != want {
			t.Errorf("isJSONNumber(%q) = %v", s, got)
		}
	}
}

func TestAppendJSONString(t *testing.T) {
	got := string(AppendJSONString(nil, "a\"\\\n\x01\xff\u2028é<"))
	want := `"a\"\\\n\u0001\ufffd\u2028é<"`
	if got != want {
		t.Errorf("got %s want %s", got, want)
	}
}

func FuzzAppendJSONString(f *testing.F) {
	f.Add("hello")
	f.Add("\xff\xfe")
	f.Fuzz(func(t *testing.T, s string) {
		b := AppendJSONString(nil, s)
		var back string
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%q gave invalid JSON %s: %v", s, b, err)
		}
	})
}

func BenchmarkEventLines(b *testing.B) {
	h := ResultHeader{Name: "pack_incident-response_process_events", HostIdentifier: "sim-000042", Time: time.Unix(1768471200, 0), Counter: 7}
	rows := make([]Row, 10)
	for i := range rows {
		rows[i] = Row{"pid": "4242", "name": "svchost.exe", "path": `C:\Windows\System32\svchost.exe`, "cmdline": "svchost.exe -k netsvcs -p",
			"uid": "0", "parent": "812", "on_disk": "1", "resident_size": "16777216", "start_time": "1768400000"}
	}
	b.ReportAllocs()
	for b.Loop() {
		h.EventLines(rows, nil)
	}
}
