package events

import (
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"

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

// reader is what every publisher's reading goroutine shares: its waker,
// whether it runs, and a stop that happens once.
type reader struct {
	w        *waker
	active   atomic.Bool
	done     chan struct{} // closed when the goroutine ends, or when it never starts
	stopOnce sync.Once
}

func newReader() reader { return reader{done: make(chan struct{})} }

// begin makes the waker that the publisher's source is opened with.
func (r *reader) begin() error {
	w, err := newWaker()
	if err != nil {
		close(r.done)
		return err
	}
	r.w = w
	return nil
}

// abort gives back what begin made when the source could not be opened:
// the publisher never runs. It returns err.
func (r *reader) abort(err error) error {
	r.w.close()
	r.w = nil
	close(r.done)
	return err
}

// spawn runs read on the reading goroutine.
func (r *reader) spawn(wg *sync.WaitGroup, read func()) {
	r.active.Store(true)
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(r.done)
		read()
	}()
}

// halt, the first time it is called on a started reader, wakes the
// goroutine, waits for it to end, calls release to close the source and
// closes the waker.
func (r *reader) halt(release func()) {
	r.stopOnce.Do(func() {
		r.active.Store(false)
		if r.w == nil {
			return
		}
		r.w.wake()
		<-r.done
		release()
		r.w.close()
	})
}
