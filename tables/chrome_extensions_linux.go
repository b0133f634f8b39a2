package tables

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/osaudit/osaudit/hostfs"
	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("chrome_extensions", func() *table.Table {
		return &table.Table{
			Name:        "chrome_extensions",
			Description: "Chrome-based browser extensions.",
			Platforms:   []string{"linux"},
			Attributes:  table.UserData,
			Columns: []table.Column{
				table.TextColumn("browser_type"),
				table.BigIntColumn("uid", table.Index, table.Optimized),
				table.TextColumn("name"),
				table.TextColumn("profile"),
				table.TextColumn("profile_path"),
				table.TextColumn("referenced_identifier"),
				table.TextColumn("identifier"),
				table.TextColumn("version").WithCollate("version"),
				table.TextColumn("description"),
				table.TextColumn("default_locale").WithAliases("locale"),
				table.TextColumn("current_locale"),
				table.TextColumn("update_url"),
				table.TextColumn("author"),
				table.IntegerColumn("persistent"),
				table.TextColumn("path"),
				table.TextColumn("permissions"),
				table.TextColumn("permissions_json", table.Hidden),
				table.TextColumn("optional_permissions"),
				table.TextColumn("optional_permissions_json", table.Hidden),
				table.TextColumn("manifest_hash").WithCollate("nocase"),
				table.BigIntColumn("referenced"),
				table.TextColumn("from_webstore"),
				table.TextColumn("state"),
				table.TextColumn("install_time"),
				table.BigIntColumn("install_timestamp"),
				table.TextColumn("manifest_json", table.Hidden),
				table.TextColumn("key", table.Hidden),
			},
			Generate: genChromeExtensions,
		}
	})
}

// chromeBrowsers are osquery 5.23.1's Linux browser data directories,
// relative to a home directory, with the browser_type each reports. (Its
// Linux list has no Edge directory.)
var chromeBrowsers = []struct{ typ, dir string }{
	{"chrome", ".config/google-chrome"},
	{"chrome_beta", ".config/google-chrome-beta"},
	{"chrome_dev", ".config/google-chrome-unstable"},
	{"brave", ".config/BraveSoftware/Brave-Browser"},
	{"chromium", ".config/chromium"},
	{"chromium", "snap/chromium/common/chromium"},
	{"yandex", ".config/yandex-browser-beta"},
	{"opera", ".config/opera"},
	{"vivaldi", ".config/vivaldi"},
}

// chromeBuiltInManifests are the manifests of extensions built into the
// browsers, by their last three path elements; osquery does not warn when
// they cannot be read.
var chromeBuiltInManifests = map[string]bool{
	"resources/cloud_print/manifest.json":                    true,
	"resources/cryptotoken/manifest.json":                    true,
	"resources/feedback/manifest.json":                       true,
	"resources/hangout_services/manifest.json":               true,
	"resources/network_speech_synthesis/manifest.json":       true,
	"resources/pdf/manifest.json":                            true,
	"resources/web_store/manifest.json":                      true,
	"resources/edge_clipboard/manifest.json":                 true,
	"resources/media_internals_services/manifest.json":       true,
	"resources/edge_collections/manifest.json":               true,
	"resources/microsoft_web_store/manifest.json":            true,
	"resources/edge_feedback/manifest.json":                  true,
	"resources/microsoft_voices/manifest.json":               true,
	"resources/edge_pdf/manifest.json":                       true,
	"resources/identity_scope_approval_dialog/manifest.json": true,
	"resources/brave_rewards/manifest.json":                  true,
	"resources/brave_webtorrent/manifest.json":               true,
	"resources/brave_extension/manifest.json":                true,
	"resources/webrtc_internals/manifest.json":               true,
}

// chromeReadLimit bounds the Preferences, manifest and messages files.
const chromeReadLimit = 64 << 20

// chromeProfile is a browser profile directory with its parsed
// preferences.
type chromeProfile struct {
	typ, path, name string
	uid             int64
	prefs, secure   ptreeNode
}

// chromeExtension is one extension of a profile, as osquery reports it.
type chromeExtension struct {
	path         string
	referenced   bool
	manifestHash string
	manifestJSON string
	identifier   string
	props        map[string]string // manifest properties, localized
	settings     map[string]string // from the profile's preferences
}

