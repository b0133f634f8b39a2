package sqlite

import (
	"context"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/osaudit/osaudit"
)

// The benchmarks model the target load: 20,000 hosts of 50 customers
// posting results every 10 s, which the server groups into batches of
// 500 rows. Each row carries ~300 bytes of columns, like a processes row.

const (
	benchHosts     = 20000
	benchCustomers = 50
	benchBatch     = 500
)

var benchNames = []string{
	"pack/incident-response/processes", "pack/incident-response/listening_ports",
	"pack/incident-response/logged_in_users", "pack/ossec-rootkit/x", "pack/hardware/usb_devices",
	"pack/osquery-monitoring/schedule", "pack/vuln-management/deb_packages", "pack/it-compliance/os_version",
	"pack/incident-response/shell_history", "pack/incident-response/crontab",
}

// benchRow returns a realistic result row for host i at time t, of the
// query run named name, counter.
func benchRow(rng *rand.Rand, i int, t int64, name string, counter int64) *osaudit.ResultRow {
	pid := rng.IntN(60000)
	return &osaudit.ResultRow{
		CustomerID: int64(i%benchCustomers) + 1,
		HostID:     int64(i) + 1,
		Name:       name,
		Action:     []string{"added", "removed"}[rng.IntN(2)],
		UnixTime:   t,
		Epoch:      0,
		Counter:    counter,
		Columns: map[string]string{
			"pid":        fmt.Sprint(pid),
			"name":       "sshd",
			"path":       "/usr/sbin/sshd",
			"cmdline":    fmt.Sprintf("sshd: admin@pts/%d [priv] -o AuthorizedKeysCommand=/usr/bin/sss", rng.IntN(9)),
			"uid":        "0",
			"gid":        "0",
			"euid":       "0",
			"state":      "S",
			"on_disk":    "1",
			"parent":     fmt.Sprint(rng.IntN(60000)),
			"start_time": fmt.Sprint(t - int64(rng.IntN(86400))),
			"cwd":        "/",
			"root":       "/",
		},
		Decorations: map[string]string{"host_uuid": fmt.Sprintf("4C4C4544-0042-3510-8052-%012d", i)},
	}
}

// benchRequest is how many rows one agent's log request carries: the
// load target's mean (bench/agentsim --rows).
const benchRequest = 10

// benchBatches makes n batches of benchBatch rows; each batch groups the
// requests of benchBatch/benchRequest random hosts, as the server does.
// A request's rows are one query run's (osquery logs a run's added and
// removed rows together, with one name, time and counter).
func benchBatches(n int, t0 int64) [][]*osaudit.ResultRow {
	rng := rand.New(rand.NewPCG(1, 2))
	out := make([][]*osaudit.ResultRow, n)
	for b := range out {
		rows := make([]*osaudit.ResultRow, 0, benchBatch)
		for len(rows) < benchBatch {
			host := rng.IntN(benchHosts)
			name, counter := benchNames[rng.IntN(len(benchNames))], int64(rng.IntN(1000))
			for range benchRequest {
				rows = append(rows, benchRow(rng, host, t0+int64(b), name, counter))
			}
		}
		out[b] = rows
	}
	return out
}

// BenchmarkInsertResults measures ingest: rows/s for 500-row batches, on
// an empty table and on one that already holds a million rows (deeper
// indexes, less of them cached), with synchronous FULL and NORMAL.
func BenchmarkInsertResults(b *testing.B) {
	for _, prefill := range []int{0, 1_000_000} {
		for _, sync := range []string{"FULL", "NORMAL"} {
			b.Run(fmt.Sprintf("prefill=%d/sync=%s", prefill, sync), func(b *testing.B) {
				if prefill > 0 && testing.Short() {
					b.Skip("prefill takes a while")
				}
				s := openTemp(b, Options{Synchronous: sync})
				defer s.Close()
				ctx := context.Background()
				t0 := time.Now().Unix() - 86400
				for _, batch := range benchBatches(prefill/benchBatch, t0) {
					if err := s.InsertResults(ctx, batch); err != nil {
						b.Fatal(err)
					}
				}
				batches := benchBatches(256, t0+86400)
				b.ResetTimer()
				cpu := cpuTime()
				var lat []time.Duration
				for i := 0; b.Loop(); i++ {
					batch := batches[i%len(batches)]
					start := time.Now()
					if err := s.InsertResults(ctx, batch); err != nil {
						b.Fatal(err)
					}
					lat = append(lat, time.Since(start))
				}
				reportRows(b, b.N*benchBatch, cpuTime()-cpu)
				reportLatency(b, lat)
			})
		}
	}
}

