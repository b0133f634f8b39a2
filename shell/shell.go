package shell

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/chzyer/readline"

	"github.com/osaudit/osaudit/engine"
	"github.com/osaudit/osaudit/table"
)

const (
	prompt       = "osaudit> "
	promptMore   = "    ...> "
	historyLimit = 1000
)

// Shell runs SQL statements and meta-commands against an engine and prints
// the results.
type Shell struct {
	Engine *engine.Engine
	Out    io.Writer
	Err    io.Writer
	Mode   Mode
	Opts   Options
	Timer  bool

	quit bool
}

// New returns a shell with osqueryi's defaults: pretty mode with headers.
func New(e *engine.Engine, out, errOut io.Writer) *Shell {
	return &Shell{Engine: e, Out: out, Err: errOut, Mode: ModePretty, Opts: Options{Headers: true, Separator: "|"}}
}

// Exec runs one statement and prints its rows as they arrive.
func (s *Shell) Exec(ctx context.Context, sql string) error {
	start := time.Now()
	cpu0 := cpuTimes()
	rows, err := s.Engine.Query(ctx, sql)
	if err != nil {
		return err
	}
	defer rows.Close()
	p := NewPrinter(s.Mode, s.Out, s.Opts)
	if err := p.Begin(rows.Columns()); err != nil {
		return err
	}
	for rows.Next() {
		if err := p.Row(rows.Values()); err != nil {
			return err
		}
	}
	rerr := rows.Err()
	if err := p.End(); err != nil && rerr == nil {
		rerr = err
	}
	if s.Timer {
		cpu1 := cpuTimes()
		fmt.Fprintf(s.Out, "Run Time: real %.3f user %.6f sys %.6f\n",
			time.Since(start).Seconds(), (cpu1.user - cpu0.user).Seconds(), (cpu1.sys - cpu0.sys).Seconds())
	}
	return rerr
}

// RunScript reads statements and meta-commands from r (a pipe or a file)
// and runs each; errors are printed and the script goes on, as in osqueryi.
// It returns an error if any statement failed.
func (s *Shell) RunScript(ctx context.Context, r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	var pending strings.Builder
	failed := false
	for sc.Scan() && !s.quit {
		line := sc.Text()
		if pending.Len() == 0 && strings.HasPrefix(strings.TrimSpace(line), ".") {
			if err := s.Meta(ctx, strings.TrimSpace(line)); err != nil {
				fmt.Fprintln(s.Err, "Error:", err)
				failed = true
			}
			continue
		}
		pending.WriteString(line)
		pending.WriteByte('\n')
		if !engine.Complete(pending.String()) {
			continue
		}
		stmts, rest := engine.Split(pending.String())
		for _, st := range stmts {
			if err := s.Exec(ctx, st); err != nil {
				fmt.Fprintln(s.Err, "Error:", err)
				failed = true
			}
		}
		pending.Reset()
		pending.WriteString(rest)
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if rest := strings.TrimSpace(pending.String()); rest != "" && !s.quit {
		// A last statement without its semicolon still runs, as osqueryi does.
		if err := s.Exec(ctx, rest); err != nil {
			fmt.Fprintln(s.Err, "Error:", err)
			failed = true
		}
	}
	if failed {
		return errors.New("some statements failed")
	}
	return nil
}

// Interactive runs the line-editing shell on the terminal until .quit or
// end of input. Ctrl-C cancels the running query or the line being typed.
func (s *Shell) Interactive(ctx context.Context, in io.ReadCloser) error {
	fmt.Fprintf(s.Out, "Using a virtual database. Need help, type '.help'\n")
	rl, err := readline.NewEx(&readline.Config{
		Prompt:            prompt,
		HistoryFile:       historyPath(),
		HistoryLimit:      historyLimit,
		HistorySearchFold: true,
		AutoComplete:      &completer{e: s.Engine},
		InterruptPrompt:   "^C",
		EOFPrompt:         "",
		Stdin:             in,
		Stdout:            s.Out,
		Stderr:            s.Err,
	})
	if err != nil {
		return err
	}
	defer rl.Close()
	var pending strings.Builder
	for !s.quit {
		line, err := rl.Readline()
		if errors.Is(err, readline.ErrInterrupt) {
			pending.Reset()
			rl.SetPrompt(prompt)
			continue
		}
		if err != nil { // io.EOF: Ctrl-D
			return nil
		}
		if pending.Len() == 0 {
			trimmed := strings.TrimSpace(line)
			if trimmed == "" {
				continue
			}
			if strings.HasPrefix(trimmed, ".") {
				if err := s.Meta(ctx, trimmed); err != nil {
					fmt.Fprintln(s.Err, "Error:", err)
				}
				continue
			}
		}
		pending.WriteString(line)
		pending.WriteByte('\n')
		if !engine.Complete(pending.String()) {
			rl.SetPrompt(promptMore)
			continue
		}
		stmts, rest := engine.Split(pending.String())
		for _, st := range stmts {
			qctx, stop := signal.NotifyContext(ctx, os.Interrupt)
			if err := s.Exec(qctx, st); err != nil {
				if qctx.Err() != nil && ctx.Err() == nil {
					err = errors.New("interrupted")
				}
				fmt.Fprintln(s.Err, "Error:", err)
			}
			stop()
		}
		pending.Reset()
		pending.WriteString(strings.TrimLeft(rest, " \t\r\n"))
		if pending.Len() > 0 {
			rl.SetPrompt(promptMore)
		} else {
			rl.SetPrompt(prompt)
		}
	}
	return nil
}

func historyPath() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".osaudit_history")
}

// completer offers table names, column names and SQL keywords on TAB.
type completer struct{ e *engine.Engine }

var keywords = []string{"SELECT", "FROM", "WHERE", "JOIN", "LEFT", "USING", "GROUP", "BY", "ORDER", "LIMIT", "AND", "OR", "NOT", "LIKE", "GLOB", "IN", "AS", "COUNT", "DISTINCT", "WITH", "UNION", "HAVING", "CASE", "WHEN", "THEN", "ELSE", "END"}

func (c *completer) Do(line []rune, pos int) ([][]rune, int) {
	start := pos
	for start > 0 && (isWordRune(line[start-1])) {
		start--
	}
	word := string(line[start:pos])
	if word == "" {
		return nil, 0
	}
	seen := map[string]bool{}
	var cands []string
	add := func(s string) {
		if !seen[s] && strings.HasPrefix(strings.ToLower(s), strings.ToLower(word)) {
			seen[s] = true
			cands = append(cands, s)
		}
	}
	for _, t := range table.All() {
		if _, ok := c.e.Table(t.Name); !ok {
			continue
		}
		add(t.Name)
		for _, col := range t.Columns {
			add(col.Name)
		}
	}
	for _, k := range keywords {
		if word == strings.ToUpper(word) {
			add(k)
		} else {
			add(strings.ToLower(k))
		}
	}
	sort.Strings(cands)
	out := make([][]rune, 0, len(cands))
	for _, s := range cands {
		out = append(out, []rune(s[len(word):]))
	}
	return out, len([]rune(word))
}

func isWordRune(r rune) bool {
	return r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}
