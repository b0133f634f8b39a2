package tables

import (
	"bufio"
	"io"
	"regexp"
	"sync"

	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("shell_history", func() *table.Table {
		return &table.Table{
			Name:        "shell_history",
			Description: "A line-delimited (command) table of per-user .*_history data.",
			Platforms:   []string{"linux"},
			Attributes:  table.UserData,
			Columns: []table.Column{
				table.BigIntColumn("uid", table.Additional, table.Optimized),
				table.IntegerColumn("time"),
				table.TextColumn("command"),
				table.TextColumn("history_file"),
			},
			Generate: genShellHistory,
		}
	})
}

// shellHistoryFiles are the history files osquery reads in each home, in
// its order; ~/.bash_sessions/*.history (macOS Terminal) follow.
var shellHistoryFiles = []string{".bash_history", ".zsh_history", ".zhistory", ".history", ".sh_history"}

// shellHistoryMaxLine bounds one history line; a longer line is cut.
const shellHistoryMaxLine = 1 << 20

var (
	// bashHistoryTime is a HISTTIMEFORMAT timestamp line: "#1700000000".
	bashHistoryTime = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^#([0-9]+)$`) })
	// zshHistoryEntry is zsh's EXTENDED_HISTORY: ": <start>:<elapsed>;<cmd>".
	// osquery's ECMAScript "." matches neither \n nor \r.
	zshHistoryEntry = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^: {0,10}([0-9]{1,11}):[0-9]+;([^\r\n]*)$`) })
)

// shellHistoryEntry is one command; Time is the timestamp's digits, "0"
// when the line has none.
type shellHistoryEntry struct {
	Time, Command string
}

func genShellHistory(q *table.Query, yield func(table.Row) bool) error {
	for _, u := range acctUsers(q) {
		files := make([]string, 0, len(shellHistoryFiles))
		for _, f := range shellHistoryFiles {
			files = append(files, acctHomeFile(u.Home, f))
		}
		sessions, _ := q.Root().Glob(acctHomeFile(u.Home, ".bash_sessions/*.history"))
		files = append(files, sessions...)
		for _, file := range files {
			if !shellHistoryFromFile(q, u.UID, file, yield) {
				return nil
			}
		}
	}
	return nil
}

// shellHistoryFromFile yields the commands of one history file; it returns
// false when yield asked to stop.
func shellHistoryFromFile(q *table.Query, uid int64, file string, yield func(table.Row) bool) bool {
	f, err := q.Root().Open(file)
	if err != nil {
		if !acctMissing(err) {
			q.Warn("cannot read shell history", "file", file, "err", err)
		}
		return true
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && (fi.IsDir() || fi.Size() > acctReadMax) {
		if !fi.IsDir() {
			q.Warn("shell history larger than the read limit; skipped", "file", file, "size", fi.Size())
		}
		return true
	}
	ok := true
	err = parseShellHistory(f, func(e shellHistoryEntry) bool {
		r := q.NewRow()
		r.Set("uid", table.Int(uid))
		r.Set("time", acctInteger(e.Time))
		r.Set("command", table.Text(e.Command))
		r.Set("history_file", table.Text(file))
		ok = yield(r)
		return ok
	})
	if err != nil {
		q.Warn("cannot read shell history", "file", file, "err", err)
	}
	return ok
}

// parseShellHistory reads a bash, zsh or sh history as osquery does, one
// entry per line (so every line, blank ones included, is an entry). A bash
// timestamp line "#<digits>" gives the time of the line after it, whatever
// that line is. A zsh extended line ": <time>:<elapsed>;<command>" gives its
// own time and command. Other lines are commands with time 0; zsh's
// multi-line commands are one entry per line.
func parseShellHistory(r io.Reader, fn func(shellHistoryEntry) bool) error {
	br := bufio.NewReaderSize(r, 64<<10)
	pending := ""
	for {
		line, err := readHistoryLine(br)
		if len(line) > 0 || err == nil {
			e, emit := shellHistoryLine(line, &pending)
			if emit && !fn(e) {
				return nil
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// readHistoryLine returns the next line without its "\n"; at the end of the
// input it returns the unterminated rest (possibly "") and io.EOF. A line
// longer than shellHistoryMaxLine is cut there; the rest is dropped.
func readHistoryLine(br *bufio.Reader) (string, error) {
	var buf []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(buf)+len(chunk) <= shellHistoryMaxLine {
			buf = append(buf, chunk...)
		} else if len(buf) < shellHistoryMaxLine {
			buf = append(buf, chunk[:shellHistoryMaxLine-len(buf)]...)
		}
		switch err {
		case bufio.ErrBufferFull:
			continue
		case nil:
			if n := len(buf); n > 0 && buf[n-1] == '\n' {
				buf = buf[:n-1]
			}
			return string(buf), nil
		default:
			return string(buf), err
		}
	}
}

// shellHistoryLine interprets one line; pending holds a bash timestamp
// waiting for its command.
func shellHistoryLine(line string, pending *string) (shellHistoryEntry, bool) {
	if *pending == "" {
		if m := bashHistoryTime().FindStringSubmatch(line); m != nil {
			*pending = m[1]
			return shellHistoryEntry{}, false
		}
	}
	if *pending != "" {
		e := shellHistoryEntry{Time: *pending, Command: line}
		*pending = ""
		return e, true
	}
	if m := zshHistoryEntry().FindStringSubmatch(line); m != nil {
		return shellHistoryEntry{Time: m[1], Command: m[2]}, true
	}
	return shellHistoryEntry{Time: "0", Command: line}, true
}
