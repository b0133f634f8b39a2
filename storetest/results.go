package storetest

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/osaudit/osaudit"
)

// resultFixture stores rows over two customers and three hosts.
type resultFixture struct {
	a, b       *osaudit.Customer
	a1, a2, b1 *osaudit.Host
	rows       []*osaudit.ResultRow
	t0         int64
}

func newResultFixture(t *testing.T, s osaudit.Store) *resultFixture {
	f := &resultFixture{a: newCustomer(t, s, "acme"), b: newCustomer(t, s, "globex")}
	f.a1, f.a2 = newHost(t, s, f.a.ID, "a1"), newHost(t, s, f.a.ID, "a2")
	f.b1 = newHost(t, s, f.b.ID, "b1")
	f.t0 = time.Now().Add(-time.Hour).Unix()
	hosts := []*osaudit.Host{f.a1, f.a2, f.b1}
	names := []string{"pack/ir/processes", "pack/ir/listening_ports", "users"}
	var batch []*osaudit.ResultRow
	for i := range 60 {
		h := hosts[i%3]
		action := "added"
		if i%4 == 3 {
			action = "removed"
		}
		batch = append(batch, &osaudit.ResultRow{
			CustomerID: h.CustomerID, HostID: h.ID, Name: names[(i/3)%3], Action: action,
			UnixTime: f.t0 + int64(i/2), // pairs share a second
			Epoch:    1, Counter: int64(i),
			Columns:     map[string]string{"pid": fmt.Sprint(1000 + i), "name": fmt.Sprintf("proc-%d", i), "path": "/usr/bin/x"},
			Decorations: map[string]string{"host_uuid": h.Identifier},
		})
		if len(batch) == 25 {
			must(t, "insert results", s.InsertResults(ctx, batch))
			f.rows = append(f.rows, batch...)
			batch = nil
		}
	}
	must(t, "insert results", s.InsertResults(ctx, batch))
	f.rows = append(f.rows, batch...)
	// Query runs, as osquery logs them: a run's rows share the name, time,
	// epoch, counter and decorations, and come one after another with
	// added and removed mixed. In one run the decorations change midway,
	// in another the columns (a store may keep a run's rows together).
	batch = nil
	for k := range 6 {
		h := hosts[k%3]
		deco := map[string]string{"host_uuid": h.Identifier}
		for j := range 5 {
			action := "added"
			if j%3 == 1 {
				action = "removed"
			}
			cols := map[string]string{"pid": fmt.Sprint(2000 + 10*k + j), "name": fmt.Sprintf("run-%d-%d", k, j), "path": "/usr/bin/y"}
			switch {
			case k == 4 && j >= 4:
				deco = map[string]string{"host_uuid": h.Identifier, "hostname": "renamed"}
			case k == 5 && j >= 3:
				cols["cwd"] = "/"
			}
			batch = append(batch, &osaudit.ResultRow{
				CustomerID: h.CustomerID, HostID: h.ID, Name: names[k%3], Action: action,
				UnixTime: f.t0 + 5 + int64(4*k), Epoch: 1, Counter: int64(100 + k), Columns: cols, Decorations: deco,
			})
		}
	}
	must(t, "insert result runs", s.InsertResults(ctx, batch))
	f.rows = append(f.rows, batch...)
	return f
}

// ordered returns the rows matching keep in (UnixTime, ID) order.
func (f *resultFixture) ordered(keep func(r *osaudit.ResultRow) bool) []int64 {
	var rs []*osaudit.ResultRow
	for _, r := range f.rows {
		if keep(r) {
			rs = append(rs, r)
		}
	}
	sort.Slice(rs, func(i, j int) bool {
		if rs[i].UnixTime != rs[j].UnixTime {
			return rs[i].UnixTime < rs[j].UnixTime
		}
		return rs[i].ID < rs[j].ID
	})
	return resultIDs(rs)
}

func resultIDs(rs []*osaudit.ResultRow) []int64 {
	return ids(rs, func(r *osaudit.ResultRow) int64 { return r.ID })
}

