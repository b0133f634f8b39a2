package http

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/osaudit/osaudit"
	"github.com/osaudit/osaudit/manager"
)

// BenchmarkRESTHosts measures a page of 100 hosts out of 10,000 (token
// check, store query, JSON) over TLS on loopback.
func BenchmarkRESTHosts(b *testing.B) {
	e := newRestEnv(b)
	ctx := context.Background()
	for i := range 10000 {
		h := &osaudit.Host{CustomerID: e.acme.ID, Identifier: fmt.Sprintf("bench-%d", i), Hostname: fmt.Sprintf("bench-%d", i),
			Platform: "ubuntu", NodeKeyHash: manager.HashKey(fmt.Sprint(i)), LastSeen: e.now}
		if err := e.store.EnrollHost(ctx, h); err != nil {
			b.Fatal(err)
		}
	}
	for _, path := range []string{"/api/v1/hosts?limit=100&after=5000", "/api/v1/hosts?limit=100&online=true&search=bench-99"} {
		b.Run(path, func(b *testing.B) {
			client := e.srv.Client()
			for b.Loop() {
				req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
				req.Header.Set("Authorization", "Bearer "+e.acmeViewer)
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Fatal(resp.Status)
				}
			}
		})
	}
}
