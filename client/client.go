// Package client calls osaudit-server's REST API (docs/api.md): bearer
// token auth, JSON errors as *Error, page walking, and server-sent event
// streams.
package client

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
)

// Client is a REST API client. Its zero value is not usable: use New.
type Client struct {
	base  *url.URL
	token string
	http  *http.Client
}

// TLS says how to trust the server: CAFile (PEM) replaces the system
// roots; Insecure skips verification.
type TLS struct {
	CAFile   string
	Insecure bool
}

// Config returns a TLS configuration for t.
func (t TLS) Config() (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if t.Insecure {
		c.InsecureSkipVerify = true
		return c, nil
	}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA file %s holds no PEM certificate", t.CAFile)
		}
		c.RootCAs = pool
	}
	return c, nil
}

// New returns a client of the server at serverURL (https:// is assumed
// without a scheme) with token.
func New(serverURL, token string, t TLS) (*Client, error) {
	if serverURL == "" {
		return nil, errors.New("no server: give --server or OSAUDIT_SERVER, or run osauditctl login")
	}
	if !strings.Contains(serverURL, "://") {
		serverURL = "https://" + serverURL
	}
	u, err := url.Parse(strings.TrimRight(serverURL, "/"))
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("server %q is not a URL", serverURL)
	}
	conf, err := t.Config()
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = conf
	return &Client{base: u, token: token, http: &http.Client{Transport: tr}}, nil
}

// WithHTTPClient returns a copy of c that sends requests with h.
func (c *Client) WithHTTPClient(h *http.Client) *Client {
	cp := *c
	cp.http = h
	return &cp
}

// Server is the server's base URL.
func (c *Client) Server() string { return c.base.String() }

// Error is an error answer of the API.
type Error struct {
	Status  int
	Code    string // invalid, not_found, conflict, unauthorized, forbidden...
	Message string
}

func (e *Error) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("server answered %d: %s", e.Status, e.Message)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// ErrorCode returns the API error code in err's chain, or "".
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func (c *Client) request(ctx context.Context, method, path string, q url.Values, body any) (*http.Request, error) {
	u := *c.base
	u.Path = c.base.Path + path
	if q != nil {
		u.RawQuery = q.Encode()
	}
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("encode request: %w", err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), r)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	req.Header.Set("User-Agent", "osauditctl")
	return req, nil
}

// apiError reads an error answer.
func apiError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var eb struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(b, &eb) == nil && eb.Error.Code != "" {
		return &Error{Status: resp.StatusCode, Code: eb.Error.Code, Message: eb.Error.Message}
	}
	msg := strings.TrimSpace(string(b))
	if msg == "" {
		msg = resp.Status
	}
	return &Error{Status: resp.StatusCode, Message: msg}
}

// Do sends a request with a JSON body (nil: none) and decodes a JSON
// answer into out (nil: discarded).
func (c *Client) Do(ctx context.Context, method, path string, q url.Values, body, out any) error {
	req, err := c.request(ctx, method, path, q, body)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return apiError(resp)
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decode the answer to %s %s: %w", method, path, err)
	}
	return nil
}

// page is a list answer.
type page[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next"`
}

// List reads every page of a list endpoint.
func List[T any](ctx context.Context, c *Client, path string, q url.Values) ([]T, error) {
	var all []T
	q2 := url.Values{}
	for k, v := range q {
		q2[k] = v
	}
	q2.Set("limit", "1000")
	for {
		var p page[T]
		if err := c.Do(ctx, http.MethodGet, path, q2, nil, &p); err != nil {
			return nil, err
		}
		all = append(all, p.Items...)
		if p.Next == "" || len(p.Items) == 0 {
			return all, nil
		}
		q2.Set("after", p.Next)
	}
}

// Event is one server-sent event.
type Event struct {
	ID    string
	Event string
	Data  []byte
}

// maxEvent bounds one event's data (a host's rows come in one event).
const maxEvent = 64 << 20

// Stream opens a server-sent event stream and calls fn for each event
// until the stream ends, ctx ends or fn returns an error (ErrStop ends it
// without error).
func (c *Client) Stream(ctx context.Context, path string, q url.Values, fn func(Event) error) error {
	req, err := c.request(ctx, http.MethodGet, path, q, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "text/event-stream")
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return apiError(resp)
	}
	return readEvents(resp.Body, fn)
}

// readEvents parses a server-sent event stream, calling fn for each event.
// It returns io.ErrUnexpectedEOF if the stream ends before fn stops it.
func readEvents(r io.Reader, fn func(Event) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxEvent)
	var ev Event
	var data bytes.Buffer
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			if data.Len() > 0 || ev.Event != "" {
				ev.Data = bytes.TrimSuffix(data.Bytes(), []byte("\n"))
				if ev.Event == "" {
					ev.Event = "message"
				}
				if err := fn(ev); err != nil {
					if errors.Is(err, ErrStop) {
						return nil
					}
					return err
				}
			}
			ev, data = Event{}, bytes.Buffer{}
			continue
		}
		if strings.HasPrefix(line, ":") {
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "event":
			ev.Event = value
		case "data":
			data.WriteString(value)
			data.WriteByte('\n')
		case "id":
			ev.ID = value
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read event stream: %w", err)
	}
	return io.ErrUnexpectedEOF
}

// ErrStop, returned by a Stream callback, ends the stream without error.
var ErrStop = errors.New("stop streaming")
