package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/osaudit/osaudit/osquery"
)

// host is one simulated osqueryd.
type host struct {
	s        *sim
	id       string
	platform platformKind
	conn     *conn
	rnd      *rand.Rand
	nodeKey  string
	// backlog holds the result lines not yet acknowledged, oldest first,
	// as osquery's buffered TLS logger does; a post sends at most
	// --max_lines of them.
	backlog  [][]byte
	counter  uint64
	nextSnap time.Time
	// pending holds distributed queries read but not answered yet.
	pending map[string]string
}

type platformKind struct {
	name, platformType, osName, version, build string
}

// platforms mirrors the provider's fleet: mostly Windows.
var platforms = []platformKind{
	{"windows", osquery.PlatformTypeWindows, "Microsoft Windows 11 Pro", "10.0.22631", "22631"},
	{"windows", osquery.PlatformTypeWindows, "Microsoft Windows Server 2022 Standard", "10.0.20348", "20348"},
	{"windows", osquery.PlatformTypeWindows, "Microsoft Windows 10 Enterprise", "10.0.19045", "19045"},
	{"linux", osquery.PlatformTypeLinux, "Ubuntu", "22.04.4 LTS (Jammy Jellyfish)", ""},
	{"linux", osquery.PlatformTypeLinux, "Debian GNU/Linux", "12 (bookworm)", ""},
	{"darwin", osquery.PlatformTypeDarwin, "macOS", "14.5", "23F79"},
}

func hostIdentifier(prefix string, i int) string { return fmt.Sprintf("%s-%06d", prefix, i) }

func newHost(s *sim, i int, c *conn) *host {
	return &host{
		s:        s,
		id:       hostIdentifier(s.o.prefix, i),
		platform: platforms[i%len(platforms)],
		conn:     c,
		rnd:      rand.New(rand.NewPCG(uint64(i), 42)),
	}
}

// run is the host's life: enroll at start, then config, distributed read
// and log posts at their intervals, each with its own phase, until ctx
// ends.
func (h *host) run(ctx context.Context, start time.Time) {
	if !sleepUntil(ctx, start, nil) {
		return
	}
	if !h.enroll(ctx) {
		return
	}
	h.s.enrolled.Add(1)
	o := h.s.o
	now := time.Now()
	nextConfig := now
	nextRead := now.Add(time.Duration(h.rnd.Int64N(int64(o.readEvery))))
	nextLog := now.Add(time.Duration(h.rnd.Int64N(int64(o.logEvery))))
	h.nextSnap = now.Add(time.Duration(h.rnd.Int64N(int64(time.Hour))))
	for {
		next := nextLog
		if nextRead.Before(next) {
			next = nextRead
		}
		if nextConfig.Before(next) {
			next = nextConfig
		}
		if !sleepUntil(ctx, next, h.s.stats) {
			return
		}
		switch {
		case next.Equal(nextConfig):
			h.config(ctx)
			nextConfig = nextConfig.Add(o.configEvery)
		case next.Equal(nextRead):
			h.distributed(ctx)
			nextRead = nextRead.Add(o.readEvery)
		default:
			h.log(ctx)
			nextLog = nextLog.Add(o.logEvery)
		}
		// After a slow request the host goes on from now rather than
		// firing its missed polls back to back, as osquery's loops do.
		now := time.Now()
		nextConfig, nextRead, nextLog = notBefore(nextConfig, now), notBefore(nextRead, now), notBefore(nextLog, now)
	}
}

func notBefore(t, now time.Time) time.Time {
	if t.Before(now) {
		return now
	}
	return t
}

// sleepUntil waits for t, recording how late the wake-up was: a generator
// that falls behind its schedule measures itself, not the server.
func sleepUntil(ctx context.Context, t time.Time, st *stats) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil // late because the last request was slow: that is the server's
	}
	tm := time.NewTimer(d)
	select {
	case <-ctx.Done():
		tm.Stop()
		return false
	case <-tm.C:
	}
	if st != nil {
		st.lag(time.Since(t))
	}
	return true
}

