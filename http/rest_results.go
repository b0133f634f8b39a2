package http

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/osaudit/osaudit"
)

// Scheduled-query results and status logs, searched with a ResultFilter.

// timeParam reads a time given as RFC 3339 or as Unix seconds.
func timeParam(r *http.Request, name string) (time.Time, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return time.Time{}, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, osaudit.Errorf(osaudit.EINVALID, "%s: want RFC 3339 (2006-01-02T15:04:05Z) or Unix seconds, got %q", name, s)
	}
	return t, nil
}

// resultFilter reads a ResultFilter from the query string, confined to
// the caller's scope.
func (a rest) resultFilter(r *http.Request, c *caller) (osaudit.ResultFilter, error) {
	var f osaudit.ResultFilter
	var err error
	if f.Page, err = pageOf(r); err != nil {
		return f, err
	}
	q := r.URL.Query()
	f.Name, f.Action, f.Search = q.Get("name"), q.Get("action"), q.Get("search")
	switch f.Action {
	case "", "added", "removed", "snapshot":
	default:
		return f, osaudit.Errorf(osaudit.EINVALID, "action: want added, removed or snapshot, got %q", f.Action)
	}
	if f.Since, err = timeParam(r, "since"); err != nil {
		return f, err
	}
	if f.Until, err = timeParam(r, "until"); err != nil {
		return f, err
	}
	if id, ok, err := a.customerFilter(r, c); err != nil {
		return f, err
	} else if ok {
		f.CustomerID = id
	}
	if c.Scope.Role != osaudit.RoleProviderAdmin {
		f.CustomerID = c.Scope.CustomerID
	}
	if s := q.Get("host_id"); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return f, osaudit.Errorf(osaudit.EINVALID, "host_id: want a host id, got %q", s)
		}
		f.HostID = id
	}
	if ref := q.Get("host"); ref != "" {
		ids, err := a.hostRefs(r.Context(), c, f.CustomerID, nil, []string{ref})
		if err != nil {
			return f, err
		}
		if len(ids) > 1 {
			return f, osaudit.Errorf(osaudit.EINVALID, "host %q names %d hosts; give host_id", ref, len(ids))
		}
		f.HostID = ids[0]
	}
	if f.HostID != 0 {
		h, err := a.Store.Host(r.Context(), f.HostID)
		if err == nil && (h.CustomerID == 0 || !c.Scope.Sees(h.CustomerID)) {
			err = osaudit.Errorf(osaudit.ENOTFOUND, "no host")
		}
		if osaudit.ErrorCode(err) == osaudit.ENOTFOUND {
			return f, osaudit.Errorf(osaudit.EINVALID, "unknown host id %d", f.HostID)
		}
		if err != nil {
			return f, fmt.Errorf("look up host %d: %w", f.HostID, err)
		}
	}
	return f, nil
}

func (a rest) listResults(w http.ResponseWriter, r *http.Request, c *caller) error {
	f, err := a.resultFilter(r, c)
	if err != nil {
		return err
	}
	limit := f.Limit
	f.Limit = min(limit+1, maxLimit)
	rows, err := a.Store.Results(r.Context(), f)
	if err != nil {
		return fmt.Errorf("search results: %w", err)
	}
	// The store filters by customer; this keeps a bug there from leaking.
	rows = filterSlice(rows, func(x *osaudit.ResultRow) bool { return x.CustomerID != 0 && c.Scope.Sees(x.CustomerID) })
	var next int64
	if len(rows) > limit || len(rows) == maxLimit && limit == maxLimit {
		rows = rows[:limit]
		next = rows[len(rows)-1].ID
	}
	return writeList(w, rows, next)
}

func (a rest) listStatuses(w http.ResponseWriter, r *http.Request, c *caller) error {
	f, err := a.resultFilter(r, c)
	if err != nil {
		return err
	}
	limit := f.Limit
	f.Limit = min(limit+1, maxLimit)
	rows, err := a.Store.Statuses(r.Context(), f)
	if err != nil {
		return fmt.Errorf("search status logs: %w", err)
	}
	rows = filterSlice(rows, func(x *osaudit.StatusRow) bool { return x.CustomerID != 0 && c.Scope.Sees(x.CustomerID) })
	var next int64
	if len(rows) > limit || len(rows) == maxLimit && limit == maxLimit {
		rows = rows[:limit]
		next = rows[len(rows)-1].ID
	}
	return writeList(w, rows, next)
}
