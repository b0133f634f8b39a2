package agent

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/osaudit/osaudit/osquery"
	"github.com/osaudit/osaudit/state"
)

// Files of the filesystem logger, under --logger_path, as osqueryd names
// them.
const (
	resultsFile   = "osqueryd.results.log"
	snapshotsFile = "osqueryd.snapshots.log"
)

func init() {
	registerLogger("filesystem", newFilesystemLogger)
}

// filesystemLogger writes osqueryd.results.log and osqueryd.snapshots.log
// (one JSON line each), and status lines in glog's format to
// osqueryd.INFO/WARNING/ERROR.<time>.<pid> with osqueryd.INFO and friends
// linking to the newest. It records each file's size in its cursor and
// truncates to it on recovery, so a crash between writing and saving the
// cursor does not write a line twice.
type filesystemLogger struct {
	dir         string
	rotate      bool
	rotateSize  int64
	rotateFiles int
	files       map[string]*os.File // results and snapshots, by name
	status      map[osquery.Severity]*os.File
	started     time.Time
}

func newFilesystemLogger(d *Daemon) (Logger, error) {
	if err := os.MkdirAll(d.opts.LoggerPath, 0o750); err != nil {
		return nil, fmt.Errorf("--logger_path: %w", err)
	}
	return &filesystemLogger{
		dir:         d.opts.LoggerPath,
		rotate:      d.opts.LoggerRotate,
		rotateSize:  int64(d.opts.LoggerRotateSize),
		rotateFiles: int(d.opts.LoggerRotateMaxFiles),
		files:       map[string]*os.File{},
		status:      map[osquery.Severity]*os.File{},
		started:     d.deps.Now(),
	}, nil
}

func (l *filesystemLogger) Name() string { return "filesystem" }

// Recover truncates each results file to the size its cursor recorded: what
// lies beyond was written but never acknowledged, and will be written again.
// If the file is not the one the cursor knew (it was rotated by the write
// that was not acknowledged), all of it is unacknowledged. A file the
// cursor does not know yet (a new database) is taken as it is: its size is
// recorded now, before anything is written to it.
func (l *filesystemLogger) Recover(_ context.Context, cur state.Cursor) (state.Cursor, error) {
	if cur.Offsets == nil {
		cur.Offsets = map[string]int64{}
	}
	for _, name := range []string{resultsFile, snapshotsFile} {
		path := filepath.Join(l.dir, name)
		fi, err := os.Stat(path)
		if err != nil {
			// Absent (or removed): the next write starts it at 0.
			cur.Offsets[name], cur.Offsets[name+"#id"] = 0, 0
			continue
		}
		want, known := cur.Offsets[name]
		if !known {
			cur.Offsets[name], cur.Offsets[name+"#id"] = fi.Size(), int64(fileIdentity(fi))
			continue
		}
		if id := cur.Offsets[name+"#id"]; id != 0 && id != int64(fileIdentity(fi)) {
			want = 0
		}
		if fi.Size() > want {
			if err := os.Truncate(path, want); err != nil {
				return cur, err
			}
		}
		cur.Offsets[name], cur.Offsets[name+"#id"] = min(fi.Size(), want), int64(fileIdentity(fi))
	}
	return cur, nil
}

func (l *filesystemLogger) file(name string) (*os.File, error) {
	if f, ok := l.files[name]; ok {
		return f, nil
	}
	f, err := os.OpenFile(filepath.Join(l.dir, name), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return nil, err
	}
	l.files[name] = f
	return f, nil
}

func (l *filesystemLogger) Deliver(_ context.Context, cur state.Cursor, entries []state.Entry) (state.Cursor, error) {
	batches := map[string][]byte{}
	var statuses []osquery.StatusLine
	for _, e := range entries {
		switch e.Kind {
		case state.KindResult:
			batches[resultsFile] = append(append(batches[resultsFile], e.Data...), '\n')
		case state.KindSnapshot:
			batches[snapshotsFile] = append(append(batches[snapshotsFile], e.Data...), '\n')
		case state.KindStatus:
			if s, ok := parseStatus(e.Data); ok {
				statuses = append(statuses, s)
			}
		}
	}
	next := state.Cursor{ID: entries[len(entries)-1].ID, Offsets: map[string]int64{}}
	for k, v := range cur.Offsets {
		next.Offsets[k] = v
	}
	for _, name := range []string{resultsFile, snapshotsFile} {
		data := batches[name]
		if len(data) == 0 {
			continue
		}
		if err := l.maybeRotate(name); err != nil {
			return cur, err
		}
		f, err := l.file(name)
		if err != nil {
			return cur, err
		}
		if _, err := f.Write(data); err != nil {
			return cur, err
		}
		if err := f.Sync(); err != nil {
			return cur, err
		}
		fi, err := f.Stat()
		if err != nil {
			return cur, err
		}
		next.Offsets[name] = fi.Size()
		next.Offsets[name+"#id"] = int64(fileIdentity(fi))
	}
	if err := l.writeStatus(statuses); err != nil {
		return cur, err
	}
	return next, nil
}

