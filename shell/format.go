// Package shell is osaudit's interactive SQL shell (`osaudit shell`) and the
// output formats it shares with `osaudit query`: pretty tables, line, csv,
// list and JSON, as osqueryi prints them.
package shell

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/osaudit/osaudit/table"
)

// Mode is an output format.
type Mode string

// Output modes, named as osqueryi names them.
const (
	ModePretty Mode = "pretty"
	ModeLine   Mode = "line"
	ModeCSV    Mode = "csv"
	ModeJSON   Mode = "json"
	ModeList   Mode = "list"
)

// Modes lists the modes `.mode` accepts.
var Modes = []Mode{ModePretty, ModeLine, ModeCSV, ModeJSON, ModeList}

// ParseMode checks a mode name.
func ParseMode(s string) (Mode, error) {
	for _, m := range Modes {
		if string(m) == strings.ToLower(s) {
			return m, nil
		}
	}
	return "", fmt.Errorf("unknown mode %q (want one of pretty, line, csv, json, list)", s)
}

// Options tune a printer.
type Options struct {
	Headers   bool   // print column names (pretty, csv, list)
	NullValue string // how NULL prints; "" as in osqueryi
	Separator string // list separator; "|" by default
}

// Printer writes a result as rows arrive: Begin once, Row per row, End once.
// Printers stream; pretty mode holds at most prettyWindow rows to size its
// columns.
type Printer interface {
	Begin(cols []string) error
	Row(vals []any) error
	End() error
}

