package osquery

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/osaudit/osaudit"
)

// enrollBody is an enroll request as osquery 5.x sends it: every
// host_details value a string.
const enrollBody = `{"enroll_secret":"s3cret","host_identifier":"1B2A6F2C-0000-4000-8000-00000000BA12","platform_type":"9",
 "host_details":{
  "os_version":{"name":"Ubuntu","version":"22.04.4 LTS (Jammy Jellyfish)","major":"22","minor":"4","patch":"0","build":"","platform":"ubuntu","platform_like":"debian","codename":"jammy","arch":"x86_64"},
  "osquery_info":{"version":"5.23.1","build_platform":"ubuntu","pid":"4321","uuid":"1B2A6F2C-0000-4000-8000-00000000BA12","extensions":"active","config_valid":"1","watcher":"4320","platform_mask":"9"},
  "system_info":{"hostname":"bar-host-1","cpu_brand":"Intel","physical_memory":"8589934592"},
  "platform_info":{"vendor":"SeaBIOS","version":"1.16","date":"04/01/2014"}}}`

func TestParseEnroll(t *testing.T) {
	tests := []struct {
		name string
		body string
		want *EnrollRequest
	}{
		{"osquery 5.x linux", enrollBody, &EnrollRequest{
			EnrollSecret: "s3cret", HostIdentifier: "1B2A6F2C-0000-4000-8000-00000000BA12", PlatformType: "9",
			HostDetails: map[string]map[string]string{
				"os_version": {"name": "Ubuntu", "version": "22.04.4 LTS (Jammy Jellyfish)", "major": "22", "minor": "4", "patch": "0", "build": "",
					"platform": "ubuntu", "platform_like": "debian", "codename": "jammy", "arch": "x86_64"},
				"osquery_info": {"version": "5.23.1", "build_platform": "ubuntu", "pid": "4321", "uuid": "1B2A6F2C-0000-4000-8000-00000000BA12",
					"extensions": "active", "config_valid": "1", "watcher": "4320", "platform_mask": "9"},
				"system_info":   {"hostname": "bar-host-1", "cpu_brand": "Intel", "physical_memory": "8589934592"},
				"platform_info": {"vendor": "SeaBIOS", "version": "1.16", "date": "04/01/2014"},
			}}},
		{"windows, no details", `{"enroll_secret":"s","host_identifier":"WIN-1","platform_type":"2"}`,
			&EnrollRequest{EnrollSecret: "s", HostIdentifier: "WIN-1", PlatformType: "2"}},
		{"numbers where strings belong", `{"enroll_secret":"s","host_identifier":7,"platform_type":21,"host_details":{"system_info":{"physical_memory":8589934592,"x":null,"y":true},"bad":"row"}}`,
			&EnrollRequest{EnrollSecret: "s", HostIdentifier: "7", PlatformType: "21", HostDetails: map[string]map[string]string{
				"system_info": {"physical_memory": "8589934592", "x": "", "y": "true"}}}},
		{"invalid UTF-8 becomes U+FFFD", "{\"enroll_secret\":\"s\",\"host_identifier\":\"h\xff\"}",
			&EnrollRequest{EnrollSecret: "s", HostIdentifier: "h\uFFFD"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseEnroll([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("ParseEnroll (-got +want):\n%s", diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	deep := strings.Repeat(`{"a":`, MaxDepth+1) + "1" + strings.Repeat("}", MaxDepth+1)
	many := `{"node_key":"k","log_type":"result","data":[` + strings.Repeat(`{},`, MaxObjects) + `{}]}`
	tests := []struct {
		name    string
		parse   func([]byte) error
		body    string
		tooMany bool
	}{
		{"enroll: not JSON", enrollErr, `{not json`, false},
		{"enroll: array", enrollErr, `[1]`, false},
		{"enroll: trailing data", enrollErr, `{"enroll_secret":"s"} x`, false},
		{"enroll: too deep", enrollErr, deep, true},
		{"log: not JSON", logErr, `{not json`, false},
		{"log: truncated", logErr, `{"node_key":"k","log_type":"result","data":[{"name":"a"`, false},
		{"log: no log_type", logErr, `{"node_key":"k","data":[]}`, false},
		{"log: unknown log_type", logErr, `{"node_key":"k","log_type":"metrics","data":[]}`, false},
		{"log: data not an array", logErr, `{"node_key":"k","log_type":"result","data":{}}`, false},
		{"log: body an array", logErr, `[]`, false},
		{"log: too many objects", logErr, many, true},
		{"write: not JSON", writeErr, `{"queries":`, false},
		{"write: string", writeErr, `"x"`, false},
		{"write: too deep", writeErr, deep, true},
		{"node key: not JSON", keyErr, `{`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.parse([]byte(tt.body))
			if err == nil {
				t.Fatal("no error")
			}
			if got := errors.Is(err, ErrTooLarge); got != tt.tooMany {
				t.Errorf("errors.Is(%v, ErrTooLarge) = %v, want %v", err, got, tt.tooMany)
			}
		})
	}
}

func enrollErr(b []byte) error { _, err := ParseEnroll(b); return err }
func logErr(b []byte) error    { _, err := ParseLog(b); return err }
func writeErr(b []byte) error  { _, err := ParseDistributedWrite(b); return err }
func keyErr(b []byte) error    { _, err := ParseNodeKey(b); return err }

func TestParseNodeKey(t *testing.T) {
	for body, want := range map[string]string{
		`{"node_key":"abc"}`: "abc",
		``:                   "",
		`  `:                 "",
		`{}`:                 "",
		`{"node_key":5}`:     "",
		`null`:               "",
	} {
		got, err := ParseNodeKey([]byte(body))
		if err != nil || got != want {
			t.Errorf("ParseNodeKey(%q) = %q, %v; want %q", body, got, err, want)
		}
	}
}

func TestParseLogResults(t *testing.T) {
	event := `{"name":"pack/bar/processes","hostIdentifier":"h","calendarTime":"Tue Sep 30 17:37:30 2014 UTC","unixTime":1412098650,"epoch":0,"counter":3,"numerics":false,"decorations":{"host_uuid":"U"},"columns":{"pid":"97830","port":"22"},"action":"added"}`
	numeric := `{"name":"n","hostIdentifier":"h","unixTime":"1412098650","epoch":"1","counter":"2","numerics":true,"columns":{"pid":97830,"load":0.5,"ok":true,"none":null},"action":"removed"}`
	batch := `{"diffResults":{"removed":[{"a":"1"}],"added":[{"a":"2"},{"a":"3"}]},"name":"b","hostIdentifier":"h","calendarTime":"x","unixTime":10,"epoch":0,"counter":5,"numerics":false}`
	emptyBatch := `{"diffResults":{"removed":[],"added":[]},"name":"e","unixTime":10,"epoch":0,"counter":0}`
	snapshot := `{"snapshot":[{"p":"1"},{"p":"2"}],"action":"snapshot","name":"s","hostIdentifier":"h","unixTime":11,"epoch":0,"counter":0,"numerics":false}`
	snapshotEvent := `{"name":"se","unixTime":12,"epoch":0,"counter":0,"columns":{"p":"3"},"action":"snapshot"}`
	asString, _ := json.Marshal(`{"name":"str","unixTime":13,"columns":{"a":"b"},"action":"added"}`)
	body := fmt.Sprintf(`{"node_key":"k","log_type":"result","data":[%s,%s,%s,%s,%s,%s,%s,42,null,[1],"not json"]}`,
		event, numeric, batch, emptyBatch, snapshot, snapshotEvent, asString)
	got, err := ParseLog([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	r := func(name, action string, unix, epoch, counter int64, cols map[string]string) *osaudit.ResultRow {
		return &osaudit.ResultRow{Name: name, Action: action, UnixTime: unix, Epoch: epoch, Counter: counter, Columns: cols}
	}
	first := r("pack/bar/processes", "added", 1412098650, 0, 3, map[string]string{"pid": "97830", "port": "22"})
	first.Decorations = map[string]string{"host_uuid": "U"}
	want := &LogBatch{NodeKey: "k", LogType: "result", Skipped: 4, Results: []*osaudit.ResultRow{
		first,
		r("n", "removed", 1412098650, 1, 2, map[string]string{"pid": "97830", "load": "0.5", "ok": "true", "none": ""}),
		r("b", "removed", 10, 0, 5, map[string]string{"a": "1"}),
		r("b", "added", 10, 0, 5, map[string]string{"a": "2"}),
		r("b", "added", 10, 0, 5, map[string]string{"a": "3"}),
		r("s", "snapshot", 11, 0, 0, map[string]string{"p": "1"}),
		r("s", "snapshot", 11, 0, 0, map[string]string{"p": "2"}),
		r("se", "snapshot", 12, 0, 0, map[string]string{"p": "3"}),
		r("str", "added", 13, 0, 0, map[string]string{"a": "b"}),
	}}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("ParseLog (-got +want):\n%s", diff)
	}
}

func TestParseLogStatus(t *testing.T) {
	// Before 5.10 unixTime, severity and line were strings; since, numbers.
	body := `{"node_key":"k","log_type":"status","data":[
	 {"hostIdentifier":"h","calendarTime":"x","unixTime":"1700000000","severity":"1","filename":"scheduler.cpp","line":"83","message":"Executing scheduled query","version":"4.9.0"},
	 {"hostIdentifier":"h","calendarTime":"x","unixTime":1700000001,"severity":2,"filename":"config.cpp","line":123,"message":"m\u00e9","version":"5.23.1","decorations":{"a":"b"}},
	 {"unixTime":"","severity":"bad","line":-5,"message":"odd"},
	 {"unixTime":1.7e9,"severity":9,"line":1e12}]}`
	got, err := ParseLog([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := &LogBatch{NodeKey: "k", LogType: "status", Statuses: []*osaudit.StatusRow{
		{Time: time.Unix(1700000000, 0).UTC(), Severity: 1, Filename: "scheduler.cpp", Line: 83, Message: "Executing scheduled query", Version: "4.9.0"},
		{Time: time.Unix(1700000001, 0).UTC(), Severity: 2, Filename: "config.cpp", Line: 123, Message: "mé", Version: "5.23.1"},
		{Message: "odd"},
		{Time: time.Unix(1700000000, 0).UTC(), Severity: 3, Line: 1<<31 - 1},
	}}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("ParseLog (-got +want):\n%s", diff)
	}
}

// TestParseLogOsqueryBatch parses what osquery's tls logger sends at
// --logger_tls_max_lines=1024: 1024 event lines, as this package writes
// them.
func TestParseLogOsqueryBatch(t *testing.T) {
	h := ResultHeader{Name: "pack/bar/processes", HostIdentifier: "bar-host-1", Time: time.Unix(1700000000, 0), Decorations: map[string]string{"host_uuid": "U"}}
	var rows []Row
	for i := range 1024 {
		rows = append(rows, Row{"pid": fmt.Sprint(i), "name": "evil", "path": "/tmp/x", "cmdline": "a \"quoted\" \x01 arg"})
	}
	lines := h.EventLines(rows, nil)
	data := make([]json.RawMessage, len(lines))
	for i, l := range lines {
		data[i] = l
	}
	body, err := json.Marshal(LogRequest{NodeKey: "k", LogType: "result", Data: data})
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseLog(body)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Results) != 1024 || got.Skipped != 0 {
		t.Fatalf("got %d rows, %d skipped; want 1024, 0", len(got.Results), got.Skipped)
	}
	if diff := cmp.Diff(got.Results[1023].Columns, map[string]string(rows[1023])); diff != "" {
		t.Errorf("last row (-got +want):\n%s", diff)
	}
}

func TestParseDistributedWrite(t *testing.T) {
	tests := []struct {
		name string
		body string
		want *DistributedWrite
	}{
		{"osquery 5.8+", `{"node_key":"k","queries":{"q1":[{"a":"1"}],"q2":[]},"statuses":{"q1":0,"q2":1},"messages":{"q1":"","q2":"no such table: foo"},
		  "stats":{"q1":{"wall_time_ms":12,"user_time":4,"system_time":1,"memory":0}}}`,
			&DistributedWrite{NodeKey: "k", Queries: map[string][]map[string]string{"q1": {{"a": "1"}}, "q2": {}},
				Statuses: map[string]int{"q1": 0, "q2": 1}, Messages: map[string]string{"q1": "", "q2": "no such table: foo"},
				Stats: map[string]QueryStats{"q1": {WallTimeMs: 12, UserTime: 4, SystemTime: 1}}}},
		{"osquery 4.x: no messages, no stats", `{"node_key":"k","queries":{"q":[{"x":"y"}]},"statuses":{"q":0}}`,
			&DistributedWrite{NodeKey: "k", Queries: map[string][]map[string]string{"q": {{"x": "y"}}}, Statuses: map[string]int{"q": 0}}},
		{"string statuses, odd rows", `{"node_key":"k","queries":{"q":"","r":[{"n":5},7]},"statuses":{"q":"1","r":"0","s":"x","t":1e20},"messages":{"q":3},"stats":{"q":{"wall_time_ms":"7","memory":1.5}}}`,
			&DistributedWrite{NodeKey: "k", Queries: map[string][]map[string]string{"q": nil, "r": {{"n": "5"}}},
				Statuses: map[string]int{"q": 1, "r": 0, "s": 1, "t": 1}, Messages: map[string]string{"q": "3"},
				Stats: map[string]QueryStats{"q": {WallTimeMs: 7, Memory: 1}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDistributedWrite([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("ParseDistributedWrite (-got +want):\n%s", diff)
			}
		})
	}
}

func TestAppendDistributedRead(t *testing.T) {
	got := string(AppendDistributedRead(nil, map[string]string{"b": "SELECT 2", "a": "SELECT \"1\""}, nil))
	want := `{"queries":{"a":"SELECT \"1\"","b":"SELECT 2"},"discovery":{}}`
	if got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	var r DistributedReadResponse
	if err := json.Unmarshal([]byte(got), &r); err != nil || len(r.Queries) != 2 {
		t.Errorf("response does not round-trip: %v %v", r, err)
	}
}

func FuzzParseLog(f *testing.F) {
	f.Add([]byte(`{"node_key":"k","log_type":"result","data":[{"name":"a","columns":{"a":"b"},"action":"added","unixTime":1}]}`))
	f.Add([]byte(`{"node_key":"k","log_type":"result","data":[{"diffResults":{"added":[{"a":1}],"removed":[]},"name":"b"},{"snapshot":[{}],"action":"snapshot"}]}`))
	f.Add([]byte(`{"node_key":"k","log_type":"status","data":[{"unixTime":"1","severity":"0","line":"83"},{"unixTime":1,"severity":0,"line":83}]}`))
	f.Add([]byte(`{"log_type":"result","data":["{\"name\":\"x\"}"]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := ParseLog(body)
		if err != nil {
			return
		}
		for _, r := range b.Results {
			if r.Columns == nil {
				t.Fatalf("row without columns: %+v", r)
			}
		}
		for _, s := range b.Statuses {
			if s.Severity < 0 || s.Severity > 3 || s.Line < 0 {
				t.Fatalf("status out of range: %+v", s)
			}
		}
	})
}

func FuzzParseEnroll(f *testing.F) {
	f.Add([]byte(enrollBody))
	f.Add([]byte(`{"enroll_secret":1,"host_details":{"a":{"b":[1,{"c":null}]}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := ParseEnroll(body)
		if err != nil {
			return
		}
		if _, err := json.Marshal(req); err != nil {
			t.Fatalf("parsed request does not marshal: %v", err)
		}
	})
}

func FuzzParseDistributedWrite(f *testing.F) {
	f.Add([]byte(`{"node_key":"k","queries":{"q1":[{"a":"1"}],"q2":[]},"statuses":{"q1":0,"q2":"1"},"messages":{"q2":"e"},"stats":{"q1":{"wall_time_ms":1}}}`))
	f.Add([]byte(`{"queries":{"q":""},"statuses":{"q":"x"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		w, err := ParseDistributedWrite(body)
		if err != nil {
			return
		}
		if _, err := json.Marshal(w); err != nil {
			t.Fatalf("parsed write does not marshal: %v", err)
		}
	})
}

func BenchmarkParseLog(b *testing.B) {
	h := ResultHeader{Name: "pack/bar/processes", HostIdentifier: "bar-host-1", Time: time.Unix(1700000000, 0)}
	var rows []Row
	for i := range 20 {
		rows = append(rows, Row{"pid": fmt.Sprint(i), "name": "bash", "path": "/usr/bin/bash", "cmdline": "bash -l", "uid": "1000"})
	}
	lines := h.EventLines(rows, nil)
	data := make([]json.RawMessage, len(lines))
	for i, l := range lines {
		data[i] = l
	}
	body, _ := json.Marshal(LogRequest{NodeKey: "k", LogType: "result", Data: data})
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseLog(body); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzScanLog checks that ParseLog's fast path gives exactly what the
// general path gives, whenever it takes a body.
func FuzzScanLog(f *testing.F) {
	f.Add([]byte(`{"node_key":"k","log_type":"result","data":[{"name":"a","hostIdentifier":"h","calendarTime":"x","unixTime":1,"epoch":0,"counter":"2","numerics":false,"decorations":{"d":"e"},"columns":{"a":"b\u00e9\ud83d\ude00\ud800x","n":null},"action":"added"}]}`))
	f.Add([]byte(`{"node_key":"k","log_type":"result","data":[{"diffResults":{"added":[{"a":"1"},null],"removed":[]},"name":"b"},{"snapshot":[{}],"action":"snapshot"},{"action":"snapshot","columns":{}},7,null,[]]}`))
	f.Add([]byte(`{"node_key":null,"log_type":"status","data":[{"unixTime":"1","severity":"0","line":"83","message":"m\n\"q\""},{"unixTime":1.5e9,"severity":0,"line":83}]}`))
	f.Add([]byte("{\"log_type\":\"result\",\"data\":[{\"Name\":\"x\",\"columns\":{\"\xff\":\"\xc3\"}}]}"))
	f.Add([]byte(`{"log_type":"snapshot","data":null,"extra":{"a":[1,{"b":"}"}]}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if !json.Valid(body) || checkBounds(body) != nil {
			return
		}
		fast, ok := scanLog(body)
		if !ok {
			return
		}
		slow, err := parseLog(body)
		if err != nil {
			t.Fatalf("the fast path took a body the general path refuses (%v): %q", err, body)
		}
		if diff := cmp.Diff(fast, slow); diff != "" {
			t.Fatalf("fast and general paths differ on %q (-fast +general):\n%s", body, diff)
		}
	})
}

func BenchmarkParseLogGeneral(b *testing.B) {
	h := ResultHeader{Name: "pack/bar/processes", HostIdentifier: "bar-host-1", Time: time.Unix(1700000000, 0)}
	var rows []Row
	for i := range 20 {
		rows = append(rows, Row{"pid": fmt.Sprint(i), "name": "bash", "path": "/usr/bin/bash", "cmdline": "bash -l", "uid": "1000"})
	}
	lines := h.EventLines(rows, nil)
	data := make([]json.RawMessage, len(lines))
	for i, l := range lines {
		data[i] = l
	}
	body, _ := json.Marshal(LogRequest{NodeKey: "k", LogType: "result", Data: data})
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseLog(body); err != nil {
			b.Fatal(err)
		}
	}
}
