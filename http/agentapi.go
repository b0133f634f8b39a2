package http

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"

	"github.com/osaudit/osaudit"
	"github.com/osaudit/osaudit/osquery"
)

// MaxBodySize bounds an agent request body after decompression.
const MaxBodySize = 10 << 20

// agentPrefixes are where the osquery API is served: Fleet's paths, and
// Kolide Fleet's.
var agentPrefixes = []string{"/api/osquery", "/api/v1/osquery"}

// registerAgentAPI adds the osquery TLS remote API at /api/osquery/* and
// /api/v1/osquery/*, and GET /version.
func (s *Server) registerAgentAPI(mux *http.ServeMux) {
	for _, p := range agentPrefixes {
		mux.HandleFunc("POST "+p+"/enroll", s.agentEnroll)
		mux.HandleFunc("POST "+p+"/config", s.agentConfig)
		mux.HandleFunc("POST "+p+"/log", s.agentLog)
		mux.HandleFunc("POST "+p+"/distributed/read", s.agentDistributedRead)
		mux.HandleFunc("POST "+p+"/distributed/write", s.agentDistributedWrite)
	}
	mux.HandleFunc("GET /version", s.version)
}

func (s *Server) version(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(osquery.AppendStringMap(nil, map[string]string{"version": osaudit.Version}))
}

func (s *Server) agentEnroll(w http.ResponseWriter, r *http.Request) {
	body, release, err := readBody(w, r)
	if err != nil {
		s.agentError(w, r, err)
		return
	}
	defer release()
	req, err := osquery.ParseEnroll(body)
	if err != nil {
		s.agentError(w, r, parseError(err))
		return
	}
	key, err := s.Manager.Enroll(r.Context(), clientIP(r), req)
	if err != nil {
		s.agentError(w, r, err)
		return
	}
	b, _ := json.Marshal(osquery.EnrollResponse{NodeKey: key})
	writeJSON(w, b)
}

func (s *Server) agentConfig(w http.ResponseWriter, r *http.Request) {
	key, err := s.nodeKeyOnly(w, r)
	if err != nil {
		s.agentError(w, r, err)
		return
	}
	b, err := s.Manager.Config(r.Context(), key)
	if err != nil {
		s.agentError(w, r, err)
		return
	}
	writeJSON(w, b)
}

func (s *Server) agentDistributedRead(w http.ResponseWriter, r *http.Request) {
	key, err := s.nodeKeyOnly(w, r)
	if err != nil {
		s.agentError(w, r, err)
		return
	}
	b, err := s.Manager.DistributedRead(r.Context(), key)
	if err != nil {
		s.agentError(w, r, err)
		return
	}
	writeJSON(w, b)
}

var ack = []byte("{}")

func (s *Server) agentLog(w http.ResponseWriter, r *http.Request) {
	body, release, err := readBody(w, r)
	if err != nil {
		s.agentError(w, r, err)
		return
	}
	batch, err := osquery.ParseLog(body)
	release()
	if err != nil {
		s.agentError(w, r, parseError(err))
		return
	}
	if err := s.Manager.IngestLog(r.Context(), nodeKey(r, batch.NodeKey), batch); err != nil {
		s.agentError(w, r, err)
		return
	}
	writeJSON(w, ack)
}

func (s *Server) agentDistributedWrite(w http.ResponseWriter, r *http.Request) {
	body, release, err := readBody(w, r)
	if err != nil {
		s.agentError(w, r, err)
		return
	}
	dw, err := osquery.ParseDistributedWrite(body)
	release()
	if err != nil {
		s.agentError(w, r, parseError(err))
		return
	}
	if err := s.Manager.DistributedWrite(r.Context(), nodeKey(r, dw.NodeKey), dw); err != nil {
		s.agentError(w, r, err)
		return
	}
	writeJSON(w, ack)
}

