package tables_test

import (
	"context"
	"log/slog"
	"testing"
)

// testLogger sends tables' warnings to the test log.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(&testHandler{t: t})
}

type testHandler struct {
	t     *testing.T
	attrs []slog.Attr
}

func (h *testHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *testHandler) Handle(_ context.Context, r slog.Record) error {
	msg := r.Level.String() + " " + r.Message
	r.Attrs(func(a slog.Attr) bool { msg += " " + a.String(); return true })
	for _, a := range h.attrs {
		msg += " " + a.String()
	}
	h.t.Log(msg)
	return nil
}

func (h *testHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &testHandler{t: h.t, attrs: append(append([]slog.Attr(nil), h.attrs...), as...)}
}

func (h *testHandler) WithGroup(string) slog.Handler { return h }
