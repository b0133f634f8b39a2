package agent

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/osaudit/osaudit"
	"github.com/osaudit/osaudit/engine"
	"github.com/osaudit/osaudit/events"
	"github.com/osaudit/osaudit/hostfs"
	"github.com/osaudit/osaudit/osquery"
	"github.com/osaudit/osaudit/state"
	"github.com/osaudit/osaudit/table"
)

// denylistDuration is how long a query that was running when the watchdog
// stopped the worker stays out of the schedule, as in osquery.
const denylistDuration = 24 * time.Hour

// maxDrift is how far behind the scheduler may fall before it stops
// catching up second by second (--schedule_max_drift).
const maxDrift = 60

// Deps are what a daemon takes from its surroundings; tests replace them.
type Deps struct {
	Root     *hostfs.Root
	Now      func() time.Time
	Stderr   io.Writer
	Stdout   io.Writer
	Hostname func() (string, error)
	// Watched is true when a watcher supervises this worker, so a query
	// that was running when the worker died is denylisted.
	Watched    bool
	WatcherPID int64
	// Fault, if set, is called at the points where a crash must lose and
	// duplicate nothing ("before-commit", "after-commit", "after-write");
	// the crash tests make it end the process there.
	Fault func(point string)
}

// Daemon is the agent's scheduler and its loggers: osqueryd's worker.
type Daemon struct {
	opts *Options
	fs   *flag.FlagSet
	deps Deps
	root *hostfs.Root
	eng  *engine.Engine
	db   *state.DB
	log  *slog.Logger
	rt   *Runtime

	loggers []Logger
	remote  *remote // the manager, with --tls_hostname
	events  *events.Manager
	// eventCursors is, per scheduled query and event table, the last event
	// a committed run read; pendingCursors what the running query read.
	eventCursors   map[string]map[string]uint64
	pendingCursors map[string]map[string]uint64
	bg             sync.WaitGroup

	mu          sync.Mutex // guards what the osquery_* tables read
	cfg         *osquery.Config
	cfgHash     string
	queries     []*scheduled
	packs       []*packState
	denylist    map[string]time.Time
	decorations struct {
		load     map[string]string
		interval map[uint64]map[string]string
	}
	lastTick    int64
	lastRefresh time.Time
	refreshFail bool
	configStale bool // running a backup config: refresh at the accelerated rate
	started     bool
	dropped     int64
	ephemeral   string
}

// NewDaemon builds a daemon from its options; Start opens what it needs.
func NewDaemon(opts *Options, fs *flag.FlagSet, deps Deps) *Daemon {
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Stderr == nil {
		deps.Stderr = os.Stderr
	}
	if deps.Stdout == nil {
		deps.Stdout = os.Stdout
	}
	if deps.Hostname == nil {
		deps.Hostname = os.Hostname
	}
	if deps.Root == nil {
		deps.Root = hostfs.Live()
	}
	d := &Daemon{opts: opts, fs: fs, deps: deps, root: deps.Root, denylist: map[string]time.Time{}}
	level := slog.LevelWarn
	if opts.Verbose {
		level = slog.LevelInfo
	}
	d.log = slog.New(slog.NewTextHandler(deps.Stderr, &slog.HandlerOptions{Level: level}))
	return d
}