// post sends a JSON body to an endpoint and decodes the answer into out,
// recording the latency under name. It reports whether the request
// succeeded; node_invalid makes the host enroll again.
func (h *host) post(ctx context.Context, name, path string, body []byte, gz bool, out any) bool {
	start := time.Now()
	ok, invalid, kind, waited := h.do(ctx, path, body, gz, out)
	h.s.stats.record(name, time.Since(start), waited, kind)
	if invalid {
		h.nodeKey = ""
		h.enroll(ctx)
	}
	return ok
}

// do sends one request. waited is the time it queued behind the other
// hosts of its connection (--hosts_per_conn).
func (h *host) do(ctx context.Context, path string, body []byte, gz bool, out any) (ok, invalid bool, errKind string, waited time.Duration) {
	if gz {
		// The compressor goes back before the request waits for its
		// connection: held while in flight, thousands of them held ~1 MB
		// each.
		zp := h.s.gzips.get()
		body = bytes.Clone(zp.compress(body))
		h.s.gzips.put(zp)
	}
	status, b, waited, err := h.conn.post(ctx, path, body, gz)
	if err != nil {
		var ne net.Error
		switch {
		case ctx.Err() != nil || errors.Is(err, errStopping):
			return false, false, "", waited // stopping, not an error
		case errors.As(err, &ne) && ne.Timeout():
			return false, false, "timeout", waited
		}
		return false, false, "transport", waited
	}
	var inv struct {
		NodeInvalid bool `json:"node_invalid"`
	}
	if status != http.StatusOK {
		if json.Unmarshal(b, &inv) == nil && inv.NodeInvalid {
			return false, true, "node_invalid", waited
		}
		return false, false, "http_" + strconv.Itoa(status), waited
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return false, false, "bad_response", waited
		}
	}
	if json.Unmarshal(b, &inv) == nil && inv.NodeInvalid {
		return false, true, "node_invalid", waited
	}
	return true, false, "", waited
}

// enroll gets a node key, retrying with backoff until ctx ends.
func (h *host) enroll(ctx context.Context) bool {
	body, _ := json.Marshal(osquery.EnrollRequest{
		EnrollSecret:   h.s.o.secret,
		HostIdentifier: h.id,
		PlatformType:   h.platform.platformType,
		HostDetails:    h.details(),
	})
	backoff := time.Second
	for ctx.Err() == nil {
		var resp osquery.EnrollResponse
		start := time.Now()
		ok, _, kind, waited := h.do(ctx, "/api/v1/osquery/enroll", body, false, &resp)
		if ok && resp.NodeKey == "" {
			ok, kind = false, "no_node_key"
		}
		h.s.stats.record("enroll", time.Since(start), waited, kind)
		if ok {
			h.nodeKey = resp.NodeKey
			return true
		}
		if !sleepUntil(ctx, time.Now().Add(jitter(h.rnd, backoff, 0.5)), nil) {
			return false
		}
		backoff = min(2*backoff, time.Minute)
	}
	return false
}

func (h *host) nodeKeyBody() []byte {
	return []byte(`{"node_key":` + strconv.Quote(h.nodeKey) + `}`)
}

func (h *host) config(ctx context.Context) {
	h.post(ctx, "config", "/api/v1/osquery/config", h.nodeKeyBody(), false, nil)
}

