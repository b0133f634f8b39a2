// Package manager is osaudit-server's core: enrollment, the configs agents
// get, result and status ingest, live-query campaigns, detail and label
// queries, with the in-memory caches that keep per-check-in store work
// batched.
//
// What an agent's check-in costs: authentication is a SHA-256 and a map
// lookup; last-seen is an atomic store, written for many hosts at once
// every few seconds; a config poll returns bytes cached per (customer,
// platform, label set, config generation); a distributed read with nothing
// due returns a constant. Only log and distributed writes reach the store,
// and log rows of many requests share one transaction (group commit).
package manager

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/osaudit/osaudit"
)

// Defaults of the Manager's tunables.
const (
	DefaultDetailInterval  = time.Hour
	DefaultLabelInterval   = time.Hour
	DefaultOnlineWindow    = 2 * time.Minute
	DefaultFlushInterval   = 5 * time.Second
	DefaultSeenResolution  = 30 * time.Second
	DefaultIngestLinger    = 50 * time.Millisecond
	DefaultIngestBatchRows = 5000
	DefaultIngestQueueRows = 200_000
	DefaultCampaignTTL     = 10 * time.Minute
	MaxCampaignTTL         = 24 * time.Hour
	// DefaultEnrollFailures failed enrolls a source may make at once; then
	// one more per DefaultEnrollFailureEvery.
	DefaultEnrollFailures     = 10
	DefaultEnrollFailureEvery = 6 * time.Second
)

// Manager runs the manager's logic over a store. Set the exported fields,
// then call Open (or Run, which opens if needed); the zero value of every
// tunable means its default. Handlers may be called once Open returned.
type Manager struct {
	Store  osaudit.Store
	Logger *slog.Logger
	Now    func() time.Time

	// Options are the osquery options in every agent's config; nil means
	// DefaultOptions. Decorators likewise (DefaultDecorators).
	Options    map[string]any
	Decorators map[string]any

	DetailInterval  time.Duration // how often detail queries refresh a host's inventory
	LabelInterval   time.Duration // how often dynamic label queries run on a host
	OnlineWindow    time.Duration // a host seen within it is online
	FlushInterval   time.Duration // last-seen and label membership writes
	SeenResolution  time.Duration // a stored last-seen time lags by at most this (plus FlushInterval)
	IngestLinger    time.Duration // how long a log batch waits for more rows
	IngestBatchRows int           // rows that flush a batch at once
	IngestQueueRows int           // queued rows past which log requests are refused
	// EnrollFailures and EnrollFailureEvery rate-limit failed enrolls per
	// source address.
	EnrollFailures     int
	EnrollFailureEvery time.Duration
	// Retention is how long result and status rows are kept in the store;
	// 0 keeps them. Long-term keeping belongs in the sinks.
	Retention time.Duration

	initOnce sync.Once
	openMu   sync.Mutex
	opened   bool

	mu    sync.RWMutex
	byKey map[[32]byte]*agent
	byID  map[int64]*agent

	defs      atomic.Pointer[configDefs]
	dirty     chan struct{} // ConfigChanged wakes the sync worker
	reloadMu  sync.Mutex    // serialises config reloads
	genSeen   int64         // the store generation defs were loaded at; reloadMu
	pendingMu sync.Mutex
	pending   map[int64]map[int64]bool // label -> host -> member, not yet written

	campaigns atomic.Pointer[[]*campaign]
	campMu    sync.Mutex // serialises changes to the campaign list

	limitMu  sync.Mutex
	limiters map[string]*rate.Limiter

	results   *batcher[*osaudit.ResultRow]
	statuses  *batcher[*osaudit.StatusRow]
	campaignW *batcher[*osaudit.CampaignResult]

	stopping chan struct{} // closed when Run stops
	stopOnce sync.Once
	subs     sync.WaitGroup // subscription goroutines

	counters counters
}

// counters are the manager's monotonic counts, for metrics.
type counters struct {
	enrollOK, enrollFailed, enrollLimited atomic.Int64
	configRenders, configReloads          atomic.Int64
	detailUpdates, labelChanges           atomic.Int64
	touchWrites, touchErrors              atomic.Int64
	skippedLines, unknownQueries          atomic.Int64
}

