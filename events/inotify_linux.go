package events

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"path"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/osaudit/osaudit/hostfs"
	"github.com/osaudit/osaudit/table"
)

// maxHashSize is the largest file file_events hashes, osquery's default
// --read_max.
const maxHashSize = 50 << 20

// watchMask is added to every watch: the publisher follows its directories
// being removed or moved away.
const watchMask = unix.IN_DELETE_SELF | unix.IN_MOVE_SELF | unix.IN_ONLYDIR | unix.IN_MASK_ADD

// inotifyPublisher watches the configured file_paths for file_events, with
// inotify(7) read through golang.org/x/sys/unix.
type inotifyPublisher struct {
	m    *Manager
	root *hostfs.Root

	reader
	fd int

	mu       sync.Mutex
	subs     []*fileSub
	excludes []excludePattern
	watches  map[int]*dirWatch    // by watch descriptor
	byDir    map[string]*dirWatch // by host directory
	full     bool                 // max_user_watches was reached

	nsubs  atomic.Int64 // len(subs), for stats without the lock
	events atomic.Int64
}

// dirWatch is one watched directory and the subscriptions it serves.
type dirWatch struct {
	wd   int
	dir  string
	subs []*fileSub
}

func newInotifyPublisher(m *Manager) *inotifyPublisher {
	return &inotifyPublisher{m: m, root: m.cfg.Root, fd: -1, reader: newReader()}
}

func (p *inotifyPublisher) name() string { return publisherInotify }

func (p *inotifyPublisher) stats() publisherStats {
	return publisherStats{subscriptions: p.nsubs.Load(), events: p.events.Load(), active: p.active.Load()}
}

func (p *inotifyPublisher) status(severity int, format string, args ...any) {
	p.m.cfg.Status(severity, publisherInotify+": "+fmt.Sprintf(format, args...))
}

func (p *inotifyPublisher) start(ctx context.Context, wg *sync.WaitGroup) error {
	if err := p.begin(); err != nil {
		return err
	}
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		if errors.Is(err, unix.EMFILE) {
			return p.abort(errors.New("cannot start inotify: too many inotify instances (fs.inotify.max_user_instances)"))
		}
		return p.abort(fmt.Errorf("cannot start inotify: %w", err))
	}
	p.fd = fd
	c := p.m.cfg
	p.reconfigure(c.FilePaths, c.ExcludePaths, c.FileAccesses)
	p.spawn(wg, p.run)
	return nil
}

// reconfigure replaces every watch with those the configuration asks for.
func (p *inotifyPublisher) reconfigure(paths, exclude map[string][]string, accesses []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	defer func() { p.nsubs.Store(int64(len(p.subs))) }()
	if p.fd < 0 {
		return
	}
	for wd := range p.watches {
		unix.InotifyRmWatch(p.fd, uint32(wd))
	}
	p.watches, p.byDir, p.subs, p.full = map[int]*dirWatch{}, map[string]*dirWatch{}, nil, false
	p.excludes = compileExcludes(exclude)
	if len(paths) == 0 {
		p.status(StatusInfo, "no file_paths are configured; file_events stays empty")
		return
	}
	for _, cat := range sortedKeys(paths) {
		mask := uint32(fileDefaultMask)
		if slices.Contains(accesses, cat) {
			mask |= fileAccessMask
		}
		for _, fp := range paths[cat] {
			subs, err := expandFilePath(p.root, cat, fp, mask)
			if err != nil {
				p.status(StatusWarning, "cannot watch %s (category %s): %v", fp, cat, err)
				continue
			}
			var skipped skippedDirs
			for i := range subs {
				s := &subs[i]
				if err := p.watchTree(s.dir, s, &skipped); err != nil {
					p.status(StatusWarning, "cannot watch %s (category %s): %v", fp, cat, err)
					continue
				}
				p.subs = append(p.subs, s)
			}
			if skipped.n > 0 {
				p.status(StatusWarning, "%s (category %s): %d directories below it are not watched, the first because %v", fp, cat, skipped.n, skipped.first)
			}
		}
	}
}

// watchTree watches dir for s and, when s is recursive, every directory
// below it (not following symlinks). Only a failure on dir itself is an
// error; subdirectories that cannot be watched (unreadable, gone) are
// counted in skipped, with the first one's reason.
func (p *inotifyPublisher) watchTree(dir string, s *fileSub, skipped *skippedDirs) error {
	if err := p.watch(dir, s); err != nil {
		return err
	}
	if !s.recursive {
		return nil
	}
	entries, err := p.root.ReadDir(dir)
	if err != nil {
		skipped.add(err)
		return nil
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if err := p.watchTree(path.Join(dir, e.Name()), s, skipped); err != nil {
			if errors.Is(err, unix.ENOSPC) {
				return nil // reported once by watch
			}
			skipped.add(err)
		}
	}
	return nil
}

