package osquery

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseConfig(t *testing.T) {
	src := `// a config as osqueryd takes it
# with both comment styles
{
  "options": {"host_identifier": "hostname", "schedule_splay_percent": 10, "logger_numerics": true},
  "schedule": {
    "procs": {"query": "SELECT pid \
FROM processes", "interval": "60"},
    "snap": {"query": "SELECT 1", "interval": 3600, "snapshot": "true", "removed": false},
    "bad_interval": {"query": "SELECT 1", "interval": 0},
    "too_long": {"query": "SELECT 1", "interval": 604801},
    "queryepoch": {"query": "SELECT 1", "interval": 10}
  },
  "packs": {
    "ir": {"platform": "linux", "version": "1.4.5", "shard": 50, "discovery": ["SELECT 1"],
           "queries": {"users": {"query": "SELECT * FROM users", "interval": 10, "denylist": false, "description": "d", "value": "v"}}}
  },
  "decorators": {"load": ["SELECT uuid AS host_uuid FROM system_info"], "always": ["SELECT user AS username FROM logged_in_users LIMIT 1"], "interval": {"3600": ["SELECT total_seconds AS uptime FROM uptime"], "61": ["SELECT 1"]}},
  "file_paths": {"etc": ["/etc/%%"]},
  "exclude_paths": {"etc": ["/etc/ssl/%%"]},
  "events": {"disable_subscribers": ["yara_events"]},
  "mystery": 1
}`
	c, err := ParseConfig("osquery.conf", []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Schedule["procs"]; got.Query != "SELECT pid FROM processes" || got.Interval != 60 || !got.Removed || !got.Denylist {
		t.Errorf("procs = %+v", got)
	}
	if got := c.Schedule["snap"]; !got.Snapshot || got.Removed {
		t.Errorf("snap = %+v", got)
	}
	for _, dropped := range []string{"bad_interval", "too_long", "queryepoch"} {
		if _, ok := c.Schedule[dropped]; ok {
			t.Errorf("%s was not dropped", dropped)
		}
	}
	p := c.Packs["ir"]
	if p.Platform != "linux" || p.Version != "1.4.5" || p.Shard != 50 || len(p.Discovery) != 1 || p.Queries["users"].Denylist || p.Queries["users"].Description != "d" {
		t.Errorf("pack = %+v", p)
	}
	if diff := cmp.Diff(map[string]string{"host_identifier": "hostname", "schedule_splay_percent": "10", "logger_numerics": "true"}, c.Options); diff != "" {
		t.Errorf("options: %s", diff)
	}
	if len(c.Decorators.Load) != 1 || len(c.Decorators.Always) != 1 || len(c.Decorators.Interval[3600]) != 1 || c.Decorators.Interval[61] != nil {
		t.Errorf("decorators = %+v", c.Decorators)
	}
	if c.FilePaths["etc"][0] != "/etc/%%" || c.ExcludePaths["etc"][0] != "/etc/ssl/%%" || c.Events.DisableSubscribers[0] != "yara_events" {
		t.Errorf("paths/events: %+v %+v %+v", c.FilePaths, c.ExcludePaths, c.Events)
	}
	warnings := strings.Join(c.Warnings, "\n")
	for _, w := range []string{"bad_interval", "too_long", "queryepoch", `"mystery"`, "61"} {
		if !strings.Contains(warnings, w) {
			t.Errorf("no warning about %s in:\n%s", w, warnings)
		}
	}
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"syntax", "{\n  \"schedule\": {\n    \"a\": {\"query\": \"x\",}\n  }\n}", "osquery.conf:3:"},
		{"trailing garbage", "{} {}", "data after"},
		{"comment shifts lines", "// one\n// two\n{\n  \"options\": [1, 2,]\n}", "osquery.conf:4:"},
		{"inline comment is not syntax", "{\"options\": {} // no\n}", "invalid JSON"},
		{"wrong type", `{"schedule": {"a": {"query": 5}}}`, "query: want a non-empty SQL string"},
		{"schedule not an object", `{"schedule": []}`, "want an object of queries"},
		{"bool", `{"schedule": {"a": {"query": "x", "snapshot": "maybe"}}}`, "snapshot: want a boolean"},
		{"empty", "  \n// nothing\n", "empty config"},
		{"not an object", "[1]", "want"},
		{"too large", "{\"options\": {\"x\": \"" + strings.Repeat("a", MaxConfigSize) + "\"}}", "the limit is"},
		{"too deep", strings.Repeat(`{"a":`, 40) + "1" + strings.Repeat("}", 40), "deeper than 32"},
	}
	for _, tt := range tests {
		_, err := ParseConfig("osquery.conf", []byte(tt.src), nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want it to contain %q", tt.name, err, tt.want)
		}
		var ce *Error
		if err != nil && !errors.As(err, &ce) {
			t.Errorf("%s: %T is not *osquery.Error", tt.name, err)
		}
	}
}

