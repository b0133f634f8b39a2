//go:build unix

package tables

import (
	"io/fs"
	"syscall"
)

// fileInode returns the inode number behind a FileInfo.
func fileInode(fi fs.FileInfo) (uint64, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return st.Ino, true
}

// fileOwner returns the uid and gid that own a file.
func fileOwner(fi fs.FileInfo) (uid, gid int64, ok bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, false
	}
	return int64(st.Uid), int64(st.Gid), true
}
