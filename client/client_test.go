package client

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestReadEvents(t *testing.T) {
	for _, tc := range []struct {
		name, stream string
		want         []Event
		err          error
	}{
		{"two events, the last stops", "id: 1\nevent: result\ndata: {\"a\":1}\n\n: keepalive\n\nevent: end\ndata: {}\n\n",
			[]Event{{ID: "1", Event: "result", Data: []byte(`{"a":1}`)}, {Event: "end", Data: []byte(`{}`)}}, nil},
		{"multi-line data, CRLF, no event name", "data: a\r\ndata: b\r\n\r\n", []Event{{Event: "message", Data: []byte("a\nb")}}, io.ErrUnexpectedEOF},
		{"unfinished event is dropped", "event: result\ndata: x", nil, io.ErrUnexpectedEOF},
		{"stop", "event: end\ndata: {}\n\nevent: result\ndata: 1\n\n", []Event{{Event: "end", Data: []byte("{}")}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []Event
			err := readEvents(strings.NewReader(tc.stream), func(e Event) error {
				got = append(got, e)
				if e.Event == "end" {
					return ErrStop
				}
				return nil
			})
			if err != tc.err {
				t.Errorf("err %v, want %v", err, tc.err)
			}
			if diff := cmp.Diff(got, tc.want); diff != "" {
				t.Errorf("events (-got +want):\n%s", diff)
			}
		})
	}
}

func FuzzReadEvents(f *testing.F) {
	f.Add("id: 1\nevent: result\ndata: {\"a\":1}\n\n: keepalive\n\nevent: end\ndata: {}\n\n")
	f.Add("data: a\r\ndata: b\r\n\r\n")
	f.Add(":\n\n\n")
	f.Fuzz(func(t *testing.T, s string) {
		n := 0
		_ = readEvents(strings.NewReader(s), func(e Event) error {
			if e.Event == "" {
				t.Fatal("event without a name")
			}
			n++
			return nil
		})
		if n > strings.Count(s, "\n")+1 {
			t.Fatalf("%d events from %d lines", n, strings.Count(s, "\n"))
		}
	})
}

func TestErrors(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" {
			w.WriteHeader(401)
			io.WriteString(w, `{"error": {"code": "unauthorized", "message": "unknown token"}}`)
			return
		}
		w.WriteHeader(502)
		io.WriteString(w, "bad gateway\n")
	}))
	defer srv.Close()
	for _, tc := range []struct {
		token string
		want  Error
	}{
		{"nope", Error{Status: 401, Code: "unauthorized", Message: "unknown token"}},
		{"tok", Error{Status: 502, Message: "bad gateway"}},
	} {
		c, err := New(srv.URL, tc.token, TLS{Insecure: true})
		if err != nil {
			t.Fatal(err)
		}
		err = c.Do(context.Background(), "GET", "/api/v1/me", nil, nil, nil)
		var e *Error
		if !errors.As(err, &e) || *e != tc.want {
			t.Errorf("token %s: %v, want %+v", tc.token, err, tc.want)
		}
	}
	if _, err := New("", "t", TLS{}); err == nil {
		t.Error("no server accepted")
	}
	if _, err := New("https://x", "t", TLS{CAFile: "/nonexistent.pem"}); err == nil {
		t.Error("a missing CA file accepted")
	}
}