func testResults(t *testing.T, s osaudit.Store) {
	f := newResultFixture(t, s)
	seen := map[int64]bool{}
	for _, r := range f.rows {
		if r.ID <= 0 || seen[r.ID] {
			t.Fatalf("InsertResults set ID %d (zero or repeated)", r.ID)
		}
		seen[r.ID] = true
	}
	got, err := s.Results(ctx, osaudit.ResultFilter{HostID: f.a1.ID, Page: osaudit.Page{Limit: 1000}})
	must(t, "results", err)
	byID := map[int64]*osaudit.ResultRow{}
	for _, r := range f.rows {
		byID[r.ID] = r
	}
	var want []*osaudit.ResultRow
	for _, id := range f.ordered(func(r *osaudit.ResultRow) bool { return r.HostID == f.a1.ID }) {
		want = append(want, byID[id])
	}
	diff(t, "a host's rows", got, want)

	since := time.Unix(f.t0+10, 0)
	until := time.Unix(f.t0+20, 0)
	for _, tc := range []struct {
		name string
		f    osaudit.ResultFilter
		keep func(r *osaudit.ResultRow) bool
	}{
		{"all", osaudit.ResultFilter{}, func(r *osaudit.ResultRow) bool { return true }},
		{"customer", osaudit.ResultFilter{CustomerID: f.a.ID}, func(r *osaudit.ResultRow) bool { return r.CustomerID == f.a.ID }},
		{"other customer", osaudit.ResultFilter{CustomerID: f.b.ID}, func(r *osaudit.ResultRow) bool { return r.CustomerID == f.b.ID }},
		{"host", osaudit.ResultFilter{HostID: f.a2.ID}, func(r *osaudit.ResultRow) bool { return r.HostID == f.a2.ID }},
		{"host of another customer", osaudit.ResultFilter{CustomerID: f.a.ID, HostID: f.b1.ID}, func(r *osaudit.ResultRow) bool { return false }},
		{"name", osaudit.ResultFilter{Name: "users"}, func(r *osaudit.ResultRow) bool { return r.Name == "users" }},
		{"customer and name", osaudit.ResultFilter{CustomerID: f.b.ID, Name: "users"}, func(r *osaudit.ResultRow) bool {
			return r.CustomerID == f.b.ID && r.Name == "users"
		}},
		{"host and name", osaudit.ResultFilter{HostID: f.a1.ID, Name: "pack/ir/processes"}, func(r *osaudit.ResultRow) bool {
			return r.HostID == f.a1.ID && r.Name == "pack/ir/processes"
		}},
		{"action", osaudit.ResultFilter{Action: "removed"}, func(r *osaudit.ResultRow) bool { return r.Action == "removed" }},
		{"since", osaudit.ResultFilter{Since: since}, func(r *osaudit.ResultRow) bool { return r.UnixTime >= f.t0+10 }},
		{"until", osaudit.ResultFilter{Until: until}, func(r *osaudit.ResultRow) bool { return r.UnixTime < f.t0+20 }},
		{"customer since until", osaudit.ResultFilter{CustomerID: f.a.ID, Since: since, Until: until}, func(r *osaudit.ResultRow) bool {
			return r.CustomerID == f.a.ID && r.UnixTime >= f.t0+10 && r.UnixTime < f.t0+20
		}},
		{"bounds within a second", osaudit.ResultFilter{Since: since.Add(time.Millisecond), Until: until.Add(time.Millisecond)}, func(r *osaudit.ResultRow) bool {
			return r.UnixTime > f.t0+10 && r.UnixTime <= f.t0+20
		}},
		{"search", osaudit.ResultFilter{Search: "proc-1"}, func(r *osaudit.ResultRow) bool {
			n := r.Columns["name"]
			return n == "proc-1" || len(n) == 7 && n[:6] == "proc-1"
		}},
		{"search ignores ASCII case", osaudit.ResultFilter{CustomerID: f.b.ID, Search: "PROC-2"}, func(r *osaudit.ResultRow) bool {
			n := r.Columns["name"]
			return r.CustomerID == f.b.ID && (n == "proc-2" || len(n) == 7 && n[:6] == "proc-2")
		}},
		{"search matches values, not keys", osaudit.ResultFilter{Search: "pid"}, func(r *osaudit.ResultRow) bool { return false }},
		{"search percent is literal", osaudit.ResultFilter{Search: "%"}, func(r *osaudit.ResultRow) bool { return false }},
		{"search across the JSON", osaudit.ResultFilter{Search: `x","pid`}, func(r *osaudit.ResultRow) bool { return false }},
		{"search path", osaudit.ResultFilter{HostID: f.b1.ID, Search: "/usr/bin"}, func(r *osaudit.ResultRow) bool { return r.HostID == f.b1.ID }},
		{"search within a run", osaudit.ResultFilter{Search: "RUN-4-"}, func(r *osaudit.ResultRow) bool { return strings.HasPrefix(r.Columns["name"], "run-4-") }},
		{"action within runs", osaudit.ResultFilter{Action: "removed", Search: "run-"}, func(r *osaudit.ResultRow) bool {
			return r.Action == "removed" && strings.HasPrefix(r.Columns["name"], "run-")
		}},
		{"action in values only", osaudit.ResultFilter{Action: "run-1-1"}, func(r *osaudit.ResultRow) bool { return false }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs, err := s.Results(ctx, tc.f)
			must(t, "results", err)
			want := f.ordered(tc.keep)
			diff(t, "result IDs", resultIDs(rs), want, cmpopts.EquateEmpty())
		})
	}

	for _, tc := range []struct {
		name string
		rows []*osaudit.ResultRow
	}{
		{"no host", []*osaudit.ResultRow{{CustomerID: f.a.ID, Name: "q", Columns: map[string]string{}}}},
		{"no customer", []*osaudit.ResultRow{{HostID: f.a1.ID, Name: "q", Columns: map[string]string{}}}},
		{"no name", []*osaudit.ResultRow{{CustomerID: f.a.ID, HostID: f.a1.ID, Columns: map[string]string{}}}},
		{"nil row", []*osaudit.ResultRow{nil}},
		{"one bad row in a batch", []*osaudit.ResultRow{{CustomerID: f.a.ID, HostID: f.a1.ID, Name: "q", UnixTime: 1}, {CustomerID: f.a.ID, Name: "q"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code(t, "insert", s.InsertResults(ctx, tc.rows), osaudit.EINVALID)
		})
	}
	must(t, "insert nothing", s.InsertResults(ctx, nil))
	rs, err := s.Results(ctx, osaudit.ResultFilter{Page: osaudit.Page{Limit: 1000}})
	must(t, "results", err)
	if len(rs) != len(f.rows) {
		t.Errorf("after failed inserts: %d rows, want %d", len(rs), len(f.rows))
	}
	// Nil maps are stored as empty.
	empty := &osaudit.ResultRow{CustomerID: f.a.ID, HostID: f.a1.ID, Name: "empty", Action: "snapshot", UnixTime: f.t0}
	must(t, "insert", s.InsertResults(ctx, []*osaudit.ResultRow{empty}))
	rs, err = s.Results(ctx, osaudit.ResultFilter{Name: "empty"})
	must(t, "results", err)
	if len(rs) != 1 || len(rs[0].Columns) != 0 || len(rs[0].Decorations) != 0 {
		t.Errorf("row without columns came back as %+v", rs)
	}
	_, err = s.Results(ctx, osaudit.ResultFilter{Page: osaudit.Page{Limit: -1}})
	code(t, "negative limit", err, osaudit.EINVALID)

	// A query's columns may change from row to row (a new osquery version
	// adds a column; snapshot rows of different shapes).
	var mixed []*osaudit.ResultRow
	for i, cols := range []map[string]string{
		{"a": "1", "b": "2"}, {"a": "3"}, {"a": "4", "b": "5"}, {}, {"b": "6", "c": "7"}, {"a": "8", "b": "9"}, nil, {"a": ""},
	} {
		mixed = append(mixed, &osaudit.ResultRow{CustomerID: f.a.ID, HostID: f.a2.ID, Name: "mixed", Action: "added", UnixTime: f.t0 + int64(i), Columns: cols})
	}
	must(t, "insert", s.InsertResults(ctx, mixed))
	rs, err = s.Results(ctx, osaudit.ResultFilter{Name: "mixed"})
	must(t, "results", err)
	if len(rs) != len(mixed) {
		t.Fatalf("%d mixed rows, want %d", len(rs), len(mixed))
	}
	for i, r := range rs {
		diff(t, fmt.Sprint("mixed row ", i), r.Columns, mixed[i].Columns, cmpopts.EquateEmpty())
	}
}