func genChromeExtensions(q *table.Query, yield func(table.Row) bool) error {
	root := q.Root()
	for _, u := range queryUsers(q) {
		for _, b := range chromeBrowsers {
			for _, dir := range chromeProfileDirs(root, chromeCanonical(root, path.Join(u.Home, b.dir))) {
				if q.Context().Err() != nil {
					return nil
				}
				p, exts, err := readChromeProfile(q, b.typ, dir, u.UID)
				if err != nil {
					q.Warn("skipping browser profile", "profile", dir, "err", err)
					continue
				}
				for _, e := range exts {
					if !yield(chromeExtensionRow(q, p, e)) {
						return nil
					}
				}
			}
		}
	}
	return nil
}

func chromeExtensionRow(q *table.Query, p *chromeProfile, e *chromeExtension) table.Row {
	r := q.NewRow()
	prop := func(name, def string) table.Value {
		if v, ok := e.props[name]; ok {
			return table.Text(v)
		}
		return table.Text(def)
	}
	r.Set("browser_type", table.Text(p.typ))
	r.Set("uid", table.Int(p.uid))
	r.Set("profile", table.Text(p.name))
	r.Set("profile_path", table.Text(p.path))
	r.Set("name", prop("name", ""))
	r.Set("version", prop("version", ""))
	r.Set("author", prop("author", ""))
	r.Set("manifest_json", table.Text(e.manifestJSON))
	r.Set("update_url", prop("update_url", ""))
	r.Set("default_locale", prop("default_locale", ""))
	r.Set("current_locale", prop("current_locale", ""))
	r.Set("permissions", prop("permissions", ""))
	r.Set("permissions_json", prop("permissions_json", "{}"))
	r.Set("optional_permissions", prop("optional_permissions", ""))
	r.Set("optional_permissions_json", prop("optional_permissions_json", "{}"))
	r.Set("persistent", table.Bool(strings.EqualFold(e.props["persistent"], "true")))
	r.Set("description", prop("description", ""))
	r.Set("path", table.Text(e.path))
	r.Set("manifest_hash", table.Text(e.manifestHash))
	r.Set("referenced", table.Bool(e.referenced))
	r.Set("state", table.Text(e.settings["state"]))
	r.Set("from_webstore", table.Text(e.settings["from_webstore"]))
	r.Set("install_time", table.Text(e.settings["install_time"]))
	r.Set("install_timestamp", table.Int(webkitToUnix(e.settings["install_time"])))
	r.Set("referenced_identifier", table.Text(e.settings["referenced_identifier"]))
	r.Set("identifier", table.Text(e.identifier))
	r.Set("key", prop("key", ""))
	return r
}

// chromeProfileDirs finds a browser's profiles as osquery does: the browser
// directory itself if it holds a Preferences or Secure Preferences file,
// else each subdirectory that does (sorted).
func chromeProfileDirs(root *hostfs.Root, base string) []string {
	if chromeIsProfile(root, base) {
		return []string{base}
	}
	var out []string
	for _, d := range chromeSubdirs(root, base) {
		if d = chromeCanonical(root, d); chromeIsProfile(root, d) {
			out = append(out, d)
		}
	}
	return out
}

// chromeCanonical resolves the symbolic links and dot elements of an
// absolute host path, as osquery's fs::canonical calls do; a path that
// cannot be resolved (a missing element, a link loop) is returned as given,
// as osquery falls back to it.
func chromeCanonical(root *hostfs.Root, p string) string {
	if !path.IsAbs(p) {
		return p
	}
	resolved := "/"
	rest := strings.Split(p, "/")
	for hops := 0; len(rest) > 0; {
		name := rest[0]
		rest = rest[1:]
		if name == "" || name == "." {
			continue
		}
		if name == ".." {
			resolved = path.Dir(resolved)
			continue
		}
		next := path.Join(resolved, name)
		fi, err := root.Lstat(next)
		if err != nil {
			return p
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			resolved = next
			continue
		}
		if hops++; hops > 40 {
			return p
		}
		target, err := root.Readlink(next)
		if err != nil {
			return p
		}
		if path.IsAbs(target) {
			resolved = "/"
		}
		rest = append(strings.Split(target, "/"), rest...)
	}
	return resolved
}

