// Command agentsim simulates a fleet of osquery agents against an osquery
// TLS server (osaudit-server, or any manager of the same API): each
// simulated host enrolls, fetches its config every --config_interval,
// polls distributed read every --distributed_interval, posts result logs
// every --log_interval and answers the distributed queries it gets (detail,
// label and live queries) as osqueryd would. It reports requests per
// second, p50/p95/p99 latency per endpoint, errors, and the CPU and memory
// of the server (--server_pid) and of itself.
//
// Every host keeps its own keep-alive TLS connection, as osqueryd does, so
// the server holds one connection per host. Where the open-files limit is
// below the host count, --hosts_per_conn hosts share one; a request's
// latency then leaves out its wait for the other host's request (osqueryd
// would not wait), which is reported on its own.
//
//	agentsim --dev_credentials osaudit-dev/dev-credentials.json --hosts 10000 --ramp 2m --duration 5m --server_pid $(pidof osaudit-server)
package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/osaudit/osaudit/client"
	"github.com/osaudit/osaudit/osquery"
)

type options struct {
	server, caFile, secret, apiToken string
	memProfile                       string
	insecure                         bool
	hosts, hostsPerConn              int
	ramp, duration                   time.Duration
	configEvery, readEvery, logEvery time.Duration
	liveEvery                        time.Duration
	liveHosts                        int
	rows                             float64
	maxLines                         int
	compress                         bool
	prefix                           string
	serverPID                        int
	jsonOut                          string
	progress                         time.Duration
	timeout                          time.Duration
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "agentsim:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o options
	fs := flag.NewFlagSet("agentsim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	creds := fs.String("dev_credentials", "", "dev-credentials.json of osaudit-server serve --dev: sets --server, --ca, --enroll_secret and --api_token")
	fs.StringVar(&o.server, "server", "", "server URL, e.g. https://127.0.0.1:8443")
	fs.StringVar(&o.caFile, "ca", "", "PEM certificate(s) to trust (the server's --tls_server_certs)")
	fs.BoolVar(&o.insecure, "insecure", false, "skip certificate verification")
	fs.StringVar(&o.secret, "enroll_secret", "", "enroll secret")
	fs.StringVar(&o.apiToken, "api_token", "", "REST API token, for --live_every")
	fs.IntVar(&o.hosts, "hosts", 1000, "simulated hosts")
	fs.IntVar(&o.hostsPerConn, "hosts_per_conn", 1, "hosts sharing one keep-alive connection (1 as osqueryd; more where the open-files limit is below the host count)")
	fs.DurationVar(&o.ramp, "ramp", time.Minute, "hosts start evenly over this time")
	fs.DurationVar(&o.duration, "duration", 5*time.Minute, "measured time after the ramp")
	fs.DurationVar(&o.configEvery, "config_interval", 60*time.Second, "config fetch interval (--config_refresh)")
	fs.DurationVar(&o.readEvery, "distributed_interval", 10*time.Second, "distributed read interval (--distributed_interval)")
	fs.DurationVar(&o.logEvery, "log_interval", 10*time.Second, "result log interval (--logger_tls_period)")
	fs.DurationVar(&o.liveEvery, "live_every", 0, "start a live query this often through the REST API (needs --api_token; 0: never)")
	fs.IntVar(&o.liveHosts, "live_hosts", 100, "hosts each live query targets")
	fs.Float64Var(&o.rows, "rows", 10, "mean result lines per log post (exponentially distributed; an hourly snapshot adds more)")
	fs.IntVar(&o.maxLines, "max_lines", 1024, "most lines in one log post (--logger_tls_max_lines)")
	fs.BoolVar(&o.compress, "compress", false, "gzip log bodies (--logger_tls_compress)")
	fs.StringVar(&o.prefix, "prefix", "sim", "host identifier prefix")
	fs.IntVar(&o.serverPID, "server_pid", 0, "pid of the server, to report its CPU and memory")
	fs.StringVar(&o.jsonOut, "json", "", "also write the report as JSON to this file")
	fs.DurationVar(&o.progress, "progress", 10*time.Second, "progress line interval on stderr (0: none)")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "request timeout")
	cpuProfile := fs.String("cpuprofile", "", "write the generator's CPU profile to this file")
	fs.StringVar(&o.memProfile, "memprofile", "", "write the generator's heap profile to this file at the end of the measured time")
	gogc := fs.Int("gogc", 400, "the generator's GOGC: memory is cheaper here than the CPU it shares with the server")
	if err := fs.Parse(args); err != nil {
		return err
	}
	debug.SetGCPercent(*gogc)
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if *creds != "" {
		if err := readCredentials(*creds, &o); err != nil {
			return err
		}
	}
	if o.server == "" || o.secret == "" {
		return errors.New("--server and --enroll_secret (or --dev_credentials) are required")
	}
	if o.hosts < 1 || o.hostsPerConn < 1 || o.readEvery <= 0 || o.logEvery <= 0 || o.configEvery <= 0 {
		return errors.New("--hosts and the intervals must be positive")
	}
	tlsConf, err := clientTLS(o.caFile, o.insecure)
	if err != nil {
		return err
	}
	sim := newSim(o, tlsConf)
	rep, err := sim.run(ctx, stderr)
	if err != nil {
		return err
	}
	rep.print(stdout)
	if o.jsonOut != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(o.jsonOut, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// readCredentials takes the server URL, CA, enroll secret and API token
// from serve --dev's credentials file; flags given explicitly win.
func readCredentials(path string, o *options) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var c struct {
		ServerURL    string `json:"server_url"`
		APIToken     string `json:"api_token"`
		EnrollSecret string `json:"enroll_secret"`
		CACert       string `json:"ca_cert"`
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	set := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	set(&o.server, c.ServerURL)
	set(&o.caFile, c.CACert)
	set(&o.secret, c.EnrollSecret)
	set(&o.apiToken, c.APIToken)
	return nil
}

func clientTLS(caFile string, insecure bool) (*tls.Config, error) {
	c, err := client.TLS{CAFile: caFile, Insecure: insecure}.Config()
	if err != nil {
		return nil, err
	}
	// Hosts reconnecting after an idle close resume their TLS session, as
	// osquery's client does.
	c.ClientSessionCache = tls.NewLRUClientSessionCache(1 << 16)
	return c, nil
}

// sim is the simulated fleet.
type sim struct {
	o     options
	tls   *tls.Config
	stats *stats
	// live counts live queries started through the REST API.
	live       atomic.Int64
	liveErrors atomic.Int64
	enrolled   atomic.Int64
	// processRows are the rows result lines are made of.
	processRows []osquery.Row
	// bodies and requests are buffers for log bodies and whole requests,
	// shared by the hosts: one per host or connection would hold the
	// largest body each ever sent.
	bodies, requests bufferPool
	// gzips are compressors for --compress: a fresh gzip.Writer per post
	// allocates ~800 KB and took the generator from 45% to 80% of a core.
	gzips gzipPool
}

func newSim(o options, tlsConf *tls.Config) *sim {
	return &sim{o: o, tls: tlsConf, stats: newStats(o.hostsPerConn > 1), processRows: processRows(4096, rand.New(rand.NewPCG(7, 42)), time.Now())}
}

// gzipPool hands out gzip writers with their output buffers.
type gzipPool struct{ p sync.Pool }

type gzipper struct {
	buf bytes.Buffer
	zw  *gzip.Writer
}

func (gp *gzipPool) get() *gzipper {
	if z, ok := gp.p.Get().(*gzipper); ok {
		return z
	}
	z := &gzipper{}
	z.zw = gzip.NewWriter(&z.buf)
	return z
}

func (gp *gzipPool) put(z *gzipper) {
	if z.buf.Cap() <= 1<<20 {
		gp.p.Put(z)
	}
}

// compress returns body gzipped, in z's buffer (valid until z goes back).
func (z *gzipper) compress(body []byte) []byte {
	z.buf.Reset()
	z.zw.Reset(&z.buf)
	z.zw.Write(body)
	z.zw.Close()
	return z.buf.Bytes()
}

// bufferPool hands out byte slices of at least the size asked for.
type bufferPool struct{ p sync.Pool }

func (bp *bufferPool) get(size int) *[]byte {
	if b, ok := bp.p.Get().(*[]byte); ok && cap(*b) >= size {
		*b = (*b)[:0]
		return b
	}
	b := make([]byte, 0, size)
	return &b
}

func (bp *bufferPool) put(b *[]byte) {
	if cap(*b) <= 1<<20 {
		bp.p.Put(b)
	}
}

// run starts the hosts over the ramp, resets the statistics when the ramp
// ends, measures for the duration, and stops.
func (s *sim) run(ctx context.Context, progress io.Writer) (*report, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sampler := newSampler(s.o.serverPID)
	go sampler.run(ctx, time.Second)

	var wg sync.WaitGroup
	start := time.Now()
	addr, host, err := serverAddr(s.o.server)
	if err != nil {
		return nil, err
	}
	var c *conn
	var conns []*conn
	for i := range s.o.hosts {
		if i%s.o.hostsPerConn == 0 {
			c = newConn(s, addr, host)
			conns = append(conns, c)
		}
		h := newHost(s, i, c)
		at := start.Add(time.Duration(int64(s.o.ramp) * int64(i) / int64(s.o.hosts)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.run(ctx, at)
		}()
	}
	if s.o.liveEvery > 0 {
		go s.liveQueries(ctx)
	}
	if s.o.progress > 0 {
		go s.report(ctx, progress, sampler)
	}
	select {
	case <-time.After(s.o.ramp):
	case <-ctx.Done():
	}
	rampStats := s.stats.reset()
	sampler.reset()
	scraper := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: s.tls}}
	histBefore := scrapeHistograms(ctx, scraper, s.o.server)
	measured := time.Now()
	select {
	case <-time.After(s.o.duration):
	case <-ctx.Done():
	}
	elapsed := time.Since(measured)
	rep := s.stats.report(elapsed)
	rep.Hosts = s.o.hosts
	rep.Enrolled = s.enrolled.Load()
	rep.Connections = (s.o.hosts + s.o.hostsPerConn - 1) / s.o.hostsPerConn
	rep.Ramp = s.o.ramp.String()
	rep.Duration = elapsed.Round(time.Second).String()
	rep.RampErrors = rampStats.errorCount()
	rep.LiveQueries = s.live.Load()
	rep.LiveErrors = s.liveErrors.Load()
	rep.Server, rep.Generator = sampler.summary()
	if hist := scrapeHistograms(ctx, scraper, s.o.server); len(hist) > 0 {
		rep.ServerLatency = hist.since(histBefore)
	}
	if s.o.memProfile != "" {
		if err := writeHeapProfile(s.o.memProfile); err != nil {
			return nil, err
		}
	}
	cancel()
	for _, c := range conns {
		c.interrupt()
	}
	wg.Wait()
	return rep, nil
}

// report prints a progress line every --progress.
func (s *sim) report(ctx context.Context, w io.Writer, sm *sampler) {
	t := time.NewTicker(s.o.progress)
	defer t.Stop()
	last := time.Now()
	var lastN, lastErr int64
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			n, errs := s.stats.totals()
			srv, gen := sm.latest()
			fmt.Fprintf(w, "%s enrolled=%d req/s=%.0f errors=%d p99(read)=%s server cpu=%.0f%% rss=%.0fMB generator cpu=%.0f%% lag p99=%s\n",
				now.Format("15:04:05"), s.enrolled.Load(), float64(n-lastN)/now.Sub(last).Seconds(), errs-lastErr,
				s.stats.recentP99("distributed_read"), srv.CPU, srv.RSSMB, gen.CPU, s.stats.lagP99())
			last, lastN, lastErr = now, n, errs
		}
	}
}