func TestPackFiles(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "ir.conf"), []byte("// pack\n{\"queries\": {\"q\": {\"query\": \"SELECT 1\", \"interval\": \"10\"}}}"), 0o644)
	os.WriteFile(filepath.Join(dir, "hw.conf"), []byte(`{"platform": "posix", "queries": {}}`), 0o644)
	os.WriteFile(filepath.Join(dir, "broken.json"), []byte(`{"queries": `), 0o644)
	read := os.ReadFile
	c, err := ParseConfig(filepath.Join(dir, "osquery.conf"), []byte(`{"packs": {"ir": "ir.conf", "missing": "/no/such.conf"}}`), read)
	if err != nil {
		t.Fatal(err)
	}
	if c.Packs["ir"].Queries["q"].Interval != 10 {
		t.Errorf("packs = %+v", c.Packs)
	}
	if _, ok := c.Packs["missing"]; ok || !strings.Contains(strings.Join(c.Warnings, ""), "/no/such.conf") {
		t.Errorf("missing pack: %+v %v", c.Packs, c.Warnings)
	}
	c, err = ParseConfig(filepath.Join(dir, "osquery.conf"), []byte(`{"packs": {"*": "`+dir+`/*.conf"}}`), read)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Packs["hw"]; !ok || len(c.Packs) != 2 {
		t.Errorf("glob packs = %v", c.Packs)
	}
	_, err = ParseConfig(filepath.Join(dir, "osquery.conf"), []byte(`{"packs": {"b": "broken.json"}}`), read)
	if err == nil || !strings.Contains(err.Error(), "broken.json") {
		t.Errorf("broken pack: %v", err)
	}
}

func TestPlatformShardVersion(t *testing.T) {
	for _, tt := range []struct {
		platform, goos string
		want           bool
	}{
		{"", "linux", true}, {"linux", "linux", true}, {"ubuntu", "linux", true}, {"centos", "linux", true},
		{"posix", "linux", true}, {"posix", "darwin", true}, {"posix", "windows", false}, {"darwin", "linux", false},
		{"windows,darwin", "windows", true}, {"windows,darwin", "linux", false}, {"gentoo", "linux", false},
		{"any", "windows", true}, {"all", "darwin", true},
	} {
		if got := PlatformMatches(tt.platform, tt.goos); got != tt.want {
			t.Errorf("PlatformMatches(%q, %s) = %v", tt.platform, tt.goos, got)
		}
	}
	if !VersionAtLeast(CompatVersion, "1.4.5") || VersionAtLeast(CompatVersion, "6.0") || !VersionAtLeast("5.23.1", "5.23.1") || !VersionAtLeast("x", "") {
		t.Error("VersionAtLeast")
	}
	s := HostShard("web01")
	if s < 0 || s > 100 || !ShardMatches(0, "web01") || !ShardMatches(100, "web01") || ShardMatches(s-1, "web01") && s > 0 {
		t.Errorf("shard %d", s)
	}
	if PackQueryName("/", "p", "q") != "pack/p/q" {
		t.Error("PackQueryName")
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(`{"schedule": {"a": {"query": "SELECT 1", "interval": 10}}}`))
	f.Add([]byte("// c\n{\"packs\": {\"p\": {\"queries\": {}}}}\\\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ParseConfig("f", b, nil)
	})
}
