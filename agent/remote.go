package agent

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/osaudit/osaudit"
	"github.com/osaudit/osaudit/client"
	"github.com/osaudit/osaudit/osquery"
)

// requestTimeout is osquery's per-request timeout.
const requestTimeout = 16 * time.Second

// maxResponse bounds a manager's reply (a config can be 4 MiB).
const maxResponse = 2 * osquery.MaxConfigSize

// errNodeInvalid is a manager saying the node key is unknown or revoked.
var errNodeInvalid = errors.New("node_invalid: the manager does not know this node key")

// remote speaks osquery's TLS remote API: enrollment, then config, log and
// distributed requests with the node key. Like osquery, it judges a reply
// by its JSON body, not its HTTP status.
type remote struct {
	d      *Daemon
	client *http.Client
	base   string // https://tls_hostname

	mu      sync.Mutex // guards nodeKey and serialises enrollment
	nodeKey string
}

func newRemote(d *Daemon) (*remote, error) {
	o := d.opts
	if o.TLSHostname == "" {
		return nil, fmt.Errorf("--tls_hostname is required by the tls plugins")
	}
	cfg, err := client.TLS{CAFile: o.TLSServerCerts}.Config()
	if err != nil {
		return nil, fmt.Errorf("--tls_server_certs: %w", err)
	}
	if o.TLSClientCert != "" || o.TLSClientKey != "" {
		cert, err := tls.LoadX509KeyPair(o.TLSClientCert, o.TLSClientKey)
		if err != nil {
			return nil, fmt.Errorf("--tls_client_cert/--tls_client_key: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	transport := &http.Transport{TLSClientConfig: cfg, MaxIdleConnsPerHost: 2, IdleConnTimeout: 90 * time.Second, ForceAttemptHTTP2: false}
	return &remote{
		d:      d,
		client: &http.Client{Transport: transport, Timeout: requestTimeout},
		base:   "https://" + strings.TrimSuffix(strings.TrimPrefix(o.TLSHostname, "https://"), "/"),
	}, nil
}

// key returns the node key, enrolling first if there is none.
func (r *remote) key(ctx context.Context) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.nodeKey != "" {
		return r.nodeKey, nil
	}
	if b, ok, _ := r.d.db.Get(ctx, "node_key"); ok && len(b) > 0 {
		r.nodeKey = string(b)
		return r.nodeKey, nil
	}
	key, err := r.enroll(ctx)
	if err != nil {
		return "", err
	}
	r.nodeKey = key
	r.d.db.Put(ctx, "node_key", []byte(key))
	return key, nil
}

// forget drops a node key the manager refused, so the next request
// enrolls again.
func (r *remote) forget(ctx context.Context, key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.nodeKey == key {
		r.nodeKey = ""
		r.d.db.Delete(ctx, "node_key")
	}
}

// enrollSecret reads the secret from --enroll_secret_path or the variable
// --enroll_secret_env names.
func (r *remote) enrollSecret() (string, error) {
	o := r.d.opts
	if o.EnrollSecretEnv != "" {
		if s := os.Getenv(o.EnrollSecretEnv); s != "" {
			return s, nil
		}
	}
	if o.EnrollSecretPath == "" {
		return "", fmt.Errorf("no enroll secret: set --enroll_secret_path or --enroll_secret_env")
	}
	b, err := os.ReadFile(o.EnrollSecretPath)
	if err != nil {
		return "", fmt.Errorf("--enroll_secret_path: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// enroll asks the manager for a node key, retrying as osquery does (1, 4,
// 9... seconds, capped, --tls_enroll_max_attempts times).
func (r *remote) enroll(ctx context.Context) (string, error) {
	secret, err := r.enrollSecret()
	if err != nil {
		return "", err
	}
	body := map[string]any{
		"enroll_secret":   secret,
		"host_identifier": r.d.hostIdentifier(ctx),
		"platform_type":   platformType(),
		"host_details":    r.hostDetails(ctx),
	}
	o := r.d.opts
	var last error
	for attempt := uint64(1); o.TLSEnrollMaxAttempts == 0 || attempt <= o.TLSEnrollMaxAttempts; attempt++ {
		var resp struct {
			NodeKey string `json:"node_key"`
			ID      string `json:"id"`
		}
		last = r.do(ctx, o.EnrollTLSEndpoint, "", body, &resp)
		if last == nil {
			key := resp.NodeKey
			if key == "" {
				key = resp.ID
			}
			if key != "" {
				r.d.status(ctx, osquery.SeverityInfo, "enrolled with "+r.base)
				return key, nil
			}
			last = errors.New("no node key returned from TLS enroll plugin")
		}
		r.d.status(ctx, osquery.SeverityWarning, fmt.Sprintf("enroll attempt %d failed: %v", attempt, last))
		if attempt == o.TLSEnrollMaxAttempts {
			break
		}
		wait := min(time.Duration(attempt*attempt)*time.Second, seconds(o.TLSEnrollMaxInterval))
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(jitter(wait)):
		}
	}
	return "", &enrollError{last}
}

// enrollError is an enrollment that gave up; callers do not retry it.
type enrollError struct{ err error }

func (e *enrollError) Error() string { return "enroll: " + e.err.Error() }
func (e *enrollError) Unwrap() error { return e.err }

// hostDetails is the enroll request's host_details: the first row of
// os_version, osquery_info, system_info and platform_info, every value a
// string, as osquery sends them.
func (r *remote) hostDetails(ctx context.Context) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, t := range []string{"os_version", "osquery_info", "system_info", "platform_info"} {
		res, err := r.d.query(ctx, "SELECT * FROM "+t)
		if err != nil || len(res.Rows) == 0 {
			out[t] = map[string]string{}
			continue
		}
		out[t] = res.Rows[0]
	}
	return out
}

// platformType is osquery's platform mask as the enroll request sends it.
func platformType() string {
	switch runtime.GOOS {
	case "windows":
		return fmt.Sprint(osaudit.PlatformWindows)
	case "darwin":
		return fmt.Sprint(osaudit.PlatformDarwin)
	}
	return fmt.Sprint(osaudit.PlatformLinux)
}

// call posts body (with the node key added) to an endpoint and decodes the
// reply into out. A node_invalid reply makes it enroll again and retry
// once.
func (r *remote) call(ctx context.Context, endpoint string, body map[string]any, out any) error {
	for try := 0; try < 2; try++ {
		key, err := r.key(ctx)
		if err != nil {
			return err
		}
		body["node_key"] = key
		err = r.do(ctx, endpoint, key, body, out)
		if errors.Is(err, errNodeInvalid) {
			r.d.status(ctx, osquery.SeverityWarning, "the manager refused the node key; enrolling again")
			r.forget(ctx, key)
			continue
		}
		return err
	}
	return errNodeInvalid
}

// do performs one POST. gzipBody compresses the request (logger only).
func (r *remote) do(ctx context.Context, endpoint, nodeKey string, body any, out any) error {
	return r.doCompressed(ctx, endpoint, nodeKey, body, out, false)
}

func (r *remote) doCompressed(ctx context.Context, endpoint, nodeKey string, body any, out any, compress bool) error {
	payload, err := json.Marshal(body)
	if err != nil {
		return err
	}
	var reader io.Reader = bytes.NewReader(payload)
	if compress {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(payload)
		zw.Close()
		reader = &buf
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.base+endpoint, reader)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "osquery/"+osquery.CompatVersion+" osaudit/"+osaudit.Version)
	if compress {
		req.Header.Set("Content-Encoding", "gzip")
	}
	if nodeKey != "" {
		req.Header.Set("Authorization", "NodeKey "+nodeKey)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return err
	}
	if len(data) > maxResponse {
		return fmt.Errorf("%s: reply larger than %d bytes", endpoint, maxResponse)
	}
	// As osquery: the status code is not checked; the body decides.
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	var probe struct {
		NodeInvalid bool            `json:"node_invalid"`
		Error       json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return fmt.Errorf("%s: reply is not JSON (HTTP %d)", endpoint, resp.StatusCode)
	}
	if probe.NodeInvalid {
		return errNodeInvalid
	}
	if len(probe.Error) > 0 && string(probe.Error) != "null" {
		return fmt.Errorf("%s: HTTP %d: %s", endpoint, resp.StatusCode, probe.Error)
	}
	if out != nil {
		if raw, ok := out.(*[]byte); ok {
			*raw = data
			return nil
		}
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s: %w", endpoint, err)
		}
	}
	return nil
}

// jitter spreads retries of many agents: ±20%.
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return d*8/10 + time.Duration(rand.Int64N(int64(d)*4/10+1))
}

// fetchConfig gets the config from --config_tls_endpoint, retrying as
// osquery does (3 attempts, waiting 1 then 4 seconds).
func (r *remote) fetchConfig(ctx context.Context) ([]byte, error) {
	var last error
	for attempt := 1; attempt <= 3; attempt++ {
		var data []byte
		last = r.call(ctx, r.d.opts.ConfigTLSEndpoint, map[string]any{}, &data)
		if last == nil {
			return data, nil
		}
		var ee *enrollError
		if errors.As(last, &ee) {
			break
		}
		if attempt < 3 {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(time.Duration(attempt*attempt) * time.Second):
			}
		}
	}
	return nil, fmt.Errorf("config from %s%s: %w", r.base, r.d.opts.ConfigTLSEndpoint, last)
}