// liveSQL is the live query agentsim runs: the Graylog alert "a process
// whose binary is not on disk".
const liveSQL = "SELECT pid, name, path FROM processes WHERE on_disk = 0"

// liveQueries starts a live query on --live_hosts hosts through the REST API
// every --live_every, as an operator would.
func (s *sim) liveQueries(ctx context.Context) {
	c := &http.Client{Timeout: s.o.timeout, Transport: &http.Transport{TLSClientConfig: s.tls}}
	t := time.NewTicker(s.o.liveEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n := int(min(s.enrolled.Load(), int64(s.o.liveHosts)))
		if n == 0 {
			continue
		}
		hosts := make([]string, n)
		for i, j := range rand.Perm(n) {
			hosts[i] = hostIdentifier(s.o.prefix, j*int(s.enrolled.Load())/n)
		}
		body, _ := json.Marshal(map[string]any{"query": liveSQL, "hosts": hosts, "ttl": 120})
		req, _ := http.NewRequestWithContext(ctx, "POST", strings.TrimSuffix(s.o.server, "/")+"/api/v1/campaigns", strings.NewReader(string(body)))
		req.Header.Set("Authorization", "Bearer "+s.o.apiToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := c.Do(req)
		if err != nil {
			s.liveErrors.Add(1)
			continue
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			s.liveErrors.Add(1)
			continue
		}
		s.live.Add(1)
	}
}

// jitter returns d scaled by a random factor in [1-f, 1+f].
func jitter(r *rand.Rand, d time.Duration, f float64) time.Duration {
	return time.Duration(float64(d) * (1 - f + 2*f*r.Float64()))
}

// writeHeapProfile writes the live heap as of now (after a collection).
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC()
	return errors.Join(pprof.WriteHeapProfile(f), f.Close())
}
