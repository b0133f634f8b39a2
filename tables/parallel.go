package tables

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/osaudit/osaudit/table"
)

// parallelMin is the item count from which readRows spreads work over the
// cores: below it, starting goroutines costs more than it saves.
const parallelMin = 64

// readChunk is how many items a worker takes at a time.
const readChunk = 16

// readRows reads n items with read, on several cores when n is large, and
// yields the rows in item order. read gets a per-worker scratch buffer it
// may keep growing; it returns false for an item that yields no row (a
// process that exited meanwhile). Reading /proc is syscall-bound, so two
// cores read about twice as fast as one.
func readRows(q *table.Query, n int, read func(i int, scratch *[]byte) (table.Row, bool), yield func(table.Row) bool) {
	workers := min(runtime.GOMAXPROCS(0), 4)
	if n < parallelMin || workers < 2 {
		var scratch []byte
		for i := range n {
			if q.Context().Err() != nil {
				return
			}
			if r, ok := read(i, &scratch); ok && !yield(r) {
				return
			}
		}
		return
	}
	chunks := (n + readChunk - 1) / readChunk
	results := make([][]table.Row, chunks)
	done := make([]chan struct{}, chunks)
	for i := range done {
		done[i] = make(chan struct{})
	}
	var next atomic.Int64
	var stopped atomic.Bool
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			var scratch []byte
			for {
				c := int(next.Add(1) - 1)
				if c >= chunks {
					return
				}
				if !stopped.Load() && q.Context().Err() == nil {
					end := min((c+1)*readChunk, n)
					rows := make([]table.Row, 0, end-c*readChunk)
					for i := c * readChunk; i < end; i++ {
						if r, ok := read(i, &scratch); ok {
							rows = append(rows, r)
						}
					}
					results[c] = rows
				}
				close(done[c])
			}
		})
	}
	defer wg.Wait()
	for c := range chunks {
		<-done[c]
		for _, r := range results[c] {
			if !yield(r) {
				stopped.Store(true)
				return
			}
		}
		results[c] = nil
	}
}
