//go:build unix

package hostfs

import (
	"errors"
	"syscall"
)

// ReadInto reads a whole small host file into buf, growing it as needed, and
// returns the bytes read. It costs one open, the reads and one close: the
// hot path of tables that read many /proc files.
func (r *Root) ReadInto(hostPath string, buf []byte) ([]byte, error) {
	r.traced("open", hostPath)
	fd, err := openRetry(r.Path(hostPath))
	if err != nil {
		return buf[:0], &pathError{op: "open", path: hostPath, err: err}
	}
	defer syscall.Close(fd)
	if cap(buf) == 0 {
		buf = make([]byte, 0, 4096)
	}
	buf = buf[:0]
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		want := cap(buf) - len(buf)
		n, err := syscall.Read(fd, buf[len(buf):cap(buf)])
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return buf, &pathError{op: "read", path: hostPath, err: err}
		}
		buf = buf[:len(buf)+n]
		// A short read is the end of a regular file, and of a /proc file
		// (seq_file and cmdline fill the buffer while data remain): it
		// saves the read that would return 0, a third of the syscalls of
		// a small /proc file.
		if n < want {
			return buf, nil
		}
	}
}

func openRetry(p string) (int, error) {
	for {
		fd, err := syscall.Open(p, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if !errors.Is(err, syscall.EINTR) {
			return fd, err
		}
	}
}
