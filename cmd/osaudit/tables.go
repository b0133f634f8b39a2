package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/osaudit/osaudit/table"
)

// runTables is `osaudit tables`: every table with its columns, types,
// options and platforms; --json for tools (and the schema check).
func runTables(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("tables", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	markdown := fs.Bool("markdown", false, "print the Markdown reference (docs/tables.md)")
	fs.String("root", "", "ignored: tables are the same for every root")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	tables := table.All()
	switch {
	case *asJSON:
		infos := make([]table.Info, 0, len(tables))
		for _, t := range tables {
			infos = append(infos, t.Describe())
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(infos); err != nil {
			fmt.Fprintln(stderr, "Error:", err)
			return 1
		}
	case *markdown:
		if err := table.WriteMarkdown(stdout, tables); err != nil {
			fmt.Fprintln(stderr, "Error:", err)
			return 1
		}
	default:
		for _, t := range tables {
			var cols []string
			for _, c := range t.Columns {
				cols = append(cols, c.Name+" "+c.Type.String())
			}
			fmt.Fprintf(stdout, "%s (%s)\n  %s\n", t.Name, strings.Join(t.Platforms, ","), strings.Join(cols, ", "))
		}
	}
	return 0
}