// Start opens the state database, the engine and the loggers, loads the
// config and runs the load decorators and startup queries. A config that
// cannot be read or parsed at start is an error.
func (d *Daemon) Start(ctx context.Context) error {
	dbPath := d.opts.DatabasePath
	if d.opts.DisableDatabase || d.opts.Ephemeral {
		dir, err := os.MkdirTemp("", "osaudit-db-")
		if err != nil {
			return err
		}
		dbPath = dir
	}
	db, err := state.Open(dbPath)
	if err != nil {
		return fmt.Errorf("--database_path: %w", err)
	}
	d.db = db
	d.rt = NewRuntime(d.root, d.fs)
	d.rt.Watcher = -1
	if d.deps.Watched {
		d.rt.Watcher = d.deps.WatcherPID
	}
	d.rt.InstanceID = d.instanceID(ctx)
	d.rt.Plugin = []table.Plugin{{Registry: "config", Name: "filesystem", Active: true}}
	for _, name := range splitList(d.opts.LoggerPlugin) {
		d.rt.Plugin = append(d.rt.Plugin, table.Plugin{Registry: "logger", Name: name, Active: true})
	}
	timeout := seconds(d.opts.QueryTimeout)
	if d.opts.QueryTimeout == 0 {
		timeout = -1
	}
	d.eng, err = engine.New(d.root, engine.Options{Timeout: timeout, Logger: d.log, Runtime: daemonRuntime{d}, MaxConns: 1})
	if err != nil {
		return err
	}
	d.ephemeral = RandomUUID()
	if d.opts.TLSHostname != "" {
		if d.remote, err = newRemote(d); err != nil {
			return err
		}
	}
	if err := d.openLoggers(ctx); err != nil {
		return err
	}
	if err := d.Reload(ctx); err != nil {
		return err
	}
	d.pendingCursors = map[string]map[string]uint64{}
	if err := d.startEvents(ctx); err != nil {
		return err
	}
	d.checkDenylist(ctx)
	d.started = true
	d.status(ctx, osquery.SeverityInfo, fmt.Sprintf("osaudit %s started (pid %d), %d scheduled queries", osaudit.Version, os.Getpid(), len(d.queries)))
	d.runStartupQueries(ctx)
	d.drain(ctx)
	return nil
}

// Close flushes the loggers and closes everything.
func (d *Daemon) Close(ctx context.Context) error {
	var errs []error
	if d.db != nil {
		d.drain(ctx)
	}
	for _, l := range d.loggers {
		errs = append(errs, l.Close())
	}
	if d.events != nil {
		errs = append(errs, d.events.Close())
	}
	if d.eng != nil {
		errs = append(errs, d.eng.Close())
	}
	if d.db != nil {
		errs = append(errs, d.db.Close())
	}
	return errors.Join(errs...)
}

// Run ticks the scheduler every second until ctx ends. reload receives a
// value when the config should be read again (SIGHUP). Asynchronous
// loggers and the distributed-query poller run beside it and stop with it.
func (d *Daemon) Run(ctx context.Context, reload <-chan struct{}) error {
	ctx, cancel := context.WithCancel(ctx)
	defer func() { cancel(); d.bg.Wait() }()
	for _, l := range d.loggers {
		if al, ok := l.(asyncLogger); ok {
			d.bg.Go(func() { d.runAsyncLogger(ctx, al) })
		}
	}
	if d.remote != nil && !d.opts.DisableDistributed && d.opts.DistributedPlugin == "tls" {
		d.bg.Go(func() { d.runDistributed(ctx) })
	}
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-reload:
			if err := d.Reload(ctx); err != nil {
				d.status(ctx, osquery.SeverityError, "config reload rejected, keeping the last good config: "+err.Error())
			}
		case <-t.C:
			d.Tick(ctx, d.deps.Now())
		}
	}
}

// Tick runs everything due up to now: interval decorators and scheduled
// queries for every second since the last tick (so a slow query does not
// make others miss their second), then drains the loggers.
func (d *Daemon) Tick(ctx context.Context, now time.Time) {
	sec := now.Unix()
	refresh := seconds(d.opts.ConfigRefresh)
	if d.refreshFail && d.opts.ConfigAcceleratedRefresh > 0 {
		refresh = seconds(d.opts.ConfigAcceleratedRefresh)
	}
	if refresh > 0 && now.Sub(d.lastRefresh) >= refresh {
		if err := d.Reload(ctx); err != nil {
			d.status(ctx, osquery.SeverityError, "config refresh rejected, keeping the last good config: "+err.Error())
		}
	}
	from := d.lastTick + 1
	if d.lastTick == 0 || sec-d.lastTick > maxDrift {
		from = sec
	}
	for s := from; s <= sec; s++ {
		if ctx.Err() != nil {
			return
		}
		d.runIntervalDecorators(ctx, s)
		d.mu.Lock()
		queries := due(d.queries, s)
		d.mu.Unlock()
		for _, q := range queries {
			d.runScheduled(ctx, q, time.Unix(s, 0))
		}
	}
	if sec > d.lastTick {
		d.lastTick = sec
	}
	d.drain(ctx)
}