// skippedDirs counts the subdirectories a recursive subscription could not
// watch.
type skippedDirs struct {
	n     int
	first error
}

func (s *skippedDirs) add(err error) {
	if s == nil || errors.Is(err, unix.ENOENT) {
		return
	}
	if s.n == 0 {
		s.first = err
	}
	s.n++
}

func (p *inotifyPublisher) watch(dir string, s *fileSub) error {
	wd, err := unix.InotifyAddWatch(p.fd, p.root.Path(dir), s.mask|watchMask)
	if err != nil {
		if errors.Is(err, unix.ENOSPC) {
			if !p.full {
				p.status(StatusWarning, "the inotify watch limit is reached (fs.inotify.max_user_watches); directories from %s on are not watched", dir)
				p.full = true
			}
		}
		return fmt.Errorf("%s: %w", dir, err)
	}
	dw := p.watches[wd]
	if dw == nil {
		dw = &dirWatch{wd: wd, dir: dir}
		p.watches[wd] = dw
		p.byDir[dir] = dw
	}
	if !slices.Contains(dw.subs, s) {
		dw.subs = append(dw.subs, s)
	}
	return nil
}

// inotifyEvent is one event read from an inotify descriptor.
type inotifyEvent struct {
	wd           int
	mask, cookie uint32
	name         string
}

// parseInotifyEvents splits what read(2) returned on an inotify descriptor
// into events; a truncated event is an error.
func parseInotifyEvents(b []byte) ([]inotifyEvent, error) {
	var out []inotifyEvent
	for len(b) > 0 {
		if len(b) < unix.SizeofInotifyEvent {
			return out, fmt.Errorf("truncated inotify event (%d bytes)", len(b))
		}
		ne := binary.NativeEndian
		ev := inotifyEvent{
			wd:     int(int32(ne.Uint32(b[0:]))),
			mask:   ne.Uint32(b[4:]),
			cookie: ne.Uint32(b[8:]),
		}
		n := ne.Uint32(b[12:])
		b = b[unix.SizeofInotifyEvent:]
		if uint64(n) > uint64(len(b)) {
			return out, fmt.Errorf("inotify event name of %d bytes in %d", n, len(b))
		}
		name := b[:n]
		for len(name) > 0 && name[len(name)-1] == 0 {
			name = name[:len(name)-1]
		}
		ev.name = string(name)
		b = b[n:]
		out = append(out, ev)
	}
	return out, nil
}

func (p *inotifyPublisher) run() {
	buf := make([]byte, 64<<10)
	var lastOverflow time.Time
	for {
		ready, err := p.w.wait(p.fd)
		if err != nil {
			p.status(StatusError, "%v; stopped", err)
			p.active.Store(false)
			return
		}
		if !ready {
			return
		}
		n, err := unix.Read(p.fd, buf)
		if err == unix.EAGAIN || err == unix.EINTR {
			continue
		}
		if err != nil {
			p.status(StatusError, "reading inotify: %v; stopped", err)
			p.active.Store(false)
			return
		}
		evs, _ := parseInotifyEvents(buf[:n])
		for _, ev := range evs {
			if ev.mask&unix.IN_Q_OVERFLOW != 0 {
				if now := time.Now(); now.Sub(lastOverflow) > time.Minute {
					p.status(StatusWarning, "the inotify queue overflowed; file events were lost")
					lastOverflow = now
				}
				continue
			}
			p.handle(ev)
		}
	}
}

