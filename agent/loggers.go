package agent

import (
	"context"
	"fmt"
	"sort"

	"github.com/osaudit/osaudit/osquery"
	"github.com/osaudit/osaudit/state"
)

// Logger delivers buffered lines somewhere: files, stdout, a manager.
// Deliver gets the lines after its cursor, in order, and returns the cursor
// to save once they are delivered; what it returns is saved only after it
// returns, so a crash in between delivers those lines again (at least
// once). A logger that records file sizes in the cursor and truncates to
// them in Recover delivers each line exactly once.
type Logger interface {
	Name() string
	// Recover undoes what a crash left half-done and returns the cursor to
	// save before any delivery.
	Recover(ctx context.Context, cur state.Cursor) (state.Cursor, error)
	Deliver(ctx context.Context, cur state.Cursor, entries []state.Entry) (state.Cursor, error)
	Close() error
}

// loggerFactory builds a logger from the daemon's settings.
type loggerFactory func(d *Daemon) (Logger, error)

// loggerPlugins are the --logger_plugin names; each logger file registers
// itself.
var loggerPlugins = map[string]loggerFactory{}

func registerLogger(name string, f loggerFactory) { loggerPlugins[name] = f }

// drainBatch bounds how many lines a logger takes at a time.
const drainBatch = 1024

func (d *Daemon) openLoggers(ctx context.Context) error {
	names := splitList(d.opts.LoggerPlugin)
	if len(names) == 0 {
		names = []string{"filesystem"}
	}
	for _, name := range names {
		f, ok := loggerPlugins[name]
		if !ok {
			known := make([]string, 0, len(loggerPlugins))
			for k := range loggerPlugins {
				known = append(known, k)
			}
			sort.Strings(known)
			return fmt.Errorf("--logger_plugin: unknown logger %q (known: %v)", name, known)
		}
		l, err := f(d)
		if err != nil {
			return fmt.Errorf("logger %s: %w", name, err)
		}
		cur, err := d.db.Cursor(ctx, l.Name())
		if err != nil {
			return err
		}
		cur, err = l.Recover(ctx, cur)
		if err != nil {
			return fmt.Errorf("logger %s: %w", name, err)
		}
		if err := d.db.SetCursor(ctx, l.Name(), cur); err != nil {
			return err
		}
		d.loggers = append(d.loggers, l)
	}
	return nil
}

// drain hands every synchronous logger the lines past its cursor, then
// drops from the buffer what all loggers have delivered. Asynchronous
// loggers (tls) drain on their own goroutines.
func (d *Daemon) drain(ctx context.Context) {
	for _, l := range d.loggers {
		if _, async := l.(asyncLogger); !async {
			d.drainLogger(ctx, l)
		}
	}
	d.trim(ctx)
}

// drainLogger delivers what lies past one logger's cursor, in batches. A
// logger that fails keeps its lines in the buffer for the next try; the
// failure goes to stderr only, so that a broken logger does not feed
// itself status lines. It reports whether everything was delivered.
func (d *Daemon) drainLogger(ctx context.Context, l Logger) bool {
	cur, err := d.db.Cursor(ctx, l.Name())
	if err != nil {
		d.loggerFailed(l, err)
		return false
	}
	for ctx.Err() == nil {
		entries, err := d.db.Pending(ctx, cur.ID, drainBatch)
		if err != nil {
			d.loggerFailed(l, err)
			return false
		}
		if len(entries) == 0 {
			return true
		}
		next, err := l.Deliver(ctx, cur, entries)
		if err != nil {
			d.loggerFailed(l, err)
			return false
		}
		d.fault("after-write")
		if err := d.db.SetCursor(ctx, l.Name(), next); err != nil {
			d.loggerFailed(l, err)
			return false
		}
		cur = next
	}
	return false
}

// trim drops the buffered lines every logger has delivered.
func (d *Daemon) trim(ctx context.Context) {
	names := make([]string, 0, len(d.loggers))
	for _, l := range d.loggers {
		names = append(names, l.Name())
	}
	if err := d.db.Trim(ctx, names); err != nil {
		fmt.Fprintf(d.deps.Stderr, "osaudit: buffer: %v\n", err)
	}
}

func (d *Daemon) loggerFailed(l Logger, err error) {
	s := osquery.StatusLine{Time: d.deps.Now(), Severity: osquery.SeverityError, Filename: "loggers.go", Message: fmt.Sprintf("logger %s: %v (lines stay buffered)", l.Name(), err)}
	d.deps.Stderr.Write(s.Glog(0))
}

// stdoutLogger writes result, snapshot and status lines to stdout.
type stdoutLogger struct{ d *Daemon }

func init() {
	registerLogger("stdout", func(d *Daemon) (Logger, error) { return &stdoutLogger{d: d}, nil })
}

func (l *stdoutLogger) Name() string { return "stdout" }
func (l *stdoutLogger) Recover(_ context.Context, cur state.Cursor) (state.Cursor, error) {
	return cur, nil
}
func (l *stdoutLogger) Close() error { return nil }

func (l *stdoutLogger) Deliver(_ context.Context, cur state.Cursor, entries []state.Entry) (state.Cursor, error) {
	buf := make([]byte, 0, 4096)
	for _, e := range entries {
		buf = append(buf, e.Data...)
		buf = append(buf, '\n')
	}
	if _, err := l.d.deps.Stdout.Write(buf); err != nil {
		return cur, err
	}
	cur.ID = entries[len(entries)-1].ID
	return cur, nil
}