// Reload reads the config again; a bad config is rejected and the last
// good one keeps running.
func (d *Daemon) Reload(ctx context.Context) error {
	d.lastRefresh = d.deps.Now()
	d.configStale = false
	cfg, src, err := d.loadConfig(ctx)
	d.refreshFail = err != nil || d.configStale
	if err != nil {
		return err
	}
	hash := sha1.Sum(src)
	if d.started && hex.EncodeToString(hash[:]) == d.cfgHash {
		return nil // osquery applies a config only when it changed
	}
	warnings := ApplyOptions(d.fs, cfg.Options)
	hostname := d.hostname()
	queries, packs := compile(cfg, d.opts.PackDelimiter, hostname, d.opts.DefaultInterval)
	for _, q := range queries {
		q.Splayed = d.splay(ctx, q.Name, q.Interval, d.opts.SplayPercent)
	}
	d.mu.Lock()
	// Keep statistics of queries that survive the reload.
	old := map[string]*scheduled{}
	for _, q := range d.queries {
		old[q.Name] = q
	}
	for _, q := range queries {
		if o, ok := old[q.Name]; ok {
			q.stats = o.stats
		}
	}
	d.cfg, d.cfgHash, d.queries, d.packs = cfg, hex.EncodeToString(hash[:]), queries, packs
	d.rt.ConfigHash, d.rt.ConfigValid = d.cfgHash, true
	d.mu.Unlock()
	for _, w := range append(cfg.Warnings, warnings...) {
		d.status(ctx, osquery.SeverityWarning, w)
	}
	d.runLoadDecorators(ctx)
	if d.events != nil {
		d.events.Reconfigure(cfg.FilePaths, cfg.ExcludePaths, cfg.FileAccesses)
	}
	if d.started {
		d.status(ctx, osquery.SeverityInfo, fmt.Sprintf("config reloaded: %d scheduled queries", len(queries)))
	}
	return nil
}

// loadConfig reads the config from --config_plugin: the manager (tls), or
// the filesystem. The manager's last good config is kept in the state
// database and used when the manager cannot be reached at start, so that
// scheduled queries keep running while it is away.
func (d *Daemon) loadConfig(ctx context.Context) (*osquery.Config, []byte, error) {
	if d.opts.ConfigPlugin != "tls" {
		return loadConfig(d.opts.ConfigPath)
	}
	if d.remote == nil || d.opts.ConfigTLSEndpoint == "" {
		return nil, nil, fmt.Errorf("--config_plugin=tls needs --tls_hostname and --config_tls_endpoint")
	}
	src, err := d.remote.fetchConfig(ctx)
	if err == nil {
		cfg, perr := osquery.ParseConfig("tls:"+d.opts.ConfigTLSEndpoint, src, nil)
		if perr != nil {
			return nil, nil, perr
		}
		d.db.Put(ctx, "config_backup", src)
		return cfg, src, nil
	}
	if d.cfg != nil {
		return nil, nil, err // keep running the config we have
	}
	d.status(ctx, osquery.SeverityWarning, "cannot fetch the config, using the last one received: "+err.Error())
	src, ok, _ := d.db.Get(ctx, "config_backup")
	if !ok {
		src = []byte("{}")
	}
	cfg, perr := osquery.ParseConfig("backup", src, nil)
	if perr != nil {
		cfg, _ = osquery.ParseConfig("empty", []byte("{}"), nil)
		src = []byte("{}")
	}
	d.configStale = true
	return cfg, src, nil
}

// loadConfig reads the config file and the files of <path>.d/, merged in
// lexical order, as osquery's filesystem config plugin does.
func loadConfig(path string) (*osquery.Config, []byte, error) {
	src, err := readLimited(path)
	if err != nil {
		return nil, nil, fmt.Errorf("--config_path: %w", err)
	}
	cfg, err := osquery.ParseConfig(path, src, readLimited)
	if err != nil {
		return nil, nil, err
	}
	extra, _ := filepath.Glob(filepath.Join(path+".d", "*"))
	sort.Strings(extra)
	all := append([]byte(nil), src...)
	for _, p := range extra {
		b, err := readLimited(p)
		if err != nil {
			return nil, nil, err
		}
		c, err := osquery.ParseConfig(p, b, readLimited)
		if err != nil {
			return nil, nil, err
		}
		cfg.Merge(c)
		all = append(all, b...)
	}
	return cfg, all, nil
}