func testResultsPagination(t *testing.T, s osaudit.Store) {
	f := newResultFixture(t, s)
	// Rows that arrive late, with older times, sort among their time.
	late := []*osaudit.ResultRow{
		{CustomerID: f.a.ID, HostID: f.a1.ID, Name: "late", Action: "added", UnixTime: f.t0 + 3, Columns: map[string]string{"x": "1"}},
		{CustomerID: f.a.ID, HostID: f.a1.ID, Name: "late", Action: "added", UnixTime: f.t0 - 100, Columns: map[string]string{"x": "2"}},
	}
	must(t, "insert", s.InsertResults(ctx, late))
	f.rows = append(f.rows, late...)
	for _, tc := range []struct {
		name string
		f    osaudit.ResultFilter
		keep func(r *osaudit.ResultRow) bool
	}{
		{"all", osaudit.ResultFilter{}, func(r *osaudit.ResultRow) bool { return true }},
		{"customer", osaudit.ResultFilter{CustomerID: f.a.ID}, func(r *osaudit.ResultRow) bool { return r.CustomerID == f.a.ID }},
		{"host", osaudit.ResultFilter{HostID: f.a1.ID}, func(r *osaudit.ResultRow) bool { return r.HostID == f.a1.ID }},
		{"name since", osaudit.ResultFilter{Name: "users", Since: time.Unix(f.t0+5, 0)}, func(r *osaudit.ResultRow) bool {
			return r.Name == "users" && r.UnixTime >= f.t0+5
		}},
	} {
		for _, limit := range []int{1, 2, 7, 0} {
			t.Run(fmt.Sprintf("%s limit %d", tc.name, limit), func(t *testing.T) {
				var got []int64
				flt := tc.f
				flt.Limit = limit
				for range 200 {
					rs, err := s.Results(ctx, flt)
					must(t, "results", err)
					if limit > 0 && len(rs) > limit {
						t.Fatalf("page of %d rows with limit %d", len(rs), limit)
					}
					if len(rs) == 0 {
						break
					}
					got = append(got, resultIDs(rs)...)
					flt.After = rs[len(rs)-1].ID
				}
				diff(t, "paged result IDs", got, f.ordered(tc.keep))
			})
		}
	}
}

