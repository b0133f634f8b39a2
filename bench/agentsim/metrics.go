package main

import (
	"bufio"
	"context"
	"io"
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// serverHistograms are the server's request latency histograms by route,
// from its /metrics: cumulative counts by upper bound in seconds.
type serverHistograms map[string]map[float64]float64

const latencyMetric = "osaudit_http_request_duration_seconds_bucket{"

// scrapeHistograms reads the latency histograms of osaudit-server's
// /metrics; another server gives an empty set.
func scrapeHistograms(ctx context.Context, c *http.Client, server string) serverHistograms {
	req, err := http.NewRequestWithContext(ctx, "GET", server+"/metrics", nil)
	if err != nil {
		return nil
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	return parseHistograms(resp.Body)
}

func parseHistograms(r io.Reader) serverHistograms {
	h := serverHistograms{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), latencyMetric)
		if !ok {
			continue
		}
		labels, value, ok := strings.Cut(line, "} ")
		if !ok {
			continue
		}
		var route, le string
		for _, kv := range strings.Split(labels, ",") {
			k, v, _ := strings.Cut(kv, "=")
			v, err := strconv.Unquote(v)
			if err != nil {
				continue
			}
			switch k {
			case "route":
				route = v
			case "le":
				le = v
			}
		}
		bound, err1 := strconv.ParseFloat(le, 64) // "+Inf" parses as +Inf
		n, err2 := strconv.ParseFloat(value, 64)
		if route == "" || err1 != nil || err2 != nil {
			continue
		}
		if h[route] == nil {
			h[route] = map[float64]float64{}
		}
		h[route][bound] = n
	}
	return h
}

// serverLatency is a route's latency as the server measured it over the
// measurement: p99 as the histogram bucket that holds it.
type serverLatency struct {
	Requests int64 `json:"requests"`
	P50LE    ms    `json:"p50_le_ms"`
	P99LE    ms    `json:"p99_le_ms"` // -1: above the largest bucket
}

// since returns each route's latency between an earlier scrape and h.
func (h serverHistograms) since(before serverHistograms) map[string]serverLatency {
	out := map[string]serverLatency{}
	for route, buckets := range h {
		bounds := slices.Sorted(maps.Keys(buckets))
		total := buckets[math.Inf(1)] - before[route][math.Inf(1)]
		if total <= 0 {
			continue
		}
		quantile := func(q float64) ms {
			for _, b := range bounds {
				if buckets[b]-before[route][b] >= q*total {
					if math.IsInf(b, 1) {
						return -1
					}
					return ms(b * 1000)
				}
			}
			return -1
		}
		out[route] = serverLatency{Requests: int64(total), P50LE: quantile(0.5), P99LE: quantile(0.99)}
	}
	return out
}