// nodeKeyOnly reads a body that carries only a node key (config and
// distributed read).
func (s *Server) nodeKeyOnly(w http.ResponseWriter, r *http.Request) (string, error) {
	body, release, err := readBody(w, r)
	if err != nil {
		return "", err
	}
	defer release()
	key, err := osquery.ParseNodeKey(body)
	if err != nil {
		return "", parseError(err)
	}
	return nodeKey(r, key), nil
}

// nodeKey is the node key of the body, or else of the Authorization
// header ("NodeKey <key>", sent by osquery 5.23 and later).
func nodeKey(r *http.Request, fromBody string) string {
	if fromBody != "" {
		return fromBody
	}
	if k, ok := strings.CutPrefix(r.Header.Get("Authorization"), "NodeKey "); ok {
		return strings.TrimSpace(k)
	}
	return ""
}

// parseError makes a parser's error a domain error: 413 past a limit, 400
// otherwise.
func parseError(err error) error {
	if errors.Is(err, osquery.ErrTooLarge) {
		return osaudit.Errorf(osaudit.ETOOLARGE, "%v", err)
	}
	return osaudit.Errorf(osaudit.EINVALID, "%v", err)
}

// agentBody is the error osquery understands: a string "error", and
// node_invalid when the agent must enroll again.
type agentBody struct {
	Error       string `json:"error"`
	NodeInvalid bool   `json:"node_invalid,omitempty"`
}

// agentError writes err for an agent, with the status writeError's table
// gives its code. osquery ignores statuses; it reads node_invalid (then
// enrolls again) and error.
func (s *Server) agentError(w http.ResponseWriter, r *http.Request, err error) {
	code := osaudit.ErrorCode(err)
	if (code == osaudit.EINTERNAL || code == osaudit.EUNAVAILABLE) && s.Logger != nil {
		s.Logger.Error("agent request failed", "path", r.URL.Path, "err", err)
	}
	body := agentBody{Error: osaudit.ErrorMessage(err), NodeInvalid: code == osaudit.EUNAUTHORIZED}
	b, _ := json.Marshal(body)
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

func writeJSON(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

// clientIP is the address a request came from, for rate limits.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

var (
	bufPool  = sync.Pool{New: func() any { return new(bytes.Buffer) }}
	gzipPool sync.Pool // *gzip.Reader
)

var errTooLarge = osaudit.Errorf(osaudit.ETOOLARGE, "request body larger than %d bytes", MaxBodySize)

// readBody reads a request body, decompressing a gzip one, into a pooled
// buffer that release returns. Past MaxBodySize (compressed or not) it
// stops reading and fails with ETOOLARGE, so a gzip bomb costs at most
// that much.
func readBody(w http.ResponseWriter, r *http.Request) (body []byte, release func(), err error) {
	if r.ContentLength > MaxBodySize {
		return nil, nil, errTooLarge
	}
	var src io.Reader = http.MaxBytesReader(w, r.Body, MaxBodySize)
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip", "x-gzip":
		zr, _ := gzipPool.Get().(*gzip.Reader)
		if zr == nil {
			zr, err = gzip.NewReader(src)
		} else {
			err = zr.Reset(src)
		}
		if err != nil {
			return nil, nil, osaudit.Errorf(osaudit.EINVALID, "invalid gzip body: %v", err)
		}
		defer gzipPool.Put(zr)
		src = zr
	default:
		return nil, nil, osaudit.Errorf(osaudit.EINVALID, "unsupported Content-Encoding %q", enc)
	}
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	release = func() {
		if buf.Cap() <= 1<<20 {
			bufPool.Put(buf)
		}
	}
	_, err = buf.ReadFrom(io.LimitReader(src, MaxBodySize+1))
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &maxErr) || buf.Len() > MaxBodySize:
		release()
		return nil, nil, errTooLarge
	case err != nil:
		release()
		return nil, nil, osaudit.Errorf(osaudit.EINVALID, "reading the body: %v", err)
	}
	return buf.Bytes(), release, nil
}