func chromeIsProfile(root *hostfs.Root, dir string) bool {
	for _, name := range []string{"Preferences", "Secure Preferences"} {
		if f, err := root.Open(path.Join(dir, name)); err == nil {
			f.Close()
			return true
		}
	}
	return false
}

// chromeSubdirs lists the directories (symlinks followed) in dir, sorted,
// as osquery's listDirectoriesInDirectory does with glob(3): names
// starting with "." are left out.
func chromeSubdirs(root *hostfs.Root, dir string) []string {
	entries, err := root.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		p := path.Join(dir, e.Name())
		if fi, err := root.Stat(p); err == nil && fi.IsDir() {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// readChromeProfile reads a profile and its extensions as osquery does:
// both preference files must be readable and parse; the extensions are
// the version directories under Extensions/ ("unreferenced") and the paths
// that the preferences' extensions.settings (or Opera's opsettings) name
// ("referenced"), these getting their state, from_webstore and
// install_time. Unreferenced extensions come first, each group sorted by
// path.
func readChromeProfile(q *table.Query, typ, dir string, uid int64) (*chromeProfile, []*chromeExtension, error) {
	root := q.Root()
	p := &chromeProfile{typ: typ, path: dir, uid: uid}
	prefsRaw, err := root.ReadFileLimit(path.Join(dir, "Preferences"), chromeReadLimit)
	if err != nil {
		return nil, nil, err
	}
	secureRaw, err := root.ReadFileLimit(path.Join(dir, "Secure Preferences"), chromeReadLimit)
	if err != nil {
		return nil, nil, err
	}
	if len(prefsRaw) == 0 && len(secureRaw) == 0 {
		return nil, nil, errors.New("empty Preferences files")
	}
	if p.prefs, err = parsePtreeJSON(prefsRaw); err != nil {
		return nil, nil, fmt.Errorf("Preferences: %w", err)
	}
	if p.secure, err = parsePtreeJSON(secureRaw); err != nil {
		return nil, nil, fmt.Errorf("Secure Preferences: %w", err)
	}

	unreferenced := map[string][]byte{}
	for _, idDir := range chromeSubdirs(root, path.Join(dir, "Extensions")) {
		for _, ext := range chromeSubdirs(root, idDir) {
			ext = chromeCanonical(root, ext)
			if m, err := root.ReadFileLimit(path.Join(ext, "manifest.json"), chromeReadLimit); err == nil {
				unreferenced[ext] = m
			}
		}
	}
	referenced := map[string][]byte{}
	prefsSettings := chromeSettings(root, &p.prefs, dir)
	secureSettings := chromeSettings(root, &p.secure, dir)
	for _, s := range append(prefsSettings, secureSettings...) {
		ref := s.path
		if m, ok := unreferenced[ref]; ok {
			referenced[ref] = m
			delete(unreferenced, ref)
			continue
		}
		if _, ok := referenced[ref]; ok {
			continue
		}
		m, err := root.ReadFileLimit(path.Join(ref, "manifest.json"), chromeReadLimit)
		if err != nil {
			if !chromeBuiltInManifests[chromeManifestTail(ref)] {
				q.Warn("cannot read the manifest of a referenced extension", "path", ref, "profile", dir, "err", err)
			}
			continue
		}
		referenced[ref] = m
	}

	p.name = chromeProfileName(&p.prefs)
	if p.name == "" {
		p.name = chromeProfileName(&p.secure)
	}
	if p.name == "" && typ != "opera" {
		return nil, nil, errors.New("no profile name in the preferences")
	}

	var exts []*chromeExtension
	for _, group := range []struct {
		m          map[string][]byte
		referenced bool
	}{{unreferenced, false}, {referenced, true}} {
		paths := make([]string, 0, len(group.m))
		for p := range group.m {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		for _, extPath := range paths {
			e, err := parseChromeExtension(extPath, group.m[extPath])
			if err != nil {
				q.Warn("skipping extension", "path", extPath, "err", err)
				continue
			}
			if err := localizeChromeExtension(root, e); err != nil {
				q.Warn("cannot localize extension strings", "path", extPath, "err", err)
			}
			if group.referenced {
				e.referenced = true
				// The first preferences file with an extensions.settings
				// node that lists the path gives the settings.
				settings, ok := chromeExtensionSettings(prefsSettings, extPath)
				if !ok {
					settings, ok = chromeExtensionSettings(secureSettings, extPath)
				}
				if !ok {
					q.Warn("extension not found in the profile settings", "path", extPath)
				}
				e.settings = settings
			}
			exts = append(exts, e)
		}
	}
	return p, exts, nil
}

// chromeManifestTail is "<parent>/<dir>/manifest.json" of an extension
// path, lower-cased: the key of chromeBuiltInManifests.
func chromeManifestTail(extPath string) string {
	parent := path.Base(path.Dir(extPath))
	return strings.ToLower(parent + "/" + path.Base(extPath) + "/manifest.json")
}

// chromeSettingsNode returns extensions.settings, or Opera's
// extensions.opsettings.
func chromeSettingsNode(prefs *ptreeNode) (*ptreeNode, bool) {
	if n, ok := prefs.get("extensions.settings", true); ok {
		return n, true
	}
	return prefs.get("extensions.opsettings", true)
}

// chromeSettingsPath resolves a settings entry's path: relative paths are
// under the profile's Extensions directory.
func chromeSettingsPath(root *hostfs.Root, p, profile string) string {
	if !path.IsAbs(p) {
		p = path.Join(profile, "Extensions", p)
	}
	if root == nil {
		return path.Clean(p)
	}
	return chromeCanonical(root, p)
}

// chromeSetting is an entry of extensions.settings that names a path.
type chromeSetting struct {
	path  string // resolved
	entry *ptreeNode
}

// chromeSettings lists the entries of extensions.settings that name an
// extension path, in document order, with the paths resolved.
func chromeSettings(root *hostfs.Root, prefs *ptreeNode, profile string) []chromeSetting {
	settings, ok := chromeSettingsNode(prefs)
	if !ok {
		return nil
	}
	var out []chromeSetting
	for i := range settings.children {
		entry := &settings.children[i]
		if p, ok := entry.child("path", true); ok {
			out = append(out, chromeSetting{chromeSettingsPath(root, p.data, profile), entry})
		}
	}
	return out
}

// chromeExtensionSettings finds the first settings entry of an extension
// path and returns its identifier (the entry's key), state, from_webstore
// and install_time.
func chromeExtensionSettings(settings []chromeSetting, extPath string) (map[string]string, bool) {
	for _, s := range settings {
		if s.path != extPath {
			continue
		}
		out := map[string]string{"referenced_identifier": s.entry.key}
		for _, name := range []string{"from_webstore", "state", "install_time"} {
			if v, ok := s.entry.child(name, true); ok {
				out[name] = v.data
			}
		}
		return out, true
	}
	return nil, false
}

// chromeProfileName is profile.name of a preferences file, "" if absent.
func chromeProfileName(prefs *ptreeNode) string {
	return prefs.getString("profile.name", true, "")
}

// chromeStringProps and chromeListProps are the manifest properties
// osquery copies: property name to the manifest path it comes from.
var (
	chromeStringProps = []struct{ name, path string }{
		{"name", "name"},
		{"update_url", "update_url"},
		{"version", "version"},
		{"author", "author"},
		{"default_locale", "default_locale"},
		{"current_locale", "current_locale"},
		{"persistent", "background.persistent"},
		{"description", "description"},
		{"key", "key"},
	}
	chromeListProps = []string{"permissions", "optional_permissions"}
)

// parseChromeExtension reads an extension's manifest as osquery does: its
// SHA-256, its properties (lists joined with ", ", and also re-rendered as
// JSON), the manifest re-rendered as one-line JSON, and the identifier
// computed from its "key".
func parseChromeExtension(extPath string, manifest []byte) (*chromeExtension, error) {
	sum := sha256.Sum256(manifest)
	e := &chromeExtension{path: extPath, manifestHash: hex.EncodeToString(sum[:]), props: map[string]string{}}
	m, err := parsePtreeJSON(manifest)
	if err != nil {
		return nil, fmt.Errorf("manifest.json: %w", err)
	}
	if !m.writable() {
		return nil, errors.New("manifest.json is not an object")
	}
	for _, sp := range chromeStringProps {
		if n, ok := m.get(sp.path, true); ok {
			e.props[sp.name] = n.data
		}
	}
	for _, name := range chromeListProps {
		n, ok := m.get(name, true)
		if !ok {
			continue
		}
		if !n.writable() {
			return nil, fmt.Errorf("manifest.json: %s is not a list", name)
		}
		list := ""
		for i := range n.children {
			v := n.children[i].data
			if list != "" {
				list += ", "
			}
			list += v
		}
		e.props[name] = list
		e.props[name+"_json"] = n.writeJSON()
	}
	e.manifestJSON = m.writeJSON()
	e.identifier = chromeExtensionID(e.props["key"])
	return e, nil
}

// chromeMsgPrefix marks a manifest string to be localized.
const chromeMsgPrefix = "__MSG_"

// localizeChromeExtension replaces the "__MSG_name__" properties with the
// messages of the extension's locale (default_locale, else
// current_locale, else "en") from _locales/<locale>/messages.json. Strings
// without a message stay as they are.
func localizeChromeExtension(root *hostfs.Root, e *chromeExtension) error {
	needed := false
	for _, v := range e.props {
		if strings.HasPrefix(v, chromeMsgPrefix) {
			needed = true
			break
		}
	}
	if !needed {
		return nil
	}
	locale, ok := e.props["default_locale"]
	if !ok {
		if locale, ok = e.props["current_locale"]; !ok {
			locale = "en"
		}
	}
	raw, err := root.ReadFileLimit(path.Join(e.path, "_locales", locale, "messages.json"), chromeReadLimit)
	if err != nil {
		return fmt.Errorf("locale %q: %w", locale, err)
	}
	messages, err := parsePtreeJSON(raw)
	if err != nil {
		return fmt.Errorf("locale %q: %w", locale, err)
	}
	for k, v := range e.props {
		if s, ok := chromeLocalize(&messages, v); ok {
			e.props[k] = s
		}
	}
	return nil
}

// chromeLocalize looks up a "__MSG_name__" string's message (names
// compare without case). ok is false for a string that is not localized or
// has no message.
func chromeLocalize(messages *ptreeNode, s string) (string, bool) {
	if !strings.HasPrefix(s, chromeMsgPrefix) {
		return "", false
	}
	name := s[len(chromeMsgPrefix):]
	if len(s) >= len(chromeMsgPrefix)+2 {
		name = s[len(chromeMsgPrefix) : len(s)-2] // drop the closing "__"
	}
	n, ok := messages.get(name+".message", true)
	if !ok {
		return "", false
	}
	return n.data, true
}

// chromeExtensionID computes an extension's identifier from its manifest
// key as Chrome does: the first 128 bits of the SHA-256 of the decoded key,
// each hex digit mapped to a letter a-p. "" without a valid key.
func chromeExtensionID(key string) string {
	key = strings.ReplaceAll(key, "\n", "")
	key = strings.ReplaceAll(key, "\r", "")
	key = strings.TrimRight(key, "=")
	if key == "" {
		return ""
	}
	der, err := base64.RawStdEncoding.DecodeString(key)
	if err != nil || len(der) == 0 {
		return ""
	}
	sum := sha256.Sum256(der)
	h := hex.EncodeToString(sum[:16])
	id := make([]byte, len(h))
	for i := range h {
		v, _ := strconv.ParseUint(h[i:i+1], 16, 8)
		id[i] = byte('a' + v)
	}
	return string(id)
}

// webkitToUnix converts a Chrome time (microseconds since 1601-01-01, in
// decimal text) to Unix seconds; 0 when it is not a number or falls
// before 1970, as osquery reports.
func webkitToUnix(s string) int64 {
	v, err := strconv.ParseInt(strings.TrimLeft(s, " \t\n\v\f\r"), 10, 64)
	if err != nil {
		return 0
	}
	unix := v/1000000 - 11644473600
	if unix < 0 {
		return 0
	}
	return unix
}
