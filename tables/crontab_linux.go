package tables

import (
	"errors"
	"io/fs"
	"path"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("crontab", func() *table.Table {
		return &table.Table{
			Name:        "crontab",
			Description: "Line parsed values from system and user cron/tab.",
			Platforms:   []string{"linux"},
			Attributes:  table.Cacheable,
			Columns: []table.Column{
				table.TextColumn("event"),
				table.TextColumn("minute"),
				table.TextColumn("hour"),
				table.TextColumn("day_of_month"),
				table.TextColumn("month"),
				table.TextColumn("day_of_week"),
				table.TextColumn("command"),
				table.TextColumn("path"),
				table.IntegerColumn("pid_with_namespace", table.Additional, table.Hidden),
			},
			Generate: genCrontab,
		}
	})
}

// crontabDirs are the directories whose files osquery reads after
// /etc/crontab, in its order.
var crontabDirs = []string{
	"/etc/cron.d",              // system
	"/var/at/tabs",             // macOS
	"/var/spool/cron",          // CentOS users
	"/var/spool/cron/crontabs", // Debian users
}

// crontabEntry is one job line. An "@" line has an event and no time
// fields; a time line has the five fields and no event.
type crontabEntry struct {
	event, minute, hour, dayOfMonth, month, dayOfWeek string
	command                                           string
}

// crontabFields names crontabEntry's time fields in column order.
var crontabFields = []string{"minute", "hour", "day_of_month", "month", "day_of_week"}

func genCrontab(q *table.Query, yield func(table.Row) bool) error {
	if etcInNamespace(q) {
		return nil
	}
	files := crontabFiles(q)
	unreadable := 0
	for _, file := range files {
		content, err := etcReadText(q.Root(), file)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				unreadable++
			}
			continue
		}
		entries, skipped := parseCrontab(content)
		if skipped > 0 {
			q.Warn("skipped lines that are not UTF-8", "file", file, "lines", skipped)
		}
		for _, e := range entries {
			r := q.NewRow()
			if e.event != "" {
				r.Set("event", table.Text(e.event))
			} else {
				for i, v := range []string{e.minute, e.hour, e.dayOfMonth, e.month, e.dayOfWeek} {
					r.Set(crontabFields[i], table.Text(v))
				}
			}
			r.Set("command", table.Text(e.command))
			r.Set("path", table.Text(file))
			r.Set("pid_with_namespace", table.Int(0))
			if !yield(r) {
				return nil
			}
		}
	}
	if unreadable > 0 {
		q.Warn("cannot read some crontabs (not root?)", "files", unreadable)
	}
	return nil
}

// crontabFiles lists /etc/crontab and the regular files (symlinks
// followed) of the cron directories, each directory's files sorted. Like
// the glob(3) osquery lists them with, it skips names starting with ".".
func crontabFiles(q *table.Query) []string {
	root := q.Root()
	files := []string{"/etc/crontab"}
	for _, dir := range crontabDirs {
		entries, err := root.ReadDir(dir)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				q.Warn("cannot list cron directory", "dir", dir, "err", err)
			}
			continue
		}
		var names []string
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".") {
				continue
			}
			p := path.Join(dir, e.Name())
			if fi, err := root.Stat(p); err == nil && fi.Mode().IsRegular() {
				names = append(names, p)
			}
		}
		sort.Strings(names)
		files = append(files, names...)
	}
	return files
}

// parseCrontab parses crontab(5) text as osquery does. Blank lines and
// lines starting with "#" are skipped; the rest are split at spaces and
// tabs. A first field starting with "@" is the event and the next fields
// the command; otherwise five time fields precede the command. Lines
// without a command (variable assignments such as SHELL=/bin/sh, short
// malformed lines, a bare "@reboot") are skipped, as osquery does. The
// user field of /etc/crontab and /etc/cron.d lines stays at the start of
// the command, as in osquery. Lines that are not UTF-8 are skipped and
// counted.
func parseCrontab(content string) (entries []crontabEntry, skipped int) {
	for _, line := range etcLines(content) {
		if line == "" || line[0] == '#' {
			continue
		}
		if !utf8.ValidString(line) {
			skipped++
			continue
		}
		f := etcSplit(line, " \t")
		var e crontabEntry
		index := 0
		for _, v := range f {
			switch {
			case index == 0 && v != "" && v[0] == '@':
				e.event = v
				index = 5
				continue
			case index == 0:
				e.minute = v
			case index == 1:
				e.hour = v
			case index == 2:
				e.dayOfMonth = v
			case index == 3:
				e.month = v
			case index == 4:
				e.dayOfWeek = v
			case index == 5:
				e.command = v
			default:
				e.command += " " + v
			}
			index++
		}
		if e.command == "" {
			continue
		}
		entries = append(entries, e)
	}
	return entries, skipped
}
