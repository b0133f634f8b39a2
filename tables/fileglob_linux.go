package tables

import (
	"context"
	"path"
	"strings"

	"github.com/osaudit/osaudit/hostfs"
)

// fileGlobLimit selects the expansions of a path pattern that are kept, as
// osquery's GLOB_ALL and GLOB_FOLDERS do.
type fileGlobLimit uint8

const (
	fileGlobAll     fileGlobLimit = iota // files and directories
	fileGlobFolders                      // directories only
)

const (
	// fileGlobMaxRounds is osquery's kMaxRecursiveGlobs: a trailing "%%"
	// descends at most this many levels.
	fileGlobMaxRounds = 64
	// fileGlobMaxBraces bounds brace expansion ("{a,b}{c,d}..."), which
	// otherwise grows exponentially with the pattern.
	fileGlobMaxBraces = 1024
)

// fileGlobber expands osquery path patterns against a host root. It is
// glob(3) with GLOB_TILDE | GLOB_MARK | GLOB_BRACE as osquery calls it:
// wildcards do not match a leading dot, directories come back with a
// trailing slash, "~" and "~user" are home directories from the root's
// /etc/passwd, and "{a,b}" alternates.
type fileGlobber struct {
	ctx   context.Context
	root  *hostfs.Root
	homes map[string]string // user name -> home; "" is the current user
}

func newFileGlobber(ctx context.Context, root *hostfs.Root) *fileGlobber {
	return &fileGlobber{ctx: ctx, root: root}
}

// expand resolves a LIKE pattern as osquery's resolveFilePattern does with
// GLOB_NO_CANON. "%" becomes "*"; a pattern that ends in "**" (a trailing
// "%%") is globbed again one level deeper ("/**" appended) until a level is
// empty, a directory is met twice (a symlink loop) or fileGlobMaxRounds is
// reached. A relative pattern is taken relative to "/", the working
// directory of osqueryd as a service.
func (g *fileGlobber) expand(pattern string, limit fileGlobLimit) []string {
	p := strings.ReplaceAll(pattern, "%", "*")
	if p == "" || (p[0] != '/' && p[0] != '~') {
		p = "/" + p
	}
	var out []string
	seen := map[[2]uint64]bool{}
	for round := 1; round < fileGlobMaxRounds; round++ {
		if g.ctx.Err() != nil {
			break
		}
		found := g.glob(p)
		loop := false
		for _, f := range found {
			out = append(out, f)
			if g.loops(seen, f) {
				loop = true
			}
		}
		wild := strings.LastIndex(p, "**")
		if loop || len(found) == 0 || wild < 0 || wild+3 < len(p) {
			break
		}
		p += "/**"
	}
	if limit == fileGlobFolders {
		kept := out[:0]
		for _, f := range out {
			if strings.HasSuffix(f, "/") {
				kept = append(kept, f)
			}
		}
		out = kept
	}
	return out
}

// loops records a directory result's inode (of the entry itself, as
// osquery's lstat does) and reports whether it was seen before.
func (g *fileGlobber) loops(seen map[[2]uint64]bool, found string) bool {
	if len(found) < 2 || !strings.HasSuffix(found, "/") {
		return false
	}
	fi, err := g.root.Lstat(strings.TrimSuffix(found, "/"))
	if err != nil {
		return false
	}
	st, ok := fileStatOf(fi)
	if !ok {
		return false
	}
	key := [2]uint64{uint64(st.dev), st.ino}
	if seen[key] {
		return true
	}
	seen[key] = true
	return false
}

// glob is one glob(3) call.
func (g *fileGlobber) glob(p string) []string {
	if strings.HasPrefix(p, "~") {
		end := strings.IndexByte(p, '/')
		if end < 0 {
			end = len(p)
		}
		home, ok := g.home(p[1:end])
		if !ok {
			return nil
		}
		p = home + p[end:]
		if !strings.HasPrefix(p, "/") {
			return nil
		}
	}
	var out []string
	for _, alt := range fileGlobBraces(p, fileGlobMaxBraces) {
		out = append(out, g.walk(alt)...)
	}
	return out
}

// home returns a user's home directory from the root's /etc/passwd; the
// empty name is the root's current user.
func (g *fileGlobber) home(user string) (string, bool) {
	if g.homes == nil {
		g.homes = map[string]string{}
		users, _ := readPasswd(g.root)
		for _, u := range users {
			if _, dup := g.homes[u.Name]; !dup {
				g.homes[u.Name] = u.Home
			}
			if u.UID == g.root.UID() {
				if _, dup := g.homes[""]; !dup {
					g.homes[""] = u.Home
				}
			}
		}
	}
	h, ok := g.homes[user]
	return h, ok && h != ""
}

