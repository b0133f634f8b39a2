package tables

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/osaudit/osaudit/hostfs"
)

// chromeTestKey and chromeTestID are osquery's test vector for the
// identifier computed from a manifest key.
const (
	chromeTestKey = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAmJNzUNVjS6Q1qe0NRqpmfX/oSJdgauSZNdfeb5RV1Hji21vX0TivpP5gq0fadwmvmVCtUpOaNUopgejiUFm/iKHPs0o3x7hyKk/eX0t2QT3OZGdXkPiYpTEC0f0p86SQaLoA2eHaOG4uCGi7sxLJmAXc6IsxGKVklh7cCoLUgWEMnj8ZNG2Y8UKG3gBdrpES5hk7QyFDMraO79NmSlWRNgoJHX6XRoY66oYThFQad8KL8q3pf3Oe8uBLKywohU0ZrDPViWHIszXoE9HEvPTFAbHZ1umINni4W/YVs+fhqHtzRJcaKJtsTaYy+cholu5mAYeTZqtHf6bcwJ8t9i2afwIDAQAB"
	chromeTestID  = "cjpalhdlnbpafiamejdnhcphjbkeiagm"
)

func TestChromeExtensionID(t *testing.T) {
	tests := []struct{ key, want string }{
		{chromeTestKey, chromeTestID},
		{chromeTestKey[:100] + "\n" + chromeTestKey[100:], chromeTestID},
		{"", ""},
		{"hello, world!", ""},
		{"====", ""},
	}
	for _, tt := range tests {
		if got := chromeExtensionID(tt.key); got != tt.want {
			t.Errorf("chromeExtensionID(%.20q) = %q, want %q", tt.key, got, tt.want)
		}
	}
}

