package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// conn is one keep-alive HTTP/1.1 connection over TLS, used by
// --hosts_per_conn hosts one request at a time (as http.Transport with
// MaxConnsPerHost 1 would). It writes a request in one TLS record and
// reads the answer in the calling goroutine: no reader and writer
// goroutines per connection, no per-request header maps. On this 2-core
// machine the generator's CPU is the server's loss; net/http's client cost
// the generator about twice the CPU per request.
type conn struct {
	s    *sim
	addr string // host:port
	host string // the Host header

	mu sync.Mutex
	tc *tls.Conn
	br *bufio.Reader

	live atomic.Pointer[tls.Conn] // tc, for interrupt
}

func newConn(s *sim, addr, host string) *conn {
	return &conn{s: s, addr: addr, host: host}
}

// serverAddr returns the address to dial and the Host header of an https
// server URL.
func serverAddr(server string) (addr, host string, err error) {
	u, err := url.Parse(server)
	if err != nil {
		return "", "", err
	}
	if u.Scheme != "https" {
		return "", "", errors.New("--server must be an https URL")
	}
	addr = u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "443")
	}
	return addr, u.Host, nil
}

// errStopping is a request cut short because the run ended.
var errStopping = errors.New("stopping")

// post sends body to path and returns the answer's status and body, and
// how long the request waited for another host's request on the shared
// connection. A request on a reused connection that fails before any
// answer is sent again once on a new connection, as net/http does when a
// server closed an idle connection.
func (c *conn) post(ctx context.Context, path string, body []byte, gzipped bool) (status int, resp []byte, waited time.Duration, err error) {
	start := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	waited = time.Since(start)
	for {
		reused := c.tc != nil
		if !reused {
			if err := c.dial(ctx); err != nil {
				return 0, nil, waited, err
			}
		}
		status, resp, answered, err := c.roundTrip(path, body, gzipped)
		if err == nil {
			return status, resp, waited, nil
		}
		c.closeLocked()
		if ctx.Err() != nil {
			return 0, nil, waited, errStopping
		}
		if !reused || answered {
			return 0, nil, waited, err
		}
	}
}

func (c *conn) dial(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, c.s.o.timeout)
	defer cancel()
	d := tls.Dialer{Config: c.s.tls}
	nc, err := d.DialContext(ctx, "tcp", c.addr)
	if err != nil {
		if errors.Is(ctx.Err(), context.Canceled) {
			return errStopping
		}
		return err
	}
	c.tc = nc.(*tls.Conn)
	c.live.Store(c.tc)
	if c.br == nil {
		c.br = bufio.NewReaderSize(nil, 8<<10)
	}
	c.br.Reset(c.tc)
	return nil
}

// maxRecord is the most a request carries in the same TLS record as its
// header (TLS's maximum plaintext record); a longer body follows in its
// own records.
const maxRecord = 16 << 10

// roundTrip writes one request and reads its answer. answered reports
// whether any of the answer had arrived when it failed.
func (c *conn) roundTrip(path string, body []byte, gzipped bool) (status int, resp []byte, answered bool, err error) {
	req := c.s.requests.get(256 + min(len(body), maxRecord))
	defer c.s.requests.put(req)
	b := append(*req, "POST "...)
	b = append(b, path...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, c.host...)
	b = append(b, "\r\nUser-Agent: osquery/5.12.1\r\nContent-Type: application/json\r\nAccept: application/json\r\n"...)
	if gzipped {
		b = append(b, "Content-Encoding: gzip\r\n"...)
	}
	b = append(b, "Content-Length: "...)
	b = strconv.AppendInt(b, int64(len(body)), 10)
	b = append(b, "\r\n\r\n"...)
	if len(body) <= maxRecord {
		b, body = append(b, body...), nil
	}
	*req = b
	c.tc.SetDeadline(time.Now().Add(c.s.o.timeout))
	if _, err := c.tc.Write(b); err != nil {
		return 0, nil, false, err
	}
	if len(body) > 0 {
		if _, err := c.tc.Write(body); err != nil {
			return 0, nil, false, err
		}
	}
	if _, err := c.br.Peek(1); err != nil {
		return 0, nil, false, err
	}
	r, err := http.ReadResponse(c.br, nil)
	if err != nil {
		return 0, nil, true, err
	}
	resp, err = io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil {
		return 0, nil, true, err
	}
	if r.Close {
		c.closeLocked()
	}
	return r.StatusCode, resp, true, nil
}

func (c *conn) closeLocked() {
	if c.tc != nil {
		c.tc.Close()
		c.tc = nil
		c.live.Store(nil)
	}
}

// interrupt ends a request in flight at the end of the run (the hosts'
// context has ended, so they send no more).
func (c *conn) interrupt() {
	if tc := c.live.Load(); tc != nil {
		tc.SetDeadline(time.Unix(1, 0))
	}
}
