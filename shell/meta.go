package shell

import (
	"context"
	"fmt"
	"strings"

	"github.com/osaudit/osaudit/table"
)

const helpText = `Welcome to the osaudit shell. Please explore your OS!
You are connected to a transient 'in-memory' virtual database.

.all [TABLE]     Select all from a table
.exit            Exit this program
.headers ON|OFF  Turn display of headers on or off
.help            Show this message
.mode MODE       Set output mode where MODE is one of:
                   csv      Comma-separated values
                   json     JSON array of objects, values as strings
                   line     One value per line
                   list     Values delimited by .separator string
                   pretty   Pretty printed SQL results (default)
.nullvalue STR   Use STRING in place of NULL values
.print STR...    Print literal STRING
.quit            Exit this program
.schema [TABLE]  Show the CREATE statements
.separator STR   Change separator used by output mode
.show            Show the current values for various settings
.tables [TABLE]  List names of tables
.timer ON|OFF    Turn the CPU timer measurement on or off
`

// Meta runs a dot-command.
func (s *Shell) Meta(ctx context.Context, line string) error {
	fields := strings.Fields(line)
	cmd, args := fields[0], fields[1:]
	arg := strings.TrimSpace(strings.TrimPrefix(line, cmd))
	switch cmd {
	case ".help":
		fmt.Fprint(s.Out, helpText)
	case ".quit", ".exit":
		s.quit = true
	case ".tables":
		for _, t := range s.tables() {
			if len(args) > 0 && !strings.Contains(t.Name, args[0]) {
				continue
			}
			fmt.Fprintf(s.Out, "  => %s\n", t.Name)
		}
	case ".schema":
		for _, t := range s.tables() {
			if len(args) > 0 && t.Name != args[0] {
				continue
			}
			fmt.Fprintf(s.Out, "%s;\n", t.CreateSQL())
		}
		if len(args) > 0 {
			if _, ok := s.Engine.Table(args[0]); !ok {
				return fmt.Errorf("no such table: %s", args[0])
			}
		}
	case ".all":
		if len(args) != 1 {
			return fmt.Errorf("usage: .all TABLE")
		}
		return s.Exec(ctx, "SELECT * FROM "+quoteIdent(args[0]))
	case ".mode":
		if len(args) != 1 {
			return fmt.Errorf("usage: .mode pretty|line|csv|json|list")
		}
		m, err := ParseMode(args[0])
		if err != nil {
			return err
		}
		s.Mode = m
	case ".timer":
		on, err := onOff(args)
		if err != nil {
			return err
		}
		s.Timer = on
	case ".headers", ".header":
		on, err := onOff(args)
		if err != nil {
			return err
		}
		s.Opts.Headers = on
	case ".nullvalue":
		s.Opts.NullValue = arg
	case ".separator":
		if arg == "" {
			return fmt.Errorf("usage: .separator STRING")
		}
		s.Opts.Separator = arg
	case ".print":
		fmt.Fprintln(s.Out, arg)
	case ".show":
		fmt.Fprintf(s.Out, "osaudit shell\n\n     headers: %s\n        mode: %s\n   nullvalue: %q\n   separator: %q\n       timer: %s\n",
			onOffText(s.Opts.Headers), s.Mode, s.Opts.NullValue, s.Opts.Separator, onOffText(s.Timer))
	default:
		return fmt.Errorf("unknown command %s (.help lists them)", cmd)
	}
	return nil
}

// tables lists the engine's tables, sorted by name.
func (s *Shell) tables() []*table.Table {
	var out []*table.Table
	for _, t := range table.All() {
		if _, ok := s.Engine.Table(t.Name); ok {
			out = append(out, t)
		}
	}
	return out
}

func onOff(args []string) (bool, error) {
	if len(args) == 1 {
		switch strings.ToLower(args[0]) {
		case "on", "1", "yes", "true":
			return true, nil
		case "off", "0", "no", "false":
			return false, nil
		}
	}
	return false, fmt.Errorf("expected ON or OFF")
}

func onOffText(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
