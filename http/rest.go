package http

import "net/http"

// registerREST adds the REST API under /api/v1/ (token auth).
func (s *Server) registerREST(mux *http.ServeMux) {}