// readLimited reads a config or pack file, refusing one past the size
// limit before reading it whole.
func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > 2*osquery.MaxConfigSize {
		return nil, fmt.Errorf("%s: %d bytes; the limit is %d", path, fi.Size(), osquery.MaxConfigSize)
	}
	b, err := io.ReadAll(io.LimitReader(f, 2*osquery.MaxConfigSize+1))
	if err != nil {
		return nil, err
	}
	return b, nil
}

// checkDenylist denylists the query that was running when the previous
// worker died, if a watcher supervised it (osquery 5.16 and later), and
// loads the denylist.
func (d *Daemon) checkDenylist(ctx context.Context) {
	if b, ok, _ := d.db.Get(ctx, "denylist"); ok {
		for _, item := range strings.Split(string(b), "\n") {
			name, until, found := strings.Cut(item, "\t")
			if !found {
				continue
			}
			t, err := time.Parse(time.RFC3339, until)
			if err == nil && t.After(d.deps.Now()) {
				d.denylist[name] = t
			}
		}
	}
	b, ok, _ := d.db.Get(ctx, "executing_query")
	if !ok {
		return
	}
	d.db.Delete(ctx, "executing_query")
	name := string(b)
	if !d.deps.Watched {
		return
	}
	if q := d.findQuery(name); q != nil && !q.Denylist {
		d.status(ctx, osquery.SeverityWarning, fmt.Sprintf("query %s was running when the worker stopped; its denylist option is false, so it stays scheduled", name))
		return
	}
	until := d.deps.Now().Add(denylistDuration)
	d.denylist[name] = until
	d.saveDenylist(ctx)
	d.status(ctx, osquery.SeverityWarning, fmt.Sprintf("Scheduled query may have failed: %s; denylisted until %s", name, until.UTC().Format(time.RFC3339)))
}

func (d *Daemon) findQuery(name string) *scheduled {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, q := range d.queries {
		if q.Name == name {
			return q
		}
	}
	return nil
}

func (d *Daemon) saveDenylist(ctx context.Context) {
	var items []string
	for name, until := range d.denylist {
		items = append(items, name+"\t"+until.UTC().Format(time.RFC3339))
	}
	sort.Strings(items)
	d.db.Put(ctx, "denylist", []byte(strings.Join(items, "\n")))
}

func (d *Daemon) denylisted(name string, now time.Time) bool {
	until, ok := d.denylist[name]
	return ok && now.Before(until)
}

// status records a status line: on stderr, and in the buffer for the
// loggers. Without a working buffer it still reaches stderr.
func (d *Daemon) status(ctx context.Context, sev osquery.Severity, msg string) {
	if int(sev) < d.opts.LoggerMinStatus {
		return
	}
	_, file, line, _ := runtime.Caller(1)
	s := osquery.StatusLine{
		HostIdentifier: d.hostIdentifier(ctx),
		Time:           d.deps.Now(),
		Severity:       sev,
		Filename:       filepath.Base(file),
		Line:           line,
		Message:        msg,
		Version:        osquery.CompatVersion,
	}
	if d.opts.LoggerStderr && (sev >= osquery.SeverityWarning || d.opts.Verbose) {
		d.deps.Stderr.Write(s.Glog(os.Getpid()))
	}
	if d.db == nil {
		return
	}
	if _, err := d.db.Commit(ctx, "", nil, []state.Line{{Kind: state.KindStatus, Data: s.JSON()}}, int(d.opts.BufferedLogMax)); err != nil {
		fmt.Fprintf(d.deps.Stderr, "osaudit: cannot buffer a status line (%v): %s\n", err, msg)
	}
}

func (d *Daemon) fault(point string) {
	if d.deps.Fault != nil {
		d.deps.Fault(point)
	}
}

// splitList splits a comma list, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