// distributed polls for queries and answers those it gets at once.
func (h *host) distributed(ctx context.Context) {
	var resp osquery.DistributedReadResponse
	if !h.post(ctx, "distributed_read", "/api/v1/osquery/distributed/read", h.nodeKeyBody(), false, &resp) {
		return
	}
	if len(resp.Queries) == 0 {
		return
	}
	w := osquery.DistributedWrite{
		NodeKey:  h.nodeKey,
		Queries:  map[string][]map[string]string{},
		Statuses: map[string]int{},
		Stats:    map[string]osquery.QueryStats{},
	}
	details := h.details()
	for id, sql := range resp.Queries {
		w.Queries[id] = h.answer(id, sql, details)
		w.Statuses[id] = 0
		w.Stats[id] = osquery.QueryStats{WallTimeMs: 1 + h.rnd.Int64N(30), UserTime: h.rnd.Int64N(20), SystemTime: h.rnd.Int64N(10), Memory: 1 << 20}
	}
	body, _ := json.Marshal(w)
	h.post(ctx, "distributed_write", "/api/v1/osquery/distributed/write", body, false, nil)
}

// answer returns rows for a distributed query: the host's details for the
// detail queries, one row for label queries (every host is in every
// label), a few processes for the rest.
func (h *host) answer(id, sql string, details map[string]map[string]string) []map[string]string {
	for table, row := range details {
		if strings.HasSuffix(id, "_"+table) || strings.EqualFold(sql, "SELECT * FROM "+table) {
			return []map[string]string{row}
		}
	}
	switch {
	case strings.Contains(id, "label"):
		return []map[string]string{{"1": "1"}}
	case strings.Contains(sql, "interface_addresses"):
		return []map[string]string{
			{"interface": "eth0", "address": h.address(), "mask": "255.255.0.0", "mac": "00:15:5d:01:02:03"},
			{"interface": "lo", "address": "127.0.0.1", "mask": "255.0.0.0", "mac": "00:00:00:00:00:00"},
		}
	}
	if h.rnd.IntN(20) > 0 {
		return []map[string]string{}
	}
	return []map[string]string{{"pid": strconv.Itoa(1000 + h.rnd.IntN(30000)), "name": "updater.exe", "path": `C:\Users\Public\updater.exe`}}
}

func (h *host) address() string {
	n := h.rnd.IntN(1 << 16) // stable enough: the answer only has to look real
	return fmt.Sprintf("10.%d.%d.%d", n>>8, n&255, 1+h.rnd.IntN(254))
}

// details is what enroll sends and detail queries answer: every value a
// string, as osquery sends them.
func (h *host) details() map[string]map[string]string {
	p := h.platform
	uuid := fmt.Sprintf("%08X-0000-4000-8000-%012X", len(h.id), []byte(h.id)[len(h.id)-6:])
	return map[string]map[string]string{
		"os_version": {"name": p.osName, "version": p.version, "build": p.build, "platform": p.name, "platform_like": p.name, "major": "10", "minor": "0", "patch": "0", "arch": "x86_64"},
		"osquery_info": {"version": "5.12.1", "build_platform": p.name, "uuid": uuid, "instance_id": uuid, "pid": "4242",
			"config_hash": "", "config_valid": "1", "extensions": "inactive", "build_distro": "", "start_time": "1700000000", "watcher": "4241", "platform_mask": p.platformType},
		"system_info": {"hostname": h.id, "uuid": uuid, "cpu_type": "x86_64", "cpu_brand": "Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz",
			"cpu_physical_cores": "4", "cpu_logical_cores": "8", "physical_memory": "17179869184", "hardware_vendor": "Dell Inc.",
			"hardware_model": "PowerEdge R640", "computer_name": h.id, "local_hostname": h.id},
		"platform_info": {"vendor": "Dell Inc.", "version": "2.19.1", "date": "03/12/2024"},
		"uptime":        {"days": "3", "hours": "4", "minutes": "5", "seconds": "6", "total_seconds": "273906"},
	}
}

// processNames give result rows some variety.
var processNames = []string{"svchost.exe", "chrome.exe", "explorer.exe", "powershell.exe", "sshd", "nginx", "python3", "java", "MsMpEng.exe", "Teams.exe"}