func TestWebkitToUnix(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"13251227857389874", 1606754257},
		{" 13251227857389874", 1606754257},
		{"100", 0},
		{"", 0},
		{"13251227857389874x", 0},
		{"-5", 0},
		{"99999999999999999999", 0},
	}
	for _, tt := range tests {
		if got := webkitToUnix(tt.in); got != tt.want {
			t.Errorf("webkitToUnix(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestChromeLocalize(t *testing.T) {
	m, err := parsePtreeJSON([]byte(`{"appdesc": {"message": "Description"}, "appname": {"message": "Name"}, "odd": {"message": {"x": 1}}}`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"test_string", "", false},
		{"__MSG_appdesc__", "Description", true},
		{"__MSG_ApPNamE__", "Name", true},
		{"__MSG_missing__", "", false},
		{"__MSG_odd__", "", true},
		{"__MSG_", "", false},
		{"__MSG_appname", "", false}, // osquery drops two characters whatever they are
	}
	for _, tt := range tests {
		got, ok := chromeLocalize(&m, tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("chromeLocalize(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// chromeTestManifest is osquery's test manifest (tests/utils.cpp).
const chromeTestManifest = `
{
  "author": "Author",
  "background": { "persistent": "true" },
  "content_scripts": [
    {
      "js": [ "/js/1.js", "/js/2.js" ],
      "matches": [ "http://*/1*", "https://*/2*" ]
    }
  ],
  "default_locale": "en",
  "current_locale": "en",
  "description": "Description",
  "key": "` + chromeTestKey + `",
  "name": "Test extension",
  "permissions": [ "1", "2" ],
  "optional_permissions": [ "3", "4" ],
  "update_url": "https://clients2.google.com/service/update2/crx",
  "version": "1.00.0"
}
`

func TestParseChromeExtension(t *testing.T) {
	e, err := parseChromeExtension("/p/ext/1.00.0_0", []byte(chromeTestManifest))
	if err != nil {
		t.Fatal(err)
	}
	wantProps := map[string]string{
		"name":                      "Test extension",
		"key":                       chromeTestKey,
		"update_url":                "https://clients2.google.com/service/update2/crx",
		"version":                   "1.00.0",
		"author":                    "Author",
		"default_locale":            "en",
		"current_locale":            "en",
		"persistent":                "true",
		"description":               "Description",
		"permissions":               "1, 2",
		"optional_permissions":      "3, 4",
		"permissions_json":          "{\"\":\"1\",\"\":\"2\"}\n",
		"optional_permissions_json": "{\"\":\"3\",\"\":\"4\"}\n",
	}
	if diff := cmp.Diff(wantProps, e.props); diff != "" {
		t.Errorf("properties (-want +got):\n%s", diff)
	}
	if e.identifier != chromeTestID {
		t.Errorf("identifier = %q", e.identifier)
	}
	if sum := sha256.Sum256([]byte(chromeTestManifest)); e.manifestHash != hex.EncodeToString(sum[:]) {
		t.Errorf("manifest_hash = %q", e.manifestHash)
	}
	wantJSON := `{"author":"Author","background":{"persistent":"true"},"content_scripts":[{"js":["\/js\/1.js","\/js\/2.js"],"matches":["http:\/\/*\/1*","https:\/\/*\/2*"]}],"default_locale":"en","current_locale":"en","description":"Description","key":"` +
		"MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAmJNzUNVjS6Q1qe0NRqpmfX\\/oSJdgauSZNdfeb5RV1Hji21vX0TivpP5gq0fadwmvmVCtUpOaNUopgejiUFm\\/iKHPs0o3x7hyKk\\/eX0t2QT3OZGdXkPiYpTEC0f0p86SQaLoA2eHaOG4uCGi7sxLJmAXc6IsxGKVklh7cCoLUgWEMnj8ZNG2Y8UKG3gBdrpES5hk7QyFDMraO79NmSlWRNgoJHX6XRoY66oYThFQad8KL8q3pf3Oe8uBLKywohU0ZrDPViWHIszXoE9HEvPTFAbHZ1umINni4W\\/YVs+fhqHtzRJcaKJtsTaYy+cholu5mAYeTZqtHf6bcwJ8t9i2afwIDAQAB" +
		`","name":"Test extension","permissions":["1","2"],"optional_permissions":["3","4"],"update_url":"https:\/\/clients2.google.com\/service\/update2\/crx","version":"1.00.0"}` + "\n"
	if e.manifestJSON != wantJSON {
		t.Errorf("manifest_json =\n%s\nwant\n%s", e.manifestJSON, wantJSON)
	}
}

func TestParseChromeExtensionOddManifests(t *testing.T) {
	tests := []struct {
		name      string
		manifest  string
		wantErr   bool
		wantProps map[string]string
	}{
		{name: "not JSON", manifest: "{", wantErr: true},
		{name: "scalar root", manifest: `"x"`, wantErr: true},
		{name: "permissions as a string", manifest: `{"permissions": "tabs"}`, wantErr: true},
		{name: "empty", manifest: `{}`, wantProps: map[string]string{}},
		{
			name:     "objects in lists, numbers, nested names",
			manifest: `{"name": {"x": 1}, "version": 2, "permissions": ["a", {"fileSystem": ["write"]}, "b"], "optional_permissions": ["", "c"]}`,
			wantProps: map[string]string{
				"name": "", "version": "2",
				"permissions":               "a, , b",
				"permissions_json":          `{"":"a","":{"fileSystem":["write"]},"":"b"}` + "\n",
				"optional_permissions":      "c",
				"optional_permissions_json": `{"":"","":"c"}` + "\n",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := parseChromeExtension("/x", []byte(tt.manifest))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			if err != nil {
				return
			}
			if diff := cmp.Diff(tt.wantProps, e.props); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestChromeSettings(t *testing.T) {
	prefs, err := parsePtreeJSON([]byte(`{
	  "extensions": {"Settings": {
	    "extension_identifier1": {"from_webstore": true, "install_time": "13251308956895241", "path": "extension/1.00.0_0", "state": 1},
	    "extension_identifier2": {"from_webstore": false, "install_time": "13251308956895242", "path": "/absolute/path/to/extension/1.00.0_0", "state": 0},
	    "no_path": {"state": 1}
	  }},
	  "profile": {"name": "test"}
	}`))
	if err != nil {
		t.Fatal(err)
	}
	const profile = "/home/user/.config/google-chrome/Default"
	wantPaths := []string{profile + "/Extensions/extension/1.00.0_0", "/absolute/path/to/extension/1.00.0_0"}
	settings := chromeSettings(nil, &prefs, profile)
	var paths []string
	for _, s := range settings {
		paths = append(paths, s.path)
	}
	if diff := cmp.Diff(wantPaths, paths); diff != "" {
		t.Errorf("paths (-want +got):\n%s", diff)
	}
	got, ok := chromeExtensionSettings(settings, wantPaths[0])
	want := map[string]string{"referenced_identifier": "extension_identifier1", "from_webstore": "true", "state": "1", "install_time": "13251308956895241"}
	if diff := cmp.Diff(want, got); !ok || diff != "" {
		t.Errorf("settings (-want +got):\n%s", diff)
	}
	got, ok = chromeExtensionSettings(settings, wantPaths[1])
	if !ok || got["referenced_identifier"] != "extension_identifier2" || got["state"] != "0" || got["from_webstore"] != "false" {
		t.Errorf("settings of the absolute path = %v, %v", got, ok)
	}
	if _, ok := chromeExtensionSettings(settings, "/elsewhere"); ok {
		t.Error("found settings for an unknown path")
	}
	if name := chromeProfileName(&prefs); name != "test" {
		t.Errorf("profile name = %q", name)
	}
	opera, _ := parsePtreeJSON([]byte(`{"extensions": {"opsettings": {"id": {"path": "id/1_0"}}}}`))
	if got := chromeSettings(nil, &opera, "/o"); len(got) != 1 || got[0].path != "/o/Extensions/id/1_0" || got[0].entry.key != "id" {
		t.Errorf("opsettings: %+v", got)
	}
}

func TestChromeManifestTail(t *testing.T) {
	if got := chromeManifestTail("/opt/google/chrome/Resources/PDF"); !chromeBuiltInManifests[got] {
		t.Errorf("chromeManifestTail = %q, not a built-in", got)
	}
}

func FuzzParseChromeExtension(f *testing.F) {
	f.Add([]byte(chromeTestManifest))
	f.Add([]byte(`{"name":"__MSG_x__","permissions":[{"a":[1]}],"key":"AAAA"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := parseChromeExtension("/x", b)
		if err != nil {
			return
		}
		if len(e.manifestHash) != 64 || e.manifestJSON == "" {
			t.Fatalf("bad extension %+v", e)
		}
	})
}

func TestChromeCanonical(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"data/cfg/google-chrome/Default", "home/u"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		"home/u/.config":           "/data/cfg",
		"data/cfg/chrome-link":     "google-chrome/./Default",
		"data/cfg/loop":            "loop",
		"data/cfg/google-chrome/D": "../google-chrome/Default",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	root := hostfs.Dir(dir)
	tests := []struct{ in, want string }{
		{"/home/u/.config/google-chrome/Default", "/data/cfg/google-chrome/Default"},
		{"/home/u/.config/chrome-link", "/data/cfg/google-chrome/Default"},
		{"/home/u/.config/google-chrome/D", "/data/cfg/google-chrome/Default"},
		{"/home/u/./x/../.config/google-chrome", "/home/u/./x/../.config/google-chrome"}, // x does not exist
		{"/home/u/./.config//google-chrome/", "/data/cfg/google-chrome"},
		{"relative/path", "relative/path"},
		{"/home/u/.config/loop", "/home/u/.config/loop"},
		{"/home/u/.config/absent", "/home/u/.config/absent"},
		{"/", "/"},
	}
	for _, tt := range tests {
		if got := chromeCanonical(root, tt.in); got != tt.want {
			t.Errorf("chromeCanonical(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