// parseStatus reads a buffered status line (the JSON form).
func parseStatus(b []byte) (osquery.StatusLine, bool) {
	var raw struct {
		HostIdentifier string            `json:"hostIdentifier"`
		UnixTime       int64             `json:"unixTime"`
		Severity       int               `json:"severity"`
		Filename       string            `json:"filename"`
		Line           int               `json:"line"`
		Message        string            `json:"message"`
		Version        string            `json:"version"`
		Decorations    map[string]string `json:"decorations"`
	}
	if json.Unmarshal(b, &raw) != nil {
		return osquery.StatusLine{}, false
	}
	return osquery.StatusLine{HostIdentifier: raw.HostIdentifier, Time: time.Unix(raw.UnixTime, 0), Severity: osquery.Severity(raw.Severity),
		Filename: raw.Filename, Line: raw.Line, Message: raw.Message, Version: raw.Version, Decorations: raw.Decorations}, true
}

var severityNames = map[osquery.Severity]string{osquery.SeverityInfo: "INFO", osquery.SeverityWarning: "WARNING", osquery.SeverityError: "ERROR", osquery.SeverityFatal: "FATAL"}

// writeStatus appends status lines to the glog files: each line goes to the
// file of its severity and of every lower one, as glog does.
func (l *filesystemLogger) writeStatus(lines []osquery.StatusLine) error {
	pid := os.Getpid()
	for _, s := range lines {
		text := s.Glog(pid)
		for sev := osquery.SeverityInfo; sev <= min(s.Severity, osquery.SeverityError); sev++ {
			f, err := l.statusFile(sev, pid)
			if err != nil {
				return err
			}
			if _, err := f.Write(text); err != nil {
				return err
			}
		}
	}
	return nil
}

func (l *filesystemLogger) statusFile(sev osquery.Severity, pid int) (*os.File, error) {
	if f, ok := l.status[sev]; ok {
		return f, nil
	}
	name := fmt.Sprintf("osqueryd.%s.%s.%d", severityNames[sev], l.started.UTC().Format("20060102-150405"), pid)
	f, err := os.OpenFile(filepath.Join(l.dir, name), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return nil, err
	}
	link := filepath.Join(l.dir, "osqueryd."+severityNames[sev])
	os.Remove(link)
	os.Symlink(name, link) // best effort, as glog
	l.status[sev] = f
	return f, nil
}

// maybeRotate rotates a results file at --logger_rotate_size: the file
// becomes .1, older ones move up and are gzip-compressed (.2.gz, ...), and
// only --logger_rotate_max_files are kept. osquery compresses with zstd
// (.zst); gzip is in Go's standard library and every log shipper reads it.
func (l *filesystemLogger) maybeRotate(name string) error {
	if !l.rotate || l.rotateSize <= 0 {
		return nil
	}
	path := filepath.Join(l.dir, name)
	fi, err := os.Stat(path)
	if err != nil || fi.Size() < l.rotateSize {
		return nil
	}
	if f, ok := l.files[name]; ok {
		f.Close()
		delete(l.files, name)
	}
	keep := max(l.rotateFiles, 1)
	os.Remove(fmt.Sprintf("%s.%d.gz", path, keep))
	for i := keep - 1; i >= 2; i-- {
		os.Rename(fmt.Sprintf("%s.%d.gz", path, i), fmt.Sprintf("%s.%d.gz", path, i+1))
	}
	if keep >= 2 {
		if err := compressFile(path+".1", fmt.Sprintf("%s.2.gz", path)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	os.Remove(path + ".1")
	return os.Rename(path, path+".1")
}

func compressFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return err
	}
	enc := gzip.NewWriter(out)
	if _, err := io.Copy(enc, in); err != nil {
		enc.Close()
		out.Close()
		return err
	}
	if err := enc.Close(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func (l *filesystemLogger) Close() error {
	var errs []error
	for _, f := range l.files {
		errs = append(errs, f.Close())
	}
	for _, f := range l.status {
		errs = append(errs, f.Close())
	}
	return errors.Join(errs...)
}
