package tables

import (
	"encoding/binary"
	"fmt"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("ulimit_info", func() *table.Table {
		return &table.Table{
			Name:        "ulimit_info",
			Description: "System resource usage limits.",
			Platforms:   []string{"linux"},
			Columns: []table.Column{
				table.TextColumn("type"),
				table.TextColumn("soft_limit"),
				table.TextColumn("hard_limit"),
			},
			Generate: genUlimitInfo,
		}
	})
}

// rlimitsKernelFact is the name of the agent's resource limits under
// Root.Kernel; a fixture holds them in .kernel/rlimits.
//
// Byte format: an array of struct rlimit64 (two little-endian uint64, the
// soft limit rlim_cur then the hard limit rlim_max; 16 bytes each) indexed
// by the generic Linux resource numbers of asm-generic/resource.h:
// 0 cpu, 1 fsize, 2 data, 3 stack, 4 core, 5 rss, 6 nproc, 7 nofile,
// 8 memlock, 9 as, 10 locks, 11 sigpending, 12 msgqueue, 13 nice,
// 14 rtprio, 15 rttime. RLIM_INFINITY is all ones. The live dump holds all
// 16; a shorter dump holds the first ones.
const rlimitsKernelFact = "rlimits"

const rlimitRecordSize = 16

// rlimitResources lists the generic resource numbers in dump order with
// this architecture's getrlimit constant (MIPS and SPARC number some
// differently).
var rlimitResources = []int{
	unix.RLIMIT_CPU, unix.RLIMIT_FSIZE, unix.RLIMIT_DATA, unix.RLIMIT_STACK,
	unix.RLIMIT_CORE, unix.RLIMIT_RSS, unix.RLIMIT_NPROC, unix.RLIMIT_NOFILE,
	unix.RLIMIT_MEMLOCK, unix.RLIMIT_AS, unix.RLIMIT_LOCKS, unix.RLIMIT_SIGPENDING,
	unix.RLIMIT_MSGQUEUE, unix.RLIMIT_NICE, unix.RLIMIT_RTPRIO, unix.RLIMIT_RTTIME,
}

// ulimitTypes are the resources osquery reports, by its names, in its
// (alphabetical, std::map) order, with their generic resource numbers.
// osquery's list has no rttime.
var ulimitTypes = []struct {
	name  string
	index int
}{
	{"as", 9}, {"core", 4}, {"cpu", 0}, {"data", 2}, {"fsize", 1},
	{"locks", 10}, {"memlock", 8}, {"msgqueue", 12}, {"nice", 13},
	{"nofile", 7}, {"nproc", 6}, {"rss", 5}, {"rtprio", 14},
	{"sigpending", 11}, {"stack", 3},
}

// liveRlimits calls getrlimit(2) for each resource of the agent's own
// process, as osquery does, and encodes them in the documented format.
func liveRlimits() ([]byte, error) {
	out := make([]byte, 0, len(rlimitResources)*rlimitRecordSize)
	for i, res := range rlimitResources {
		var rl unix.Rlimit
		if err := unix.Getrlimit(res, &rl); err != nil {
			return nil, fmt.Errorf("getrlimit(%d): %w", i, err)
		}
		out = binary.LittleEndian.AppendUint64(out, rl.Cur)
		out = binary.LittleEndian.AppendUint64(out, rl.Max)
	}
	return out, nil
}

// rlimit is one resource's soft and hard limit.
type rlimit struct{ cur, max uint64 }

// parseRlimits decodes the documented format.
func parseRlimits(b []byte) ([]rlimit, error) {
	if len(b)%rlimitRecordSize != 0 || len(b) > 64*rlimitRecordSize {
		return nil, fmt.Errorf("rlimits: %d bytes is not an array of struct rlimit64", len(b))
	}
	out := make([]rlimit, len(b)/rlimitRecordSize)
	for i := range out {
		out[i].cur = binary.LittleEndian.Uint64(b[i*rlimitRecordSize:])
		out[i].max = binary.LittleEndian.Uint64(b[i*rlimitRecordSize+8:])
	}
	return out, nil
}

// formatRlimit writes a limit as osquery does: "unlimited" for
// RLIM_INFINITY, else the decimal number.
func formatRlimit(v uint64) string {
	if v == unix.RLIM_INFINITY {
		return "unlimited"
	}
	return strconv.FormatUint(v, 10)
}

// genUlimitInfo reports the resource limits of the agent process itself,
// as osquery reports its own.
func genUlimitInfo(q *table.Query, yield func(table.Row) bool) error {
	b, err := q.Root().Kernel(rlimitsKernelFact, liveRlimits)
	if err != nil {
		q.Warn("cannot read the resource limits", "err", err)
		return nil
	}
	limits, err := parseRlimits(b)
	if err != nil {
		q.Warn("cannot parse the resource limits", "err", err)
		return nil
	}
	for _, t := range ulimitTypes {
		if t.index >= len(limits) {
			continue
		}
		l := limits[t.index]
		r := q.NewRow()
		r.Set("type", table.Text(t.name))
		r.Set("soft_limit", table.Text(formatRlimit(l.cur)))
		r.Set("hard_limit", table.Text(formatRlimit(l.max)))
		if !yield(r) {
			return nil
		}
	}
	return nil
}
