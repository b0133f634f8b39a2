package http

import "net/http"

// registerAgentAPI adds the osquery TLS remote API at /api/osquery/* and
// /api/v1/osquery/*, and GET /version.
func (s *Server) registerAgentAPI(mux *http.ServeMux) {}