func (m *Manager) init() {
	m.initOnce.Do(func() {
		if m.Logger == nil {
			m.Logger = slog.New(slog.DiscardHandler)
		}
		if m.Now == nil {
			m.Now = time.Now
		}
		def := func(d *time.Duration, v time.Duration) {
			if *d <= 0 {
				*d = v
			}
		}
		def(&m.DetailInterval, DefaultDetailInterval)
		def(&m.LabelInterval, DefaultLabelInterval)
		def(&m.OnlineWindow, DefaultOnlineWindow)
		def(&m.FlushInterval, DefaultFlushInterval)
		def(&m.SeenResolution, DefaultSeenResolution)
		def(&m.IngestLinger, DefaultIngestLinger)
		def(&m.EnrollFailureEvery, DefaultEnrollFailureEvery)
		if m.IngestBatchRows <= 0 {
			m.IngestBatchRows = DefaultIngestBatchRows
		}
		if m.IngestQueueRows <= 0 {
			m.IngestQueueRows = DefaultIngestQueueRows
		}
		if m.EnrollFailures <= 0 {
			m.EnrollFailures = DefaultEnrollFailures
		}
		if m.Options == nil {
			m.Options = DefaultOptions()
		}
		if m.Decorators == nil {
			m.Decorators = DefaultDecorators()
		}
		m.byKey = map[[32]byte]*agent{}
		m.byID = map[int64]*agent{}
		m.dirty = make(chan struct{}, 1)
		m.pending = map[int64]map[int64]bool{}
		m.limiters = map[string]*rate.Limiter{}
		m.stopping = make(chan struct{})
		m.campaigns.Store(&[]*campaign{})
		m.defs.Store(&configDefs{cache: map[configKey][]byte{}})
		m.results = newBatcher(m, "results", func(ctx context.Context, rows []*osaudit.ResultRow) error { return m.Store.InsertResults(ctx, rows) }, nil)
		m.statuses = newBatcher(m, "status", func(ctx context.Context, rows []*osaudit.StatusRow) error { return m.Store.InsertStatus(ctx, rows) }, nil)
		m.campaignW = newBatcher(m, "campaign results", func(ctx context.Context, rs []*osaudit.CampaignResult) error {
			return m.Store.AddCampaignResults(ctx, rs)
		}, m.campaignResultsWritten)
	})
}

// Open loads the hosts' authentication data, label membership, the config
// definitions and the active campaigns from the store. Run calls it if it
// was not called.
func (m *Manager) Open(ctx context.Context) error {
	if m.Store == nil {
		return errors.New("manager: no store")
	}
	m.init()
	m.openMu.Lock()
	defer m.openMu.Unlock()
	if m.opened {
		return nil
	}
	if err := m.loadHosts(ctx); err != nil {
		return err
	}
	if err := m.reloadConfig(ctx); err != nil {
		return err
	}
	if err := m.loadCampaigns(ctx); err != nil {
		return err
	}
	m.opened = true
	return nil
}

// Run owns the manager's background work: the ingest writers, the
// last-seen and label membership flusher, config reloads and campaign
// expiry. It returns once they stopped, after writing what was queued.
// Stop the HTTP server before cancelling ctx, so that no request waits on
// a writer that is gone.
func (m *Manager) Run(ctx context.Context) error {
	if err := m.Open(ctx); err != nil {
		return err
	}
	var wg sync.WaitGroup
	for _, run := range []func(context.Context){m.results.run, m.statuses.run, m.campaignW.run, m.pruneLoop} {
		wg.Go(func() { run(ctx) })
	}
	m.syncLoop(ctx)
	wg.Wait()
	m.stopOnce.Do(func() { close(m.stopping) })
	m.subs.Wait()
	// A last flush of what the writers acknowledged meanwhile.
	m.flush(context.WithoutCancel(ctx), true)
	return nil
}

// pruneLoop deletes result and status rows past Retention, hourly.
func (m *Manager) pruneLoop(ctx context.Context) {
	if m.Retention <= 0 {
		return
	}
	for {
		n, err := m.Store.PruneResults(ctx, m.Now().Add(-m.Retention))
		switch {
		case err != nil && ctx.Err() == nil:
			m.Logger.Error("prune results", "err", err)
		case n > 0:
			m.Logger.Info("pruned results", "rows", n, "retention", m.Retention)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Hour):
		}
	}
}

