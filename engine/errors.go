package engine

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/osaudit/osaudit/table"
)

// ErrTimeout is wrapped by the error of a query that passed its deadline.
var ErrTimeout = errors.New("query timed out")

// ErrReadOnly is wrapped by the error of a statement the authorizer denied.
var ErrReadOnly = errors.New("queries are read-only")

// SQLError is a query error with what helps the user fix it.
type SQLError struct {
	Msg    string // SQLite's or the table's message, without driver noise
	Line   int    // 1-based position of a syntax error, 0 if unknown
	Column int
	Hint   string // e.g. "did you mean processes?"
	err    error
}

func (e *SQLError) Error() string {
	var b strings.Builder
	b.WriteString(e.Msg)
	if e.Line > 0 {
		fmt.Fprintf(&b, " at line %d, column %d", e.Line, e.Column)
	}
	if e.Hint != "" {
		b.WriteString(" (" + e.Hint + ")")
	}
	return b.String()
}

func (e *SQLError) Unwrap() error { return e.err }

var (
	driverNoise = regexp.MustCompile(`^(SQL logic error|not authorized|interrupted|string or blob too big|[a-z ]+ error): `)
	codeSuffix  = regexp.MustCompile(` \(\d+\)$`)
	noSuchTable = regexp.MustCompile(`no such table: (?:\w+\.)?(\w+)`)
	nearToken   = regexp.MustCompile(`near "((?:[^"]|"")*)": syntax error`)
)

// explain turns a driver error into one a user can act on.
func (e *Engine) explain(ctx context.Context, query string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w after %s (raise --query_timeout to allow more)", ErrTimeout, e.timeout)
	}
	var se *SQLError
	if errors.As(err, &se) {
		return err
	}
	msg := codeSuffix.ReplaceAllString(err.Error(), "")
	if strings.HasPrefix(msg, "not authorized") {
		return &SQLError{Msg: "not authorized", Hint: "osaudit queries are read-only: ATTACH, VACUUM INTO, writes outside temp tables, load_extension and pragmas that set values are denied", err: ErrReadOnly}
	}
	for {
		m := driverNoise.FindString(msg)
		if m == "" || m == msg {
			break
		}
		msg = strings.TrimPrefix(msg, m)
	}
	out := &SQLError{Msg: msg, err: err}
	if strings.Contains(msg, ErrRequired.Error()) {
		out.err = ErrRequired
	}
	if m := noSuchTable.FindStringSubmatch(msg); m != nil {
		names := table.Names()
		if len(e.only) > 0 {
			names = e.only
		}
		if close := table.Closest(m[1], names, 3); len(close) > 0 {
			out.Hint = "did you mean " + strings.Join(close, ", ") + "?"
		} else {
			out.Hint = "osaudit tables lists the tables"
		}
	}
	if m := nearToken.FindStringSubmatch(msg); m != nil && query != "" {
		out.Line, out.Column = e.syntaxErrorPosition(ctx, query, strings.ReplaceAll(m[1], `""`, `"`), msg)
	} else if strings.Contains(msg, "incomplete input") && query != "" {
		out.Line, out.Column = position(query, len(strings.TrimRight(query, " \t\r\n;")))
	}
	return out
}

// syntaxErrorPosition finds where SQLite stopped: the first occurrence of
// the reported token such that the statement cut just after it fails with
// the same message. SQLite (through this driver) gives no offset.
func (e *Engine) syntaxErrorPosition(ctx context.Context, query, token, msg string) (line, col int) {
	toks := tokenize(query)
	for _, tk := range toks {
		if tk.text != token {
			continue
		}
		if e.prepareError(ctx, query[:tk.end]) == msg {
			return position(query, tk.start)
		}
	}
	for _, tk := range toks {
		if tk.text == token {
			return position(query, tk.start)
		}
	}
	return 0, 0
}

// prepareError prepares a statement on a scratch connection and returns the
// cleaned error message, or "".
func (e *Engine) prepareError(ctx context.Context, query string) string {
	conn, err := e.db.Conn(ctx)
	if err != nil {
		return ""
	}
	defer conn.Close()
	stmt, err := conn.PrepareContext(ctx, query)
	if err != nil {
		msg := codeSuffix.ReplaceAllString(err.Error(), "")
		return strings.TrimPrefix(msg, "SQL logic error: ")
	}
	stmt.Close()
	return ""
}

func position(s string, off int) (line, col int) {
	line, col = 1, 1
	for i := 0; i < off && i < len(s); i++ {
		if s[i] == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}
