package tables

import (
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"syscall"

	"github.com/osaudit/osaudit/hostfs"
	"github.com/osaudit/osaudit/table"
)

// fileStatInfo holds the stat(2) fields the file, hash and suid_bin tables
// report.
type fileStatInfo struct {
	ino, rdev                uint64
	uid, gid                 int64
	mode                     uint32 // st_mode, type and permission bits
	size, blksize, nlink     int64
	atime, mtime, ctime, dev int64
}

// fileStatOf extracts the stat fields behind a FileInfo.
func fileStatOf(fi fs.FileInfo) (fileStatInfo, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileStatInfo{}, false
	}
	return fileStatInfo{
		ino:     uint64(st.Ino),
		rdev:    uint64(st.Rdev),
		dev:     int64(st.Dev),
		uid:     int64(st.Uid),
		gid:     int64(st.Gid),
		mode:    uint32(st.Mode),
		size:    int64(st.Size),
		blksize: int64(st.Blksize),
		nlink:   int64(st.Nlink),
		atime:   int64(st.Atim.Sec),
		mtime:   int64(st.Mtim.Sec),
		ctime:   int64(st.Ctim.Sec),
	}, true
}

// fileModeOctal writes the permission bits of st_mode as osquery's lsperms
// does: four octal digits, setuid/setgid/sticky first ("0644", "4755").
func fileModeOctal(mode uint32) string {
	return fmt.Sprintf("%04o", mode&0o7777)
}

// fileTypeName names a st_mode's file type as osquery's file table does.
func fileTypeName(mode uint32) string {
	switch mode & syscall.S_IFMT {
	case syscall.S_IFREG:
		return "regular"
	case syscall.S_IFDIR:
		return "directory"
	case syscall.S_IFLNK:
		return "symlink"
	case syscall.S_IFBLK:
		return "block"
	case syscall.S_IFCHR:
		return "character"
	case syscall.S_IFIFO:
		return "fifo"
	case syscall.S_IFSOCK:
		return "socket"
	}
	return "unknown"
}

// errFileNotDir is what stat(2) says of "file/" when file is not a
// directory.
var errFileNotDir = &fs.PathError{Op: "stat", Err: syscall.ENOTDIR}

// fileLstat is lstat(2) on a host path. As in the kernel, a trailing slash
// makes it follow a final symlink and fail unless the target is a directory;
// the root's path cleaning would otherwise drop that slash on fixture hosts.
func fileLstat(root *hostfs.Root, p string) (fs.FileInfo, error) {
	if len(p) > 1 && strings.HasSuffix(p, "/") {
		return fileStat(root, p)
	}
	return root.Lstat(p)
}

// fileStat is stat(2) on a host path, with fileLstat's trailing-slash rule.
func fileStat(root *hostfs.Root, p string) (fs.FileInfo, error) {
	fi, err := root.Stat(p)
	if err != nil {
		return nil, err
	}
	if len(p) > 1 && strings.HasSuffix(p, "/") && !fi.IsDir() {
		return nil, errFileNotDir
	}
	return fi, nil
}

// fileStatTypeName is the type osquery reports for a path whose stat failed:
// boost's status() calls a missing target (a dangling symlink) "not found",
// which osquery prints as "unknown"; any other failure is "error".
func fileStatTypeName(err error) string {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return "unknown"
	}
	return "error"
}

// boostFilename is boost::filesystem (v3) path::filename as osquery prints
// it: "/" for the root, "." for a path with a trailing slash, else the last
// component.
func boostFilename(p string) string {
	switch {
	case p == "":
		return ""
	case strings.Trim(p, "/") == "":
		return "/"
	case strings.HasSuffix(p, "/"):
		return "."
	}
	return p[strings.LastIndexByte(p, '/')+1:]
}

// boostParentPath is boost::filesystem (v3) path::parent_path: the path
// without its filename and the separators before it ("/etc/ssh/" ->
// "/etc/ssh", "/etc" -> "/", "/" -> "").
func boostParentPath(p string) string {
	if p == "" || strings.Trim(p, "/") == "" {
		return ""
	}
	pos := strings.LastIndexByte(p, '/') + 1
	if strings.HasSuffix(p, "/") {
		pos = len(p) - 1
	}
	rooted := strings.HasPrefix(p, "/")
	for pos > 0 && !(rooted && pos-1 == 0) && p[pos-1] == '/' {
		pos--
	}
	return p[:pos]
}

// boostJoin is boost's operator/ for a directory and an entry name: a
// separator is added unless the directory already ends with one.
func boostJoin(dir, name string) string {
	if dir == "" || strings.HasSuffix(dir, "/") {
		return dir + name
	}
	return dir + "/" + name
}

// fileConstraintTargets resolves the equality and LIKE constraints on a
// path-like column (file.path, hash.directory...) into the sorted, distinct
// host paths osquery's expandConstraints would visit. LIKE patterns are
// expanded as osquery's resolveFilePattern: "%" is a glob "*" and a trailing
// "%%" recurses.
func fileConstraintTargets(q *table.Query, column string, limit fileGlobLimit) []string {
	set := map[string]bool{}
	for _, p := range q.EqualTexts(column) {
		set[p] = true
	}
	if pats := q.Patterns(column); len(pats) > 0 {
		g := newFileGlobber(q.Context(), q.Root())
		for _, pat := range pats {
			for _, p := range g.expand(pat, limit) {
				set[p] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for p := range set {
		if p != "" {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}