// syncLoop flushes last-seen times and label membership, reloads configs
// when they changed and expires campaigns, until ctx ends.
func (m *Manager) syncLoop(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	lastFlush := m.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-m.dirty:
			m.flushMembership(ctx)
			if err := m.reloadConfig(ctx); err != nil {
				m.Logger.Error("reload config", "err", err)
			}
		case <-tick.C:
			now := m.Now()
			m.expireCampaigns(ctx, now)
			if now.Sub(lastFlush) < m.FlushInterval {
				continue
			}
			lastFlush = now
			m.flush(ctx, false)
			gen, err := m.Store.ConfigGeneration(ctx)
			if err != nil {
				m.Logger.Error("config generation", "err", err)
				continue
			}
			m.reloadMu.Lock()
			stale := gen != m.genSeen
			m.reloadMu.Unlock()
			if stale {
				if err := m.reloadConfig(ctx); err != nil {
					m.Logger.Error("reload config", "err", err)
				}
			}
			m.pruneLimiters(now)
		}
	}
}

// flush writes last-seen times (all of them, or those past
// SeenResolution) and label membership.
func (m *Manager) flush(ctx context.Context, all bool) {
	m.flushSeen(ctx, all)
	m.flushMembership(ctx)
}

// ConfigChanged tells the manager that queries, packs, labels or options
// changed, so that agents get new configs.
func (m *Manager) ConfigChanged() {
	m.init()
	select {
	case m.dirty <- struct{}{}:
	default:
	}
}

// Stats are the manager's gauges and counters, for /metrics.
type Stats struct {
	HostsEnrolled, HostsOnline int64
	ActiveCampaigns            int64

	ResultRows, StatusRows, CampaignRows    int64 // rows written
	ResultQueue, StatusQueue, CampaignQueue int64 // rows waiting to be written
	IngestBatches, IngestErrors             int64

	EnrollOK, EnrollFailed, EnrollLimited int64
	ConfigRenders, ConfigReloads          int64
	DetailUpdates, LabelChanges           int64
	SkippedLines, UnknownQueries          int64
	TouchWrites, TouchErrors              int64
}

// Stats returns the current figures.
func (m *Manager) Stats() Stats {
	m.init()
	now := m.Now().UnixNano()
	window := m.OnlineWindow.Nanoseconds()
	var s Stats
	m.mu.RLock()
	s.HostsEnrolled = int64(len(m.byID))
	for _, a := range m.byID {
		if now-a.lastSeen.Load() <= window {
			s.HostsOnline++
		}
	}
	m.mu.RUnlock()
	s.ActiveCampaigns = int64(len(*m.campaigns.Load()))
	for _, b := range []struct {
		written, queue *int64
		s              batcherStats
	}{{&s.ResultRows, &s.ResultQueue, m.results.stats()}, {&s.StatusRows, &s.StatusQueue, m.statuses.stats()}, {&s.CampaignRows, &s.CampaignQueue, m.campaignW.stats()}} {
		*b.written, *b.queue = b.s.written, b.s.queued
		s.IngestBatches += b.s.batches
		s.IngestErrors += b.s.failures
	}
	c := &m.counters
	s.EnrollOK, s.EnrollFailed, s.EnrollLimited = c.enrollOK.Load(), c.enrollFailed.Load(), c.enrollLimited.Load()
	s.ConfigRenders, s.ConfigReloads = c.configRenders.Load(), c.configReloads.Load()
	s.DetailUpdates, s.LabelChanges = c.detailUpdates.Load(), c.labelChanges.Load()
	s.SkippedLines, s.UnknownQueries = c.skippedLines.Load(), c.unknownQueries.Load()
	s.TouchWrites, s.TouchErrors = c.touchWrites.Load(), c.touchErrors.Load()
	return s
}

// unavailable is the error agents get when the manager cannot take their
// data now; they keep it and retry.
func unavailable(format string, args ...any) error {
	return osaudit.Errorf(osaudit.EUNAVAILABLE, format, args...)
}

func wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}
