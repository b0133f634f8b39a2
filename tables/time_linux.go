package tables

import (
	"fmt"
	"io/fs"
	"path"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/osaudit/osaudit/hostfs"
	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("time", func() *table.Table {
		return &table.Table{
			Name:        "time",
			Description: "Track current date and time in UTC.",
			Platforms:   []string{"linux"},
			Attributes:  table.Utility,
			Columns: []table.Column{
				table.TextColumn("weekday"),
				table.IntegerColumn("year"),
				table.IntegerColumn("month"),
				table.IntegerColumn("day"),
				table.IntegerColumn("hour"),
				table.IntegerColumn("minutes"),
				table.IntegerColumn("seconds"),
				table.TextColumn("timezone"),
				table.TextColumn("local_timezone"),
				table.IntegerColumn("unix_time"),
				table.TextColumn("timestamp"),
				table.TextColumn("datetime").WithAliases("date_time"),
				table.TextColumn("iso_8601"),
			},
			Generate: genTime,
		}
	})
}

// genTime reports the root's clock in UTC as osquery does. local_timezone
// is the abbreviation strftime's %Z gives for the local zone at that
// instant ("CET", "UTC"); osquery writes it into a 5-byte buffer, so a
// longer abbreviation (such as "+0530") is reported as "UTC", as osquery
// does when strftime leaves nothing. The local zone is time.Local on the
// live root, and on a fixture root the host's /etc/localtime (a TZif file)
// or the zone /etc/timezone names under /usr/share/zoneinfo.
func genTime(q *table.Query, yield func(table.Row) bool) error {
	root := q.Root()
	now := root.Now()
	utc := now.UTC()
	r := q.NewRow()
	r.Set("weekday", table.Text(utc.Weekday().String()))
	r.Set("year", table.Int(int64(utc.Year())))
	r.Set("month", table.Int(int64(utc.Month())))
	r.Set("day", table.Int(int64(utc.Day())))
	r.Set("hour", table.Int(int64(utc.Hour())))
	r.Set("minutes", table.Int(int64(utc.Minute())))
	r.Set("seconds", table.Int(int64(utc.Second())))
	r.Set("timezone", table.Text("UTC"))
	if q.Used("local_timezone") {
		loc, err := hostLocation(root)
		if err != nil {
			q.Warn("cannot read the local time zone; reporting UTC", "err", err)
			loc = time.UTC
		}
		r.Set("local_timezone", table.Text(zoneAbbrev(now, loc)))
	}
	r.Set("unix_time", table.Int(utc.Unix()))
	r.Set("timestamp", table.Text(asctimeUTC(utc)))
	iso := utc.Format("2006-01-02T15:04:05Z")
	r.Set("datetime", table.Text(iso))
	r.Set("iso_8601", table.Text(iso))
	yield(r)
	return nil
}

// asctimeUTC formats t as asctime(3) does, without the newline, followed by
// " UTC": "Thu Jan 15 10:00:00 2026 UTC".
func asctimeUTC(t time.Time) string {
	return fmt.Sprintf("%.3s %.3s%3d %.2d:%.2d:%.2d %d UTC",
		t.Weekday().String(), t.Month().String(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Year())
}

// zoneAbbrev returns the zone abbreviation at t, or "UTC" when it is empty
// or longer than the 4 characters osquery's buffer holds.
func zoneAbbrev(t time.Time, loc *time.Location) string {
	name, _ := t.In(loc).Zone()
	if name == "" || len(name) > 4 {
		return "UTC"
	}
	return name
}

// hostLocation returns the host's local time zone.
func hostLocation(root *hostfs.Root) (*time.Location, error) {
	if root.IsLive() {
		return time.Local, nil
	}
	// /etc/localtime is a TZif file or, usually, a symlink into
	// /usr/share/zoneinfo; the link is resolved inside the root.
	localtime := "/etc/localtime"
	if fi, err := root.Lstat(localtime); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		target, err := root.Readlink(localtime)
		if err != nil {
			return nil, err
		}
		if !path.IsAbs(target) {
			target = path.Join("/etc", target)
		}
		localtime = path.Clean(target)
	}
	if tz, err := root.ReadFileLimit(localtime, 1<<20); err == nil {
		return time.LoadLocationFromTZData("Local", tz)
	}
	name, err := sysReadAttr(root, "/etc/timezone")
	if err != nil {
		return time.UTC, nil // no zone configured: the C library uses UTC
	}
	if name == "" || !utf8.ValidString(name) || strings.Contains(name, "..") || strings.HasPrefix(name, "/") {
		return nil, fmt.Errorf("/etc/timezone: bad zone name %q", name)
	}
	tz, err := root.ReadFileLimit("/usr/share/zoneinfo/"+name, 1<<20)
	if err != nil {
		return nil, err
	}
	return time.LoadLocationFromTZData(name, tz)
}