func testStatuses(t *testing.T, s osaudit.Store) {
	a := newCustomer(t, s, "acme")
	b := newCustomer(t, s, "globex")
	a1, b1 := newHost(t, s, a.ID, "a1"), newHost(t, s, b.ID, "b1")
	t0 := micro(time.Now().Add(-time.Hour)).UTC()
	var rows []*osaudit.StatusRow
	for i := range 30 {
		h := a1
		if i%3 == 0 {
			h = b1
		}
		rows = append(rows, &osaudit.StatusRow{CustomerID: h.CustomerID, HostID: h.ID, Time: t0.Add(time.Duration(i/2) * time.Second),
			Severity: i % 3, Filename: "scheduler.cpp", Line: 83 + i, Message: fmt.Sprintf("Executing scheduled query %d", i), Version: "5.23.1"})
	}
	must(t, "insert status", s.InsertStatus(ctx, rows))
	for _, r := range rows {
		if r.ID <= 0 {
			t.Fatalf("InsertStatus set ID %d", r.ID)
		}
	}
	order := func(keep func(r *osaudit.StatusRow) bool) []*osaudit.StatusRow {
		var out []*osaudit.StatusRow
		for _, r := range rows {
			if keep(r) {
				out = append(out, r)
			}
		}
		sort.SliceStable(out, func(i, j int) bool {
			if !out[i].Time.Equal(out[j].Time) {
				return out[i].Time.Before(out[j].Time)
			}
			return out[i].ID < out[j].ID
		})
		return out
	}
	for _, tc := range []struct {
		name string
		f    osaudit.ResultFilter
		keep func(r *osaudit.StatusRow) bool
	}{
		{"all", osaudit.ResultFilter{}, func(r *osaudit.StatusRow) bool { return true }},
		{"customer", osaudit.ResultFilter{CustomerID: a.ID}, func(r *osaudit.StatusRow) bool { return r.CustomerID == a.ID }},
		{"host", osaudit.ResultFilter{HostID: b1.ID}, func(r *osaudit.StatusRow) bool { return r.HostID == b1.ID }},
		{"host of another customer", osaudit.ResultFilter{CustomerID: a.ID, HostID: b1.ID}, func(r *osaudit.StatusRow) bool { return false }},
		{"since until", osaudit.ResultFilter{Since: t0.Add(3 * time.Second), Until: t0.Add(6 * time.Second)}, func(r *osaudit.StatusRow) bool {
			return !r.Time.Before(t0.Add(3*time.Second)) && r.Time.Before(t0.Add(6*time.Second))
		}},
		{"search", osaudit.ResultFilter{Search: "query 2"}, func(r *osaudit.StatusRow) bool {
			return r.Line == 85 || r.Line >= 103 && r.Line <= 112
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.Statuses(ctx, tc.f)
			must(t, "statuses", err)
			diff(t, "statuses", got, order(tc.keep), cmpopts.EquateEmpty())
		})
	}
	// Pagination.
	var got []*osaudit.StatusRow
	flt := osaudit.ResultFilter{CustomerID: a.ID, Page: osaudit.Page{Limit: 4}}
	for range 50 {
		page, err := s.Statuses(ctx, flt)
		must(t, "statuses", err)
		if len(page) == 0 {
			break
		}
		got = append(got, page...)
		flt.After = page[len(page)-1].ID
	}
	diff(t, "paged statuses", got, order(func(r *osaudit.StatusRow) bool { return r.CustomerID == a.ID }))

	code(t, "no host", s.InsertStatus(ctx, []*osaudit.StatusRow{{CustomerID: a.ID}}), osaudit.EINVALID)
	code(t, "nil", s.InsertStatus(ctx, []*osaudit.StatusRow{nil}), osaudit.EINVALID)
	must(t, "nothing", s.InsertStatus(ctx, nil))
}

