package http

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/osaudit/osaudit"
	"github.com/osaudit/osaudit/manager"
)

// withManager runs a manager over the env's store, as osaudit-server does.
func (e *restEnv) withManager(t *testing.T) *manager.Manager {
	t.Helper()
	m := &manager.Manager{Store: e.store, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), FlushInterval: 50 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	if err := m.Open(ctx); err != nil {
		t.Fatal(err)
	}
	e.server.Manager = m
	done := make(chan struct{})
	go func() {
		defer close(done)
		m.Run(ctx)
	}()
	t.Cleanup(func() {
		e.srv.Close()
		cancel()
		<-done
	})
	return m
}

// fakeAgent talks to the agent API as osqueryd does.
type fakeAgent struct {
	e        *restEnv
	hostname string
	nodeKey  string
}

func (e *restEnv) agentPost(path string, body any, out any) {
	e.t.Helper()
	status, b := e.do("", "POST", path, body)
	if status != 200 {
		e.t.Fatalf("POST %s: %d %s", path, status, b)
	}
	if err := json.Unmarshal(b, out); err != nil {
		e.t.Fatalf("POST %s: %s: %v", path, b, err)
	}
}

// enroll enrolls an agent with an enroll secret.
func (e *restEnv) enroll(secret, hostname string) *fakeAgent {
	e.t.Helper()
	var out struct {
		NodeKey string `json:"node_key"`
	}
	e.agentPost("/api/v1/osquery/enroll", map[string]any{
		"enroll_secret": secret, "host_identifier": "uuid-" + hostname, "platform_type": "9",
		"host_details": map[string]map[string]string{
			"system_info": {"hostname": hostname, "uuid": "uuid-" + hostname},
			"os_version":  {"name": "Ubuntu", "version": "22.04", "platform": "ubuntu", "platform_like": "debian"},
		},
	}, &out)
	if out.NodeKey == "" {
		e.t.Fatalf("enroll %s: no node key", hostname)
	}
	return &fakeAgent{e: e, hostname: hostname, nodeKey: out.NodeKey}
}

// answer reads the agent's live queries and answers them with rows (or an
// error); it returns how many it answered.
func (a *fakeAgent) answer(rows func(sql string) ([]map[string]string, string)) int {
	a.e.t.Helper()
	var read struct {
		Queries map[string]string `json:"queries"`
	}
	a.e.agentPost("/api/v1/osquery/distributed/read", map[string]string{"node_key": a.nodeKey}, &read)
	write := map[string]any{"node_key": a.nodeKey}
	queries, statuses, messages := map[string]any{}, map[string]int{}, map[string]string{}
	for name, sql := range read.Queries {
		if !strings.HasPrefix(name, "osaudit_live_") {
			continue
		}
		rs, errMsg := rows(sql)
		if errMsg != "" {
			queries[name], statuses[name], messages[name] = []any{}, 1, errMsg
			continue
		}
		queries[name], statuses[name] = rs, 0
	}
	if len(queries) == 0 {
		return 0
	}
	write["queries"], write["statuses"], write["messages"] = queries, statuses, messages
	var out map[string]any
	a.e.agentPost("/api/v1/osquery/distributed/write", write, &out)
	return len(queries)
}

type sseEvent struct {
	id, event, data string
}

// readSSE reads events from a stream until it ends.
func readSSE(t *testing.T, body io.Reader, events chan<- sseEvent) {
	defer close(events)
	sc := bufio.NewScanner(body)
	sc.Buffer(nil, 1<<20)
	var ev sseEvent
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if ev.event != "" {
				events <- ev
			}
			ev = sseEvent{}
		case strings.HasPrefix(line, "id: "):
			ev.id = line[4:]
		case strings.HasPrefix(line, "event: "):
			ev.event = line[7:]
		case strings.HasPrefix(line, "data: "):
			ev.data = line[6:]
		}
	}
}

func (e *restEnv) stream(t *testing.T, token string, campaignID int64, query string) (<-chan sseEvent, func()) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	req, _ := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/api/v1/campaigns/%d/stream%s", e.srv.URL, campaignID, query), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("stream: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	events := make(chan sseEvent, 100)
	go readSSE(t, resp.Body, events)
	return events, func() { cancel(); resp.Body.Close() }
}

func next(t *testing.T, events <-chan sseEvent) sseEvent {
	t.Helper()
	select {
	case ev, ok := <-events:
		if !ok {
			t.Fatal("stream ended early")
		}
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10s")
	}
	return sseEvent{}
}