// NewPrinter returns a printer for mode writing to w.
func NewPrinter(mode Mode, w io.Writer, opts Options) Printer {
	if opts.Separator == "" {
		opts.Separator = "|"
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	base := printerBase{w: bw, opts: opts}
	switch mode {
	case ModeLine:
		return &linePrinter{printerBase: base}
	case ModeCSV:
		return &csvPrinter{printerBase: base, cw: csv.NewWriter(bw)}
	case ModeJSON:
		return &jsonPrinter{printerBase: base}
	case ModeList:
		return &listPrinter{printerBase: base}
	}
	return &prettyPrinter{printerBase: base}
}

type printerBase struct {
	w    *bufio.Writer
	opts Options
	cols []string
	buf  []byte
}

// text renders one value as osquery prints it.
func (p *printerBase) text(v any) string {
	switch v := v.(type) {
	case nil:
		return p.opts.NullValue
	case string:
		return v
	case []byte:
		return string(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return table.FormatDouble(v)
	}
	return fmt.Sprint(v)
}

// prettyWindow is how many rows pretty mode reads before it fixes column
// widths; later, wider values widen only their own line.
const prettyWindow = 1000

type prettyPrinter struct {
	printerBase
	widths  []int
	pending [][]string
	started bool
	any     bool
}

func (p *prettyPrinter) Begin(cols []string) error {
	p.cols = cols
	p.widths = make([]int, len(cols))
	for i, c := range cols {
		p.widths[i] = utf8.RuneCountInString(c)
	}
	return nil
}

func (p *prettyPrinter) Row(vals []any) error {
	p.any = true
	row := make([]string, len(vals))
	for i, v := range vals {
		row[i] = p.text(v)
	}
	if p.started {
		return p.writeRow(row)
	}
	p.pending = append(p.pending, row)
	if len(p.pending) >= prettyWindow {
		return p.flushPending()
	}
	return nil
}

func (p *prettyPrinter) flushPending() error {
	for _, r := range p.pending {
		for i, s := range r {
			p.widths[i] = max(p.widths[i], utf8.RuneCountInString(s))
		}
	}
	p.started = true
	p.rule()
	if p.opts.Headers {
		p.writeCells(p.cols)
		p.rule()
	}
	for _, r := range p.pending {
		p.writeCells(r)
	}
	p.pending = nil
	return nil
}

func (p *prettyPrinter) rule() {
	p.w.WriteByte('+')
	for _, w := range p.widths {
		p.w.WriteString(strings.Repeat("-", w+2))
		p.w.WriteByte('+')
	}
	p.w.WriteByte('\n')
}

func (p *prettyPrinter) writeCells(cells []string) {
	p.w.WriteByte('|')
	for i, s := range cells {
		p.w.WriteByte(' ')
		p.w.WriteString(s)
		p.w.WriteString(strings.Repeat(" ", max(p.widths[i]-utf8.RuneCountInString(s), 0)+1))
		p.w.WriteByte('|')
	}
	p.w.WriteByte('\n')
}

func (p *prettyPrinter) writeRow(r []string) error { p.writeCells(r); return nil }

func (p *prettyPrinter) End() error {
	if !p.any {
		// osqueryi prints nothing for an empty result.
		return p.w.Flush()
	}
	if !p.started {
		p.flushPending()
	}
	p.rule()
	return p.w.Flush()
}

type linePrinter struct {
	printerBase
	width int
	n     int
}

func (p *linePrinter) Begin(cols []string) error {
	p.cols = cols
	for _, c := range cols {
		p.width = max(p.width, utf8.RuneCountInString(c))
	}
	return nil
}

func (p *linePrinter) Row(vals []any) error {
	if p.n > 0 {
		p.w.WriteByte('\n')
	}
	p.n++
	for i, c := range p.cols {
		p.w.WriteString(strings.Repeat(" ", p.width-utf8.RuneCountInString(c)))
		p.w.WriteString(c)
		p.w.WriteString(" = ")
		p.w.WriteString(p.text(vals[i]))
		p.w.WriteByte('\n')
	}
	return nil
}

func (p *linePrinter) End() error { return p.w.Flush() }

type csvPrinter struct {
	printerBase
	cw  *csv.Writer
	rec []string
}

func (p *csvPrinter) Begin(cols []string) error {
	p.cols = cols
	p.rec = make([]string, len(cols))
	if p.opts.Headers {
		return p.cw.Write(cols)
	}
	return nil
}

func (p *csvPrinter) Row(vals []any) error {
	for i, v := range vals {
		p.rec[i] = p.text(v)
	}
	return p.cw.Write(p.rec)
}

func (p *csvPrinter) End() error {
	p.cw.Flush()
	if err := p.cw.Error(); err != nil {
		return err
	}
	return p.w.Flush()
}

type listPrinter struct{ printerBase }

func (p *listPrinter) Begin(cols []string) error {
	p.cols = cols
	if p.opts.Headers {
		p.w.WriteString(strings.Join(cols, p.opts.Separator))
		p.w.WriteByte('\n')
	}
	return nil
}

func (p *listPrinter) Row(vals []any) error {
	for i, v := range vals {
		if i > 0 {
			p.w.WriteString(p.opts.Separator)
		}
		p.w.WriteString(p.text(v))
	}
	p.w.WriteByte('\n')
	return nil
}

func (p *listPrinter) End() error { return p.w.Flush() }

// jsonPrinter prints osqueryi's --json: an array with one object per line,
// every value a string (NULL as ""). Keys keep the query's column order.
type jsonPrinter struct {
	printerBase
	keys [][]byte
	n    int
}

func (p *jsonPrinter) Begin(cols []string) error {
	p.cols = cols
	for _, c := range cols {
		p.keys = append(p.keys, AppendJSONString(nil, c))
	}
	p.w.WriteString("[\n")
	return nil
}

func (p *jsonPrinter) Row(vals []any) error {
	b := p.buf[:0]
	if p.n > 0 {
		b = append(b, ",\n"...)
	}
	p.n++
	b = append(b, "  {"...)
	for i, v := range vals {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, p.keys[i]...)
		b = append(b, ':')
		switch v := v.(type) {
		case int64:
			b = append(b, '"')
			b = strconv.AppendInt(b, v, 10)
			b = append(b, '"')
		case nil:
			b = AppendJSONString(b, p.opts.NullValue)
		case string:
			b = AppendJSONString(b, v)
		case []byte:
			b = AppendJSONString(b, string(v))
		default:
			b = AppendJSONString(b, p.text(v))
		}
	}
	b = append(b, '}')
	p.buf = b
	_, err := p.w.Write(b)
	return err
}

func (p *jsonPrinter) End() error {
	if p.n > 0 {
		p.w.WriteByte('\n')
	}
	p.w.WriteString("]\n")
	return p.w.Flush()
}

const hexDigits = "0123456789abcdef"

// AppendJSONString appends s as a JSON string. Invalid UTF-8 becomes
// U+FFFD, so data read from the host never makes the output invalid JSON.
func AppendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
