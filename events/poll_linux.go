package events

import (
	"encoding/binary"
	"fmt"

	"golang.org/x/sys/unix"
)

// waker lets stop interrupt a publisher's goroutine blocked in poll(2): it
// is an eventfd that the goroutine polls beside its kernel socket.
type waker struct{ fd int }

func newWaker() (*waker, error) {
	fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("eventfd: %w", err)
	}
	return &waker{fd: fd}, nil
}

// wake makes every present and future wait return false.
func (w *waker) wake() {
	var b [8]byte
	binary.NativeEndian.PutUint64(b[:], 1)
	unix.Write(w.fd, b[:])
}

func (w *waker) close() { unix.Close(w.fd) }

// wait blocks until fd is readable (true) or the waker fired (false).
func (w *waker) wait(fd int) (bool, error) {
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}, {Fd: int32(w.fd), Events: unix.POLLIN}}
	for {
		fds[0].Revents, fds[1].Revents = 0, 0
		_, err := unix.Poll(fds, -1)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return false, fmt.Errorf("poll: %w", err)
		}
		if fds[1].Revents != 0 {
			return false, nil
		}
		if fds[0].Revents&(unix.POLLIN|unix.POLLERR|unix.POLLHUP) != 0 {
			return true, nil
		}
	}
}