func testPruneResults(t *testing.T, s osaudit.Store) {
	f := newResultFixture(t, s)
	t0 := time.Unix(f.t0, 0)
	st := []*osaudit.StatusRow{
		{CustomerID: f.a.ID, HostID: f.a1.ID, Time: t0.Add(-time.Second), Message: "old"},
		{CustomerID: f.b.ID, HostID: f.b1.ID, Time: t0.Add(time.Hour), Message: "new"},
	}
	must(t, "insert status", s.InsertStatus(ctx, st))
	cut := time.Unix(f.t0+10, 0)
	var old int64
	for _, r := range f.rows {
		if r.UnixTime < f.t0+10 {
			old++
		}
	}
	n, err := s.PruneResults(ctx, cut)
	must(t, "prune", err)
	if n != old+1 {
		t.Errorf("PruneResults deleted %d rows, want %d results and 1 status", n, old)
	}
	rs, err := s.Results(ctx, osaudit.ResultFilter{Page: osaudit.Page{Limit: 1000}})
	must(t, "results", err)
	diff(t, "rows left", resultIDs(rs), f.ordered(func(r *osaudit.ResultRow) bool { return r.UnixTime >= f.t0+10 }))
	ss, err := s.Statuses(ctx, osaudit.ResultFilter{})
	must(t, "statuses", err)
	if len(ss) != 1 || ss[0].Message != "new" {
		t.Errorf("statuses left: %+v", ss)
	}
	n, err = s.PruneResults(ctx, cut)
	must(t, "prune again", err)
	if n != 0 {
		t.Errorf("pruning again deleted %d rows", n)
	}
}
