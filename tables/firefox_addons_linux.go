package tables

import (
	"errors"
	"fmt"
	"io/fs"
	"path"

	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("firefox_addons", func() *table.Table {
		return &table.Table{
			Name:        "firefox_addons",
			Description: "Firefox browser extensions, webapps, and addons.",
			Platforms:   []string{"linux"},
			Attributes:  table.UserData,
			Columns: []table.Column{
				table.BigIntColumn("uid", table.Additional, table.Optimized),
				table.TextColumn("name"),
				table.TextColumn("identifier", table.Index),
				table.TextColumn("creator"),
				table.TextColumn("type"),
				table.TextColumn("version").WithCollate("version"),
				table.TextColumn("description"),
				table.TextColumn("source_url"),
				table.IntegerColumn("visible"),
				table.IntegerColumn("active"),
				table.IntegerColumn("disabled"),
				table.IntegerColumn("autoupdate"),
				table.TextColumn("location"),
				table.TextColumn("path"),
			},
			Generate: genFirefoxAddons,
		}
	})
}

// firefoxAddonKeys maps the extensions.json keys osquery copies to columns.
var firefoxAddonKeys = []struct{ key, column string }{
	{"defaultLocale.name", "name"},
	{"id", "identifier"},
	{"type", "type"},
	{"version", "version"},
	{"defaultLocale.creator", "creator"},
	{"defaultLocale.description", "description"},
	{"sourceURI", "source_url"},
	{"visible", "visible"},
	{"active", "active"},
	{"applyBackgroundUpdates", "autoupdate"},
	{"location", "location"},
	{"path", "path"},
}

// firefoxIntColumns are the INTEGER columns among firefoxAddonKeys.
var firefoxIntColumns = map[string]bool{"visible": true, "active": true, "autoupdate": true}

// firefoxAddon is one add-on: column name to osquery's text value, and
// disabled.
type firefoxAddon struct {
	values   map[string]string
	disabled bool
}

func genFirefoxAddons(q *table.Query, yield func(table.Row) bool) error {
	root := q.Root()
	for _, u := range queryUsers(q) {
		for _, profile := range chromeSubdirs(root, path.Join(u.Home, ".mozilla/firefox")) {
			if q.Context().Err() != nil {
				return nil
			}
			file := path.Join(profile, "extensions.json")
			raw, err := root.ReadFileLimit(file, chromeReadLimit)
			if err != nil {
				if !errors.Is(err, fs.ErrNotExist) {
					q.Warn("cannot read Firefox extensions", "file", file, "err", err)
				}
				continue
			}
			addons, err := parseFirefoxExtensions(raw)
			if err != nil {
				q.Warn("cannot parse Firefox extensions", "file", file, "err", err)
				continue
			}
			for _, a := range addons {
				r := q.NewRow()
				r.Set("uid", table.Int(u.UID))
				for _, k := range firefoxAddonKeys {
					v := a.values[k.column]
					if firefoxIntColumns[k.column] {
						r.Set(k.column, etcInteger(v))
					} else {
						r.Set(k.column, table.Text(v))
					}
				}
				r.Set("disabled", table.Bool(a.disabled))
				if !yield(r) {
					return nil
				}
			}
		}
	}
	return nil
}

// parseFirefoxExtensions reads a profile's extensions.json as osquery
// does: for each element of "addons", the keys of firefoxAddonKeys as text
// ("" when absent, "null" for a JSON null), every value that reads as a
// boolean (true, false, yes, no, 1, 0, ...) written 1 or 0, and disabled
// when softDisable, appDisabled or userDisabled is true.
func parseFirefoxExtensions(b []byte) ([]firefoxAddon, error) {
	doc, err := parsePtreeJSON(b)
	if err != nil {
		return nil, err
	}
	list, ok := doc.child("addons", false)
	if !ok {
		return nil, fmt.Errorf("no addons list")
	}
	var out []firefoxAddon
	for i := range list.children {
		n := &list.children[i]
		a := firefoxAddon{values: map[string]string{}}
		for _, k := range firefoxAddonKeys {
			a.values[k.column] = firefoxBoolAsInt(n.getString(k.key, false, ""))
		}
		for _, k := range []string{"softDisable", "appDisabled", "userDisabled"} {
			if n.getString(k, false, "false") == "true" {
				a.disabled = true
			}
		}
		out = append(out, a)
	}
	return out, nil
}

// firefoxBoolAsInt rewrites a value that osquery's tryTo<bool> accepts as
// "1" or "0"; other values are kept.
func firefoxBoolAsInt(s string) string {
	lower := []byte(s)
	for i, c := range lower {
		if 'A' <= c && c <= 'Z' {
			lower[i] = c + 'a' - 'A'
		}
	}
	switch string(lower) {
	case "1", "y", "yes", "t", "true", "ok", "enable":
		return "1"
	case "0", "n", "no", "f", "false", "disable":
		return "0"
	}
	return s
}
