//go:build unix

package agent

import (
	"io/fs"
	"syscall"
)

// fileIdentity tells files apart across renames: the inode number.
func fileIdentity(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino)
	}
	return 0
}
