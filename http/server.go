// Package http is osaudit-server's HTTP side: the osquery TLS remote API
// that agents call, the REST API that osauditctl and the portal call, and
// the operational endpoints (/healthz, /metrics). It adapts net/http to the
// manager and the store.
package http

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/osaudit/osaudit"
	"github.com/osaudit/osaudit/manager"
)

// Server serves the manager over HTTP.
type Server struct {
	Manager *manager.Manager
	Store   osaudit.Store
	Logger  *slog.Logger
	Now     func() time.Time

	metrics *metrics // request counts and latencies, by route (ops.go)

	streams streams // open live-query event streams (rest_campaigns.go)
}

// Handler returns the server's routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	s.registerAgentAPI(mux)
	s.registerREST(mux)
	s.registerOps(mux)
	return s.instrument(mux)
}
