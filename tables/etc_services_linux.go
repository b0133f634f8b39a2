package tables

import (
	"strings"
	"unicode/utf8"

	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("etc_services", func() *table.Table {
		return &table.Table{
			Name:        "etc_services",
			Description: "Line-parsed /etc/services.",
			Platforms:   []string{"linux"},
			Attributes:  table.Cacheable,
			Columns: []table.Column{
				table.TextColumn("name"),
				table.IntegerColumn("port"),
				table.TextColumn("protocol"),
				table.TextColumn("aliases"),
				table.TextColumn("comment"),
			},
			Generate: genEtcServices,
		}
	})
}

// etcService is one line of /etc/services. comment is absent (NULL) when
// the line has none.
type etcService struct {
	name, port, protocol, aliases string
	comment                       string
	hasComment                    bool
}

func genEtcServices(q *table.Query, yield func(table.Row) bool) error {
	content, err := etcReadText(q.Root(), "/etc/services")
	if err != nil {
		q.Warn("cannot read /etc/services", "err", err)
		return nil
	}
	services, skipped := parseEtcServices(content)
	if skipped > 0 {
		q.Warn("skipped lines that are not UTF-8", "file", "/etc/services", "lines", skipped)
	}
	for _, s := range services {
		r := q.NewRow()
		r.Set("name", table.Text(s.name))
		r.Set("port", etcInteger(s.port))
		r.Set("protocol", table.Text(s.protocol))
		r.Set("aliases", table.Text(s.aliases))
		if s.hasComment {
			r.Set("comment", table.Text(s.comment))
		}
		if !yield(r) {
			return nil
		}
	}
	return nil
}

// parseEtcServices parses services(5) text as osquery does: a line is
// split at "#" into the entry and comment parts (several "#" parts are
// joined with " # "); the entry is "name port/protocol [aliases...]", with
// the aliases joined by single spaces. Lines without a name and a
// "port/protocol" pair are skipped silently, as osquery does (a port that
// is not a number gives a NULL port); lines that are not UTF-8 are skipped
// and counted.
func parseEtcServices(content string) (services []etcService, skipped int) {
	for _, line := range etcLines(content) {
		if line == "" || line[0] == '#' {
			continue
		}
		if !utf8.ValidString(line) {
			skipped++
			continue
		}
		parts := etcSplit(line, "#")
		if len(parts) == 0 {
			continue
		}
		f := etcSplit(parts[0], "\t ")
		if len(f) < 2 {
			continue
		}
		pp := etcSplit(f[1], "/")
		if len(pp) != 2 {
			continue
		}
		s := etcService{name: f[0], port: pp[0], protocol: pp[1], aliases: strings.Join(f[2:], " ")}
		if len(parts) > 1 {
			s.comment, s.hasComment = strings.Join(parts[1:], " # "), true
		}
		services = append(services, s)
	}
	return services, skipped
}