// handle turns one inotify event into file_events rows, one per matching
// subscription.
func (p *inotifyPublisher) handle(ev inotifyEvent) {
	p.mu.Lock()
	defer p.mu.Unlock()
	dw := p.watches[ev.wd]
	if dw == nil {
		return
	}
	switch {
	case ev.mask&unix.IN_IGNORED != 0:
		delete(p.watches, ev.wd)
		if p.byDir[dw.dir] == dw {
			delete(p.byDir, dw.dir)
		}
		return
	case ev.mask&unix.IN_MOVE_SELF != 0:
		// The directory moved: its watch no longer stands for its path.
		unix.InotifyRmWatch(p.fd, uint32(ev.wd))
		return
	case ev.mask&unix.IN_DELETE_SELF != 0:
		return // IN_IGNORED follows
	}
	target := dw.dir + "/" + ev.name
	if dw.dir == "/" {
		target = "/" + ev.name
	}
	if ev.mask&unix.IN_ISDIR != 0 && ev.mask&(unix.IN_CREATE|unix.IN_MOVED_TO) != 0 && ev.name != "" {
		// New directories under a recursive subscription get watched
		// before the event is stored, so a reader that saw it can rely on
		// the watch.
		for _, s := range dw.subs {
			if s.recursive {
				p.watchTree(target, s, nil)
			}
		}
	}
	action := fileAction(ev.mask)
	if action == "" || excluded(p.excludes, target) {
		return
	}
	var info *fileInfo
	for _, s := range dw.subs {
		if ev.mask&s.mask == 0 {
			continue
		}
		if s.leaf != "" {
			if dw.dir != s.dir || ev.name == "" {
				continue
			}
			if ok, _ := path.Match(s.leaf, ev.name); !ok {
				continue
			}
		}
		hash := (action == "CREATED" || action == "UPDATED") && s.mask&fileAccessMask == 0
		if info == nil || (hash && !info.hashTried) {
			info = decorateFile(p.root, cleanHostPath(target), hash)
		}
		r := fileEventRow(target, s.category, action, ev.cookie, info, hash)
		p.m.store.Add(tableFileEvents, r.vals)
		p.events.Add(1)
	}
}

// fileInfo is what file_events adds to an event from the file itself.
type fileInfo struct {
	statOK                bool
	inode, uid, gid, size int64
	mode                  string
	atime, mtime, ctime   int64
	hashTried, hashOK     bool
	md5, sha1, sha256     string
}

// decorateFile stats a changed file and, when asked, hashes it if it is a
// regular file no larger than maxHashSize.
func decorateFile(root *hostfs.Root, p string, wantHash bool) *fileInfo {
	info := &fileInfo{hashTried: wantHash}
	fi, err := root.Stat(p)
	if err != nil {
		return info
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		info.statOK = true
		info.inode, info.uid, info.gid, info.size = int64(st.Ino), int64(st.Uid), int64(st.Gid), st.Size
		info.mode = fmt.Sprintf("%04o", st.Mode&0o7777)
		info.atime, info.mtime, info.ctime = st.Atim.Sec, st.Mtim.Sec, st.Ctim.Sec
	}
	if !wantHash || !fi.Mode().IsRegular() || fi.Size() > maxHashSize {
		return info
	}
	f, err := root.Open(p)
	if err != nil {
		return info
	}
	defer f.Close()
	hs := []hash.Hash{md5.New(), sha1.New(), sha256.New()}
	if _, err := io.Copy(io.MultiWriter(hs[0], hs[1], hs[2]), io.LimitReader(f, maxHashSize+1)); err != nil {
		return info
	}
	info.md5 = hex.EncodeToString(hs[0].Sum(nil))
	info.sha1 = hex.EncodeToString(hs[1].Sum(nil))
	info.sha256 = hex.EncodeToString(hs[2].Sum(nil))
	info.hashOK = true
	return info
}

// fileEventRow builds a file_events row. hashed is 1 when the file was
// hashed, -1 when hashing was wanted but failed (the file is gone, not
// regular or too large) and 0 when not wanted, as osquery writes it.
func fileEventRow(target, category, action string, cookie uint32, info *fileInfo, hash bool) row {
	r := schemaOf(tableFileEvents).newRow()
	r.set("target_path", table.Text(target))
	r.set("category", table.Text(category))
	r.set("action", table.Text(action))
	r.set("transaction_id", table.Int(int64(cookie)))
	if info.statOK {
		r.set("inode", table.Int(info.inode))
		r.set("uid", table.Int(info.uid))
		r.set("gid", table.Int(info.gid))
		r.set("mode", table.Text(info.mode))
		r.set("size", table.Int(info.size))
		r.set("atime", table.Int(info.atime))
		r.set("mtime", table.Int(info.mtime))
		r.set("ctime", table.Int(info.ctime))
	}
	switch {
	case !hash:
		r.set("hashed", table.Int(0))
	case info.hashOK:
		r.set("md5", table.Text(info.md5))
		r.set("sha1", table.Text(info.sha1))
		r.set("sha256", table.Text(info.sha256))
		r.set("hashed", table.Int(1))
	default:
		r.set("hashed", table.Int(-1))
	}
	return r
}

func (p *inotifyPublisher) stop() error {
	p.halt(func() {
		p.mu.Lock()
		unix.Close(p.fd)
		p.fd = -1
		p.mu.Unlock()
	})
	return nil
}