// log queues this period's result lines (a differential result of a few
// rows on average, an hourly processes snapshot) and posts the backlog,
// as the TLS logger does every --logger_tls_period.
func (h *host) log(ctx context.Context) {
	now := time.Now()
	n := int(math.Round(h.rnd.ExpFloat64() * h.s.o.rows))
	if n > 0 {
		h.counter++
	}
	head := osquery.ResultHeader{Name: "pack_incident-response_process_events", HostIdentifier: h.id, Time: now, Epoch: 0, Counter: h.counter}
	rows := make([]osquery.Row, n)
	for i := range rows {
		rows[i] = h.processRow()
	}
	h.backlog = append(h.backlog, head.EventLines(rows, nil)...)
	if !now.Before(h.nextSnap) {
		h.nextSnap = h.nextSnap.Add(time.Hour)
		snap := make([]osquery.Row, 100+h.rnd.IntN(100))
		for i := range snap {
			snap[i] = h.processRow()
		}
		sh := osquery.ResultHeader{Name: "pack_osaudit-baseline_processes", HostIdentifier: h.id, Time: now}
		h.backlog = append(h.backlog, sh.SnapshotLine(snap))
	}
	if h.rnd.IntN(6) == 0 {
		h.status(ctx, now)
	}
	if len(h.backlog) == 0 {
		return // osquery posts nothing when it has nothing
	}
	// A host away for long keeps its newest lines, as --buffered_log_max
	// bounds osquery's buffer.
	if over := len(h.backlog) - 10*h.s.o.maxLines; over > 0 {
		h.backlog = h.backlog[over:]
	}
	k := min(len(h.backlog), h.s.o.maxLines)
	size := 64 + len(h.nodeKey)
	for _, l := range h.backlog[:k] {
		size += len(l) + 1
	}
	bp := h.s.bodies.get(size)
	defer h.s.bodies.put(bp)
	b := append(*bp, `{"node_key":`...)
	b = strconv.AppendQuote(b, h.nodeKey)
	b = append(b, `,"log_type":"result","data":[`...)
	for i, l := range h.backlog[:k] {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, l...)
	}
	b = append(b, `]}`...)
	*bp = b
	if h.post(ctx, "log", "/api/v1/osquery/log", b, h.s.o.compress, nil) {
		h.s.stats.rows.Add(int64(k))
		h.backlog = slices.Delete(h.backlog, 0, k) // and lets the sent lines go
	}
}

// status posts a status log batch, as osqueryd does when it has status
// lines to forward (a warning a minute or so on a busy host).
func (h *host) status(ctx context.Context, now time.Time) {
	line := osquery.StatusLine{HostIdentifier: h.id, Time: now, Severity: osquery.SeverityWarning, Filename: "scheduler.cpp", Line: 83,
		Message: "Executing scheduled query pack_incident-response_process_events: took longer than expected", Version: "5.12.1"}
	body := `{"node_key":` + strconv.Quote(h.nodeKey) + `,"log_type":"status","data":[` + string(line.JSON()) + `]}`
	h.post(ctx, "log_status", "/api/v1/osquery/log", []byte(body), h.s.o.compress, nil)
}

// processRow picks one of the run's process rows: building a fresh map per
// row cost the generator a tenth of its CPU, which the server then lacks.
func (h *host) processRow() osquery.Row {
	return h.s.processRows[h.rnd.IntN(len(h.s.processRows))]
}

// processRows returns n distinct-looking process rows.
func processRows(n int, rnd *rand.Rand, now time.Time) []osquery.Row {
	rows := make([]osquery.Row, n)
	for i := range rows {
		name := processNames[rnd.IntN(len(processNames))]
		rows[i] = osquery.Row{
			"pid": strconv.Itoa(100 + rnd.IntN(60000)), "name": name, "path": `C:\Windows\System32\` + name,
			"cmdline": name + " --type=renderer --field-trial-handle=1234", "uid": "0", "parent": strconv.Itoa(1 + rnd.IntN(5000)),
			"on_disk": "1", "resident_size": strconv.Itoa(1 << (20 + rnd.IntN(8))), "start_time": strconv.FormatInt(now.Unix()-rnd.Int64N(86400), 10),
		}
	}
	return rows
}
