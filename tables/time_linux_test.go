package tables

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestAsctimeUTC(t *testing.T) {
	tests := map[time.Time]string{
		time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC):    "Thu Jan 15 10:00:00 2026 UTC",
		time.Date(2011, 9, 1, 7, 5, 3, 0, time.UTC):      "Thu Sep  1 07:05:03 2011 UTC",
		time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC):      "Thu Jan  1 00:00:00 1970 UTC",
		time.Date(2024, 12, 31, 23, 59, 59, 0, time.UTC): "Tue Dec 31 23:59:59 2024 UTC",
	}
	for in, want := range tests {
		if got := asctimeUTC(in); got != want {
			t.Errorf("asctimeUTC(%v) = %q, want %q", in, got, want)
		}
	}
}

func TestZoneAbbrev(t *testing.T) {
	at := time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		loc  *time.Location
		want string
	}{
		{time.UTC, "UTC"},
		{time.FixedZone("CET", 3600), "CET"},
		{time.FixedZone("+0530", 19800), "UTC"}, // longer than osquery's buffer
		{time.FixedZone("", 0), "UTC"},
	}
	for _, tt := range tests {
		if got := zoneAbbrev(at, tt.loc); got != tt.want {
			t.Errorf("zoneAbbrev(%v) = %q, want %q", tt.loc, got, tt.want)
		}
	}
}

func TestTimeLocalZoneSources(t *testing.T) {
	berlin, err := os.ReadFile(filepath.Join("testdata", "hosts", "debian12", "usr", "share", "zoneinfo", "Europe", "Berlin"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"localtime file", map[string]string{"etc/localtime": string(berlin)}, "CET"},
		{"timezone name", map[string]string{"etc/timezone": "Europe/Berlin\n", "usr/share/zoneinfo/Europe/Berlin": string(berlin)}, "CET"},
		{"nothing configured", map[string]string{}, "UTC"},
		{"bad name", map[string]string{"etc/timezone": "../../etc/passwd\n"}, "UTC"},
		{"corrupt tzif", map[string]string{"etc/localtime": "not a tzif file"}, "UTC"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := sysQuery(t, sysRoot(sysWriteTree(t, tt.files)), "SELECT local_timezone, timezone, unix_time FROM time")
			want := []map[string]any{{"local_timezone": tt.want, "timezone": "UTC", "unix_time": int64(1768471200)}}
			if diff := cmp.Diff(want, rows); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestTimeDateTimeAlias(t *testing.T) {
	rows := sysQuery(t, sysRoot(t.TempDir()), "SELECT date_time, datetime, weekday FROM time")
	want := []map[string]any{{"date_time": "2026-01-15T10:00:00Z", "datetime": "2026-01-15T10:00:00Z", "weekday": "Thursday"}}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