func TestRESTCampaigns(t *testing.T) { forEachStore(t, testRESTCampaigns) }

func testRESTCampaigns(t *testing.T, e *restEnv) {
	e.withManager(t)
	var secret osaudit.EnrollSecret
	e.call(e.acmeAdmin, "POST", "/api/v1/customers/acme/secrets", nil, 201, &secret)
	web := e.enroll(secret.Secret, "web-1")
	db := e.enroll(secret.Secret, "db-1")
	var gsecret osaudit.EnrollSecret
	e.call(e.provider, "POST", "/api/v1/customers/globex/secrets", nil, 201, &gsecret)
	e.enroll(gsecret.Secret, "g-1")

	var camp campaignView
	e.call(e.acmeAdmin, "POST", "/api/v1/campaigns", map[string]any{"query": "SELECT 42 AS answer", "hosts": []string{"web-1", "uuid-db-1"}, "ttl": 30}, 201, &camp)
	if camp.Targets != 2 || camp.CustomerID != e.acme.ID {
		t.Fatalf("campaign %+v", camp)
	}
	events, stop := e.stream(t, e.acmeViewer, camp.ID, "")
	defer stop()
	if ev := next(t, events); ev.event != "campaign" || !strings.Contains(ev.data, `"targets":2`) {
		t.Fatalf("first event %+v", ev)
	}
	// Pending results come first; then the hosts answer, one by one.
	if n := web.answer(func(sql string) ([]map[string]string, string) {
		return []map[string]string{{"answer": "42"}}, ""
	}); n != 1 {
		t.Fatalf("web-1 answered %d live queries", n)
	}
	var got []string
	for len(got) < 1 {
		ev := next(t, events)
		if ev.event != "result" || ev.id == "" {
			t.Fatalf("event %+v", ev)
		}
		var r resultView
		json.Unmarshal([]byte(ev.data), &r)
		if r.Status == osaudit.CampaignDone {
			got = append(got, r.Hostname+":"+r.Rows[0]["answer"])
		}
	}
	db.answer(func(string) ([]map[string]string, string) { return nil, "no such table: nope" })
	var failed string
	for {
		ev := next(t, events)
		if ev.event == "end" {
			if !strings.Contains(ev.data, `"reason":"complete"`) || !strings.Contains(ev.data, `"answered":2`) {
				t.Errorf("end event %s", ev.data)
			}
			break
		}
		var r resultView
		json.Unmarshal([]byte(ev.data), &r)
		if r.Status == osaudit.CampaignFailed {
			failed = r.Hostname + ": " + r.Error
		}
	}
	if got[0] != "web-1:42" || failed != "db-1: no such table: nope" {
		t.Errorf("answers %v, failure %q", got, failed)
	}
	if _, ok := <-events; ok {
		t.Error("the stream goes on after its end event")
	}

	t.Run("results and status", func(t *testing.T) {
		var p page[resultView]
		e.call(e.acmeViewer, "GET", fmt.Sprintf("/api/v1/campaigns/%d/results?limit=2", camp.ID), nil, 200, &p)
		if len(p.Items) != 2 || p.Next == "" {
			t.Fatalf("first page %+v", p)
		}
		var c campaignView
		e.call(e.acmeViewer, "GET", fmt.Sprintf("/api/v1/campaigns/%d", camp.ID), nil, 200, &c)
		if c.Status[osaudit.CampaignDone] != 1 || c.Status[osaudit.CampaignFailed] != 1 {
			t.Errorf("status %v", c.Status)
		}
	})

	t.Run("resume after the last event", func(t *testing.T) {
		var c campaignView
		e.call(e.acmeViewer, "GET", fmt.Sprintf("/api/v1/campaigns/%d", camp.ID), nil, 200, &c)
		var all page[resultView]
		e.call(e.acmeViewer, "GET", fmt.Sprintf("/api/v1/campaigns/%d/results", camp.ID), nil, 200, &all)
		last := all.Items[len(all.Items)-1].Seq
		events, stop := e.stream(t, e.acmeViewer, camp.ID, fmt.Sprintf("?after=%d", last))
		defer stop()
		next(t, events)
		if ev := next(t, events); ev.event != "end" {
			t.Errorf("resumed past the end: %+v", ev)
		}
	})

	t.Run("isolation and errors", func(t *testing.T) {
		e.call(e.acmeAdmin, "POST", fmt.Sprintf("/api/v1/hosts/%d/revoke", e.acmeHost.ID), nil, 204, nil)
		for _, tc := range []struct {
			name, token, method, path string
			body                      any
			status                    int
			msg                       string
		}{
			{"globex reads acme's campaign", e.globexAdmin, "GET", fmt.Sprintf("/api/v1/campaigns/%d", camp.ID), nil, 404, ""},
			{"globex streams acme's campaign", e.globexAdmin, "GET", fmt.Sprintf("/api/v1/campaigns/%d/stream", camp.ID), nil, 404, ""},
			{"globex reads acme's results", e.globexAdmin, "GET", fmt.Sprintf("/api/v1/campaigns/%d/results", camp.ID), nil, 404, ""},
			{"globex targets acme's host", e.globexAdmin, "POST", "/api/v1/campaigns", map[string]any{"query": "SELECT 1", "hosts": []string{"web-1"}}, 400, `unknown host "web-1"`},
			{"empty SQL", e.acmeAdmin, "POST", "/api/v1/campaigns", map[string]any{"query": " ", "hosts": []string{"web-1"}}, 400, "SQL query is empty"},
			{"no targets", e.acmeAdmin, "POST", "/api/v1/campaigns", map[string]any{"query": "SELECT 1"}, 400, "no targets"},
			{"unknown label", e.acmeAdmin, "POST", "/api/v1/campaigns", map[string]any{"query": "SELECT 1", "labels": []string{"nope"}}, 400, `unknown label "nope"`},
			{"bad ttl", e.acmeAdmin, "POST", "/api/v1/campaigns", map[string]any{"query": "SELECT 1", "hosts": []string{"web-1"}, "ttl": 100000}, 400, "ttl"},
			{"viewer", e.acmeViewer, "POST", "/api/v1/campaigns", map[string]any{"query": "SELECT 1", "hosts": []string{"web-1"}}, 403, "read-only"},
			{"revoked host", e.acmeAdmin, "POST", "/api/v1/campaigns", map[string]any{"query": "SELECT 1", "hosts": []string{"acme-web-1"}}, 400, "not enrolled, or revoked"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				status, _, msg := e.errorCode(tc.token, tc.method, tc.path, tc.body)
				if status != tc.status || !strings.Contains(msg, tc.msg) {
					t.Errorf("got %d %q, want %d containing %q", status, msg, tc.status, tc.msg)
				}
			})
		}
	})

	t.Run("labels and expiry", func(t *testing.T) {
		var l osaudit.Label
		e.call(e.acmeAdmin, "POST", "/api/v1/labels", map[string]any{"name": "dbs", "manual": true}, 201, &l)
		e.call(e.acmeAdmin, "POST", fmt.Sprintf("/api/v1/labels/%d/hosts", l.ID), map[string]any{"add": []string{"db-1"}}, 200, nil)
		deadline := time.Now().Add(5 * time.Second)
		var c campaignView
		for {
			status, b := e.do(e.acmeAdmin, "POST", "/api/v1/campaigns", map[string]any{"query": "SELECT 1", "labels": []string{"dbs"}, "ttl": 1})
			if status == 201 {
				json.Unmarshal(b, &c)
				if c.Targets == 1 {
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("campaign on a label: %d %s", status, b)
			}
			time.Sleep(50 * time.Millisecond) // the manager reloads labels in the background
		}
		events, stop := e.stream(t, e.acmeAdmin, c.ID, "")
		defer stop()
		for ev := next(t, events); ev.event != "end"; ev = next(t, events) {
		}
	})

	t.Run("server shutdown ends streams", func(t *testing.T) {
		var c campaignView
		e.call(e.acmeAdmin, "POST", "/api/v1/campaigns", map[string]any{"query": "SELECT 1", "hosts": []string{"web-1"}, "ttl": 600}, 201, &c)
		events, stop := e.stream(t, e.acmeAdmin, c.ID, "")
		defer stop()
		if ev := next(t, events); ev.event != "campaign" {
			t.Fatalf("first event %+v", ev)
		}
		e.server.CloseStreams()
		ev := next(t, events)
		for ev.event == "result" {
			ev = next(t, events)
		}
		if ev.event != "end" || !strings.Contains(ev.data, `"reason":"shutdown"`) {
			t.Errorf("after CloseStreams: %+v", ev)
		}
	})
}
