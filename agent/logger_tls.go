package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/osaudit/osaudit/osquery"
	"github.com/osaudit/osaudit/state"
)

func init() {
	registerLogger("tls", func(d *Daemon) (Logger, error) {
		if d.remote == nil {
			return nil, fmt.Errorf("the tls logger needs --tls_hostname")
		}
		if d.opts.LoggerTLSEndpoint == "" {
			return nil, fmt.Errorf("the tls logger needs --logger_tls_endpoint")
		}
		return &tlsLogger{d: d}, nil
	})
}

// tlsLogger sends buffered lines to the manager's log endpoint, results and
// status lines in separate requests of at most --logger_tls_max_lines, as
// osquery's buffered TLS logger does. It runs on its own schedule
// (--logger_tls_period) so a slow manager never holds up the scheduler;
// while the manager is away the lines stay in the buffer.
type tlsLogger struct {
	d        *Daemon
	failures int
}

// asyncLogger is a logger that the daemon drains on its own goroutine.
type asyncLogger interface {
	Logger
	// next is how long to wait before the next delivery, given whether the
	// last one failed.
	next(failed bool) time.Duration
}

func (l *tlsLogger) Name() string { return "tls" }
func (l *tlsLogger) Close() error { return nil }

func (l *tlsLogger) Recover(_ context.Context, cur state.Cursor) (state.Cursor, error) {
	return cur, nil
}

// next backs off as osquery does: period × n², capped at
// --logger_tls_backoff_max.
func (l *tlsLogger) next(failed bool) time.Duration {
	period := seconds(max(l.d.opts.LoggerTLSPeriod, 1))
	if !failed {
		l.failures = 0
		return period
	}
	l.failures++
	wait := period * time.Duration(l.failures*l.failures)
	if limit := seconds(l.d.opts.LoggerTLSBackoffMax); limit > 0 {
		wait = min(wait, limit)
	} else {
		wait = period
	}
	return jitter(wait)
}

func (l *tlsLogger) Deliver(ctx context.Context, cur state.Cursor, entries []state.Entry) (state.Cursor, error) {
	o := l.d.opts
	maxLines := int(max(o.LoggerTLSMaxLines, 1))
	var results, statuses []json.RawMessage
	for _, e := range entries {
		if uint64(len(e.Data)) > o.LoggerTLSMaxLinesize {
			// osquery drops an oversized line with a warning.
			l.d.deps.Stderr.Write(osquery.StatusLine{Time: l.d.deps.Now(), Severity: osquery.SeverityWarning, Filename: "logger_tls.go",
				Message: fmt.Sprintf("dropping a %d-byte log line over --logger_tls_max_linesize", len(e.Data))}.Glog(0))
			continue
		}
		if e.Kind == state.KindStatus {
			statuses = append(statuses, e.Data)
		} else {
			results = append(results, e.Data)
		}
	}
	for _, batch := range []struct {
		kind  string
		lines []json.RawMessage
	}{{"result", results}, {"status", statuses}} {
		for start := 0; start < len(batch.lines); start += maxLines {
			lines := batch.lines[start:min(start+maxLines, len(batch.lines))]
			body := map[string]any{"log_type": batch.kind, "data": lines}
			if err := l.send(ctx, body); err != nil {
				return cur, err
			}
		}
	}
	cur.ID = entries[len(entries)-1].ID
	return cur, nil
}

func (l *tlsLogger) send(ctx context.Context, body map[string]any) error {
	r := l.d.remote
	for try := 0; try < 2; try++ {
		key, err := r.key(ctx)
		if err != nil {
			return err
		}
		body["node_key"] = key
		err = r.doCompressed(ctx, l.d.opts.LoggerTLSEndpoint, key, body, nil, l.d.opts.LoggerTLSCompress)
		if err == errNodeInvalid {
			r.forget(ctx, key)
			continue
		}
		return err
	}
	return errNodeInvalid
}

// runAsyncLogger drains an async logger until ctx ends.
func (d *Daemon) runAsyncLogger(ctx context.Context, l asyncLogger) {
	wait := l.next(false)
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = l.next(!d.drainLogger(ctx, l))
	}
}