// BenchmarkInsertResultsConcurrent measures ingest when the server calls
// InsertResults once per agent request (benchRequest rows) from many goroutines at
// once: the store's group commit shares transactions among them.
func BenchmarkInsertResultsConcurrent(b *testing.B) {
	for _, sync := range []string{"FULL", "NORMAL"} {
		b.Run("sync="+sync, func(b *testing.B) {
			s := openTemp(b, Options{Synchronous: sync})
			defer s.Close()
			ctx := context.Background()
			var requests [][]*osaudit.ResultRow
			for _, batch := range benchBatches(64, time.Now().Unix()) {
				for i := 0; i < len(batch); i += benchRequest {
					requests = append(requests, batch[i:i+benchRequest])
				}
			}
			var next atomic.Int64
			b.SetParallelism(32) // 64 callers on 2 CPUs
			b.ResetTimer()
			cpu := cpuTime()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					rows := requests[int(next.Add(1))%len(requests)]
					if err := s.InsertResults(ctx, rows); err != nil {
						b.Error(err)
						return
					}
				}
			})
			reportRows(b, b.N*benchRequest, cpuTime()-cpu)
		})
	}
}

// reportRows reports rows/s of wall time and CPU µs per row.
func reportRows(b *testing.B, rows int, cpu time.Duration) {
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
	if cpu > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/float64(rows), "cpu-µs/row")
	}
}

// reportLatency reports the p99 and the maximum of a call's latencies
// (checkpoints show up there).
func reportLatency(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
}

// benchHostsStore returns a store with benchHosts hosts.
func benchHostsStore(b *testing.B) (*Store, []int64) {
	s := openTemp(b, Options{})
	ctx := context.Background()
	var ids []int64
	for c := range benchCustomers {
		if err := s.CreateCustomer(ctx, &osaudit.Customer{Name: fmt.Sprint("customer-", c)}); err != nil {
			b.Fatal(err)
		}
	}
	// Enrol through one transaction per 1000 hosts: EnrollHost is one
	// transaction per host, which would make the setup slow.
	platforms := []string{"ubuntu", "rhel", "windows", "darwin", "debian"}
	for i := range benchHosts {
		k := sha256.Sum256(fmt.Append(nil, "host", i))
		h := &osaudit.Host{CustomerID: int64(i%benchCustomers) + 1, Identifier: fmt.Sprintf("host-%05d", i), NodeKeyHash: k[:],
			Hostname: fmt.Sprintf("host-%05d.example", i), Platform: platforms[i%len(platforms)], OSName: "Ubuntu", OSVersion: "22.04",
			Details: map[string][]map[string]string{"os_version": {{"name": "Ubuntu", "version": "22.04.4 LTS"}}}}
		if err := s.EnrollHost(ctx, h); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, h.ID)
	}
	return s, ids
}

// BenchmarkTouchHosts measures recording last-seen times of all 20,000
// hosts in one call (what the server flushes every few seconds).
func BenchmarkTouchHosts(b *testing.B) {
	s, ids := benchHostsStore(b)
	defer s.Close()
	ctx := context.Background()
	now := time.Now()
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; b.Loop(); i++ {
		seen := make(map[int64]time.Time, len(ids))
		at := now.Add(time.Duration(i) * time.Second)
		for _, id := range ids {
			seen[id] = at
		}
		if err := s.TouchHosts(ctx, seen); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(ids))/b.Elapsed().Seconds(), "hosts/s")
	b.ReportMetric(float64((cpuTime()-cpu).Nanoseconds())/1000/float64(b.N*len(ids)), "cpu-µs/host")
}

// BenchmarkHostAuth measures loading all 20,000 hosts' auth data.
func BenchmarkHostAuth(b *testing.B) {
	s, ids := benchHostsStore(b)
	defer s.Close()
	ctx := context.Background()
	b.ResetTimer()
	cpu := cpuTime()
	for b.Loop() {
		hs, err := s.HostAuth(ctx)
		if err != nil || len(hs) != len(ids) {
			b.Fatal(len(hs), err)
		}
	}
	b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

// BenchmarkCountHosts measures the dashboard's count over 20,000 hosts.
func BenchmarkCountHosts(b *testing.B) {
	s, _ := benchHostsStore(b)
	defer s.Close()
	ctx := context.Background()
	since := time.Now().Add(-time.Minute)
	for _, customer := range []int64{0, 1} {
		b.Run(fmt.Sprint("customer=", customer), func(b *testing.B) {
			for b.Loop() {
				if _, err := s.CountHosts(ctx, customer, since); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkResults measures the REST searches over a million rows: a
// host's latest page, a customer's page in a time range, and a search.
func BenchmarkResults(b *testing.B) {
	s := openTemp(b, Options{Synchronous: "NORMAL"})
	defer s.Close()
	ctx := context.Background()
	t0 := time.Now().Unix() - 86400
	for _, batch := range benchBatches(2000, t0) {
		if err := s.InsertResults(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name string
		f    osaudit.ResultFilter
	}{
		{"host", osaudit.ResultFilter{HostID: 42}},
		{"customer-range", osaudit.ResultFilter{CustomerID: 7, Since: time.Unix(t0+1000, 0), Until: time.Unix(t0+1100, 0)}},
		{"name-since", osaudit.ResultFilter{Name: benchNames[3], Since: time.Unix(t0+1500, 0)}},
		{"provider-all", osaudit.ResultFilter{}},
		{"customer-search", osaudit.ResultFilter{CustomerID: 7, Search: "pts/3"}},
		{"search-miss", osaudit.ResultFilter{CustomerID: 7, Search: "no such text"}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := s.Results(ctx, tc.f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