// walk expands one absolute, brace-free pattern component by component and
// marks directories with a trailing slash. Literal parts are kept as typed
// ("/etc//./passwd" stays so), as glob(3) keeps them.
func (g *fileGlobber) walk(p string) []string {
	onlyDirs := len(p) > 1 && strings.HasSuffix(p, "/")
	body := strings.TrimPrefix(p, "/")
	if onlyDirs {
		body = strings.TrimSuffix(body, "/")
	}
	cur := []string{""} // paths built so far, "/a/b"; "" is the root
	mustExist := true   // the tail after the last wildcard is not yet checked
	if body != "" {
		for _, c := range strings.Split(body, "/") {
			if !fileGlobHasMagic(c) {
				lit := fileGlobUnescape(c)
				for i := range cur {
					cur[i] += "/" + lit
				}
				mustExist = true
				continue
			}
			var next []string
			for _, dir := range cur {
				if g.ctx.Err() != nil {
					return nil
				}
				entries, err := g.root.ReadDir(dir + "/")
				if err != nil {
					continue
				}
				for _, e := range entries {
					if fileGlobMatch(c, e.Name()) {
						next = append(next, dir+"/"+e.Name())
					}
				}
			}
			cur = next
			mustExist = false
		}
	}
	var out []string
	for _, f := range cur {
		if f == "" {
			f = "/"
		}
		if mustExist {
			if _, err := g.root.Lstat(f); err != nil {
				continue
			}
		}
		isDir := false
		if fi, err := g.root.Stat(f); err == nil && fi.IsDir() {
			isDir = true
		}
		if onlyDirs && !isDir {
			continue
		}
		if isDir && !strings.HasSuffix(f, "/") {
			f += "/"
		}
		out = append(out, f)
	}
	return out
}

// fileGlobHasMagic reports whether a pattern component has an unescaped
// wildcard.
func fileGlobHasMagic(c string) bool {
	for i := 0; i < len(c); i++ {
		switch c[i] {
		case '\\':
			i++
		case '*', '?', '[':
			return true
		}
	}
	return false
}

// fileGlobUnescape drops the backslashes of a literal component.
func fileGlobUnescape(c string) string {
	if !strings.Contains(c, `\`) {
		return c
	}
	var b strings.Builder
	for i := 0; i < len(c); i++ {
		if c[i] == '\\' && i+1 < len(c) {
			i++
		}
		b.WriteByte(c[i])
	}
	return b.String()
}

// fileGlobMatch matches a directory entry name with an fnmatch(3) pattern
// component: a leading dot must be matched literally, and "[!...]" negates
// a class as "[^...]" does. A malformed pattern matches nothing.
func fileGlobMatch(pattern, name string) bool {
	if strings.HasPrefix(name, ".") && !strings.HasPrefix(pattern, ".") && !strings.HasPrefix(pattern, `\.`) {
		return false
	}
	ok, err := path.Match(fileGlobGoPattern(pattern), name)
	return err == nil && ok
}

// fileGlobGoPattern rewrites fnmatch's "[!" negation for path.Match.
func fileGlobGoPattern(p string) string {
	if !strings.Contains(p, "[!") {
		return p
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		switch {
		case p[i] == '\\' && i+1 < len(p):
			b.WriteByte(p[i])
			i++
		case p[i] == '[' && i+1 < len(p) && p[i+1] == '!':
			b.WriteString("[^")
			i++
			continue
		}
		b.WriteByte(p[i])
	}
	return b.String()
}

// fileGlobBraces expands "{a,b}" alternations (nested ones too), as
// GLOB_BRACE does, giving at most max patterns. A brace without its closing
// brace is literal.
func fileGlobBraces(p string, max int) []string {
	if max <= 0 {
		return nil
	}
	open := -1
	for i := 0; i < len(p); i++ {
		if p[i] == '\\' {
			i++
			continue
		}
		if p[i] == '{' {
			open = i
			break
		}
	}
	if open < 0 {
		return []string{p}
	}
	depth, close := 0, -1
	var commas []int
scan:
	for i := open; i < len(p); i++ {
		switch p[i] {
		case '\\':
			i++
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				close = i
				break scan
			}
		case ',':
			if depth == 1 {
				commas = append(commas, i)
			}
		}
	}
	if close < 0 {
		return []string{p}
	}
	prefix, suffix := p[:open], p[close+1:]
	var alts []string
	start := open + 1
	for _, c := range append(commas, close) {
		alts = append(alts, p[start:c])
		start = c + 1
	}
	var out []string
	for _, a := range alts {
		for _, e := range fileGlobBraces(prefix+a+suffix, max-len(out)) {
			if len(out) >= max {
				return out
			}
			out = append(out, e)
		}
	}
	return out
}
