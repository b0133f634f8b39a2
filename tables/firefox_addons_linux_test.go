package tables

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseFirefoxExtensions(t *testing.T) {
	in := `{"schemaVersion": 36, "addons": [
	  {"id": "uBlock0@raymondhill.net", "version": "1.60.0", "type": "extension",
	   "defaultLocale": {"name": "uBlock Origin", "description": "An efficient blocker.", "creator": null},
	   "visible": true, "active": true, "userDisabled": false, "appDisabled": false, "softDisabled": true,
	   "applyBackgroundUpdates": 1, "sourceURI": null, "location": "app-profile", "path": "/p/uBlock0@raymondhill.net.xpi"},
	  {"id": "theme@example", "type": "theme", "defaultLocale": {"name": "Yes"}, "visible": false, "active": false,
	   "userDisabled": true, "applyBackgroundUpdates": 2},
	  {"id": "soft@example", "softDisable": true, "Visible": true},
	  "not an object"
	]}`
	got, err := parseFirefoxExtensions([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	empty := func(m map[string]string) map[string]string {
		for _, k := range firefoxAddonKeys {
			if _, ok := m[k.column]; !ok {
				m[k.column] = ""
			}
		}
		return m
	}
	want := []firefoxAddon{
		{values: empty(map[string]string{
			"name": "uBlock Origin", "identifier": "uBlock0@raymondhill.net", "type": "extension", "version": "1.60.0",
			"creator": "null", "description": "An efficient blocker.", "source_url": "null", "visible": "1", "active": "1",
			"autoupdate": "1", "location": "app-profile", "path": "/p/uBlock0@raymondhill.net.xpi",
		})},
		{values: empty(map[string]string{
			"name":       "1", // osquery turns every boolean-looking value into 1 or 0
			"identifier": "theme@example", "type": "theme", "visible": "0", "active": "0", "autoupdate": "2",
		}), disabled: true},
		{values: empty(map[string]string{"identifier": "soft@example"}), disabled: true},
		{values: empty(map[string]string{})},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(firefoxAddon{})); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestParseFirefoxExtensionsErrors(t *testing.T) {
	for _, in := range []string{"", "{", `{"schemaVersion": 36}`, `[]`} {
		if _, err := parseFirefoxExtensions([]byte(in)); err == nil {
			t.Errorf("parseFirefoxExtensions(%q): no error", in)
		}
	}
	got, err := parseFirefoxExtensions([]byte(`{"addons": "none"}`))
	if err != nil || len(got) != 0 {
		t.Errorf("scalar addons: %v, %v", got, err)
	}
}

func TestFirefoxBoolAsInt(t *testing.T) {
	for in, want := range map[string]string{
		"true": "1", "TRUE": "1", "yes": "1", "Y": "1", "t": "1", "ok": "1", "enable": "1", "1": "1",
		"false": "0", "No": "0", "n": "0", "f": "0", "disable": "0", "0": "0",
		"2": "2", "": "", "o\u212a": "o\u212a", "uBlock": "uBlock",
	} {
		if got := firefoxBoolAsInt(in); got != want {
			t.Errorf("firefoxBoolAsInt(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseFirefoxExtensions(f *testing.F) {
	f.Add([]byte(`{"addons":[{"id":"a","defaultLocale":{"name":"n"},"visible":true}]}`))
	f.Add([]byte(`{"addons":[[1],{"defaultLocale":[]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		addons, err := parseFirefoxExtensions(b)
		if err != nil {
			return
		}
		for _, a := range addons {
			if len(a.values) != len(firefoxAddonKeys) {
				t.Fatalf("addon with %d values", len(a.values))
			}
		}
	})
}
