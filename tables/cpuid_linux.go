package tables

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/osaudit/osaudit/table"
)

// cpuidKernelFact is the name of the CPUID register dump under Root.Kernel;
// a fixture holds it in .kernel/cpuid.
//
// Byte format: a sequence of 24-byte records, one per (leaf, subleaf)
// executed, each six little-endian uint32: the input EAX (leaf), the input
// ECX (subleaf), then the output EAX, EBX, ECX and EDX. The live dump holds
// the leaves osquery's cpuid table reads, in cpuidLeaves order.
const cpuidKernelFact = "cpuid"

const cpuidRecordSize = 24

// cpuidLeaf is one (EAX, ECX) input of the CPUID instruction.
type cpuidLeaf struct{ eax, ecx uint32 }

// cpuidLeaves are the inputs osquery's cpuid table executes.
var cpuidLeaves = []cpuidLeaf{
	{0, 0},          // max leaf and vendor
	{0x80000002, 0}, // brand string, part 1
	{0x80000003, 0}, // brand string, part 2
	{0x80000004, 0}, // brand string, part 3
	{0x40000000, 0}, // hypervisor id
	{1, 0},          // family and feature flags
	{3, 0},          // processor serial number
	{7, 0},          // extended features
	{0x80000001, 0}, // extended features (AMD)
	{0x12, 0},       // SGX capabilities
	{0x12, 1},       // SGX attributes
}

// cpuidRegs are the output registers EAX, EBX, ECX, EDX.
type cpuidRegs [4]uint32

// cpuidDump is a parsed register dump.
type cpuidDump map[cpuidLeaf]cpuidRegs

var errCPUIDDump = errors.New("cpuid: malformed register dump")

// errCPUIDUnsupported is what the live dump returns where Go cannot run
// the CPUID instruction (every architecture but amd64).
var errCPUIDUnsupported = errors.New("cpuid: the CPUID instruction is x86-only")

// dumpCPUID runs the CPUID instruction for each leaf osquery reads and
// encodes the results in the documented byte format.
func dumpCPUID(run func(eax, ecx uint32) (a, b, c, d uint32)) []byte {
	out := make([]byte, 0, len(cpuidLeaves)*cpuidRecordSize)
	for _, l := range cpuidLeaves {
		a, b, c, d := run(l.eax, l.ecx)
		for _, v := range []uint32{l.eax, l.ecx, a, b, c, d} {
			out = binary.LittleEndian.AppendUint32(out, v)
		}
	}
	return out
}

// parseCPUIDDump parses the documented byte format. A later record for
// the same input replaces an earlier one.
func parseCPUIDDump(b []byte) (cpuidDump, error) {
	if len(b) == 0 || len(b)%cpuidRecordSize != 0 {
		return nil, fmt.Errorf("%w: %d bytes is not a multiple of %d", errCPUIDDump, len(b), cpuidRecordSize)
	}
	if len(b) > 4096*cpuidRecordSize {
		return nil, fmt.Errorf("%w: %d records", errCPUIDDump, len(b)/cpuidRecordSize)
	}
	d := cpuidDump{}
	for off := 0; off < len(b); off += cpuidRecordSize {
		var v [6]uint32
		for i := range v {
			v[i] = binary.LittleEndian.Uint32(b[off+4*i:])
		}
		d[cpuidLeaf{v[0], v[1]}] = cpuidRegs{v[2], v[3], v[4], v[5]}
	}
	return d, nil
}

// regs returns the output of a leaf, and whether the dump holds it.
func (d cpuidDump) regs(eax, ecx uint32) (cpuidRegs, bool) {
	r, ok := d[cpuidLeaf{eax, ecx}]
	return r, ok
}

// cpuidRegString writes registers as osquery does: each register's four
// bytes in memory (little-endian) order.
func cpuidRegString(regs ...uint32) string {
	var b []byte
	for _, r := range regs {
		b = binary.LittleEndian.AppendUint32(b, r)
	}
	return string(b)
}

// cutAtNUL returns s up to its first NUL byte: osquery's strings come out
// of C buffers.
func cutAtNUL(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

// brandString returns the 48-byte processor brand string (leaves
// 0x80000002-4), cut at its NUL padding. ok is false when the CPU does not
// support CPUID or the dump lacks a brand leaf.
func (d cpuidDump) brandString() (string, bool) {
	if r0, ok := d.regs(0, 0); !ok || int32(r0[0]) < 1 {
		return "", false
	}
	var s strings.Builder
	for i := uint32(0); i < 3; i++ {
		r, ok := d.regs(0x80000002+i, 0)
		if !ok {
			return "", false
		}
		s.WriteString(cpuidRegString(r[0], r[1], r[2], r[3]))
	}
	return cutAtNUL(s.String()), true
}

// cpuidFeature is one feature flag of osquery's cpuid table.
type cpuidFeature struct {
	name string
	reg  string // eax, ebx, ecx or edx
	bit  uint
}

// cpuidFeatureSets are osquery's feature flags by input leaf, in the order
// osquery iterates them (its std::map orders leaves numerically).
var cpuidFeatureSets = []struct {
	leaf     uint32
	features []cpuidFeature
}{
	{1, []cpuidFeature{
		{"pae", "edx", 6}, {"msr", "edx", 5}, {"sep", "edx", 11}, {"mtrr", "edx", 12},
		{"pge", "edx", 13}, {"mca", "edx", 14}, {"pat", "edx", 16}, {"clfsh", "edx", 19},
		{"acpi", "edx", 22}, {"mmz", "edx", 23}, {"sse", "edx", 25}, {"sse2", "edx", 26},
		{"ss", "edx", 27}, {"htt", "edx", 28}, {"ia64", "edx", 30},
		{"sse3", "ecx", 0}, {"vmx", "ecx", 5}, {"smx", "ecx", 6}, {"ssse3", "ecx", 9},
		{"sdbg", "ecx", 11}, {"pdcm", "ecx", 15}, {"pcid", "ecx", 17}, {"dca", "ecx", 18},
		{"sse4.1", "ecx", 19}, {"sse4.2", "ecx", 20}, {"aes", "ecx", 25}, {"avx", "ecx", 28},
		{"hypervisor", "ecx", 31},
	}},
	{7, []cpuidFeature{
		{"sgx", "ebx", 2}, {"hle", "ebx", 4}, {"avx2", "ebx", 5}, {"smep", "ebx", 7},
		{"bmi2", "ebx", 8}, {"erms", "ebx", 9}, {"invpcid", "ebx", 10}, {"rtm", "ebx", 11},
		{"pqm", "ebx", 12}, {"mpx", "ebx", 14}, {"pqe", "ebx", 15}, {"avx512f", "ebx", 16},
		{"avx512dq", "ebx", 17}, {"rdseed", "ebx", 18}, {"adx", "ebx", 19}, {"smap", "ebx", 20},
		{"intel_pt", "ebx", 25}, {"sha", "ebx", 29},
		{"umip", "ecx", 2}, {"pku", "ecx", 3}, {"ospke", "ecx", 4}, {"gfni", "ecx", 8},
		{"vaes", "ecx", 9}, {"sgx_lc", "ecx", 30},
		{"spec_ctrl", "edx", 26},
	}},
	{0x80000001, []cpuidFeature{
		{"lahfsahf", "ecx", 0}, {"svm", "ecx", 2}, {"3dnowprefetch", "ecx", 8},
		{"ibs", "ecx", 10}, {"skinit", "ecx", 12}, {"lwp", "ecx", 15},
		{"nx", "edx", 20}, {"page1gb", "edx", 26}, {"lm", "edx", 29},
	}},
}

// cpuidRow is one row of the cpuid table.
type cpuidRow struct {
	feature, value, register string
	bit                      int64
	inputEAX                 string
}

func hex8(v uint32) string {
	s := strconv.FormatUint(uint64(v), 16)
	return strings.Repeat("0", 8-len(s)) + s
}

// cpuidRows computes osquery's cpuid rows from a dump. A leaf missing from
// the dump reads as zeros (missing reports it); a dump without leaf 0, or
// whose leaf 0 reports no CPUID support, yields no rows.
func cpuidRows(d cpuidDump) (rows []cpuidRow, missing []cpuidLeaf) {
	get := func(eax, ecx uint32) cpuidRegs {
		r, ok := d.regs(eax, ecx)
		if !ok {
			missing = append(missing, cpuidLeaf{eax, ecx})
		}
		return r
	}
	r0, ok := d.regs(0, 0)
	if !ok || int32(r0[0]) < 1 {
		return nil, nil
	}
	rows = append(rows, cpuidRow{"vendor", cutAtNUL(cpuidRegString(r0[1], r0[3], r0[2])), "ebx,edx,ecx", 0, "0"})

	var brand strings.Builder
	for i := uint32(0); i < 3; i++ {
		r := get(0x80000002+i, 0)
		brand.WriteString(cpuidRegString(r[0], r[1], r[2], r[3]))
	}
	rows = append(rows, cpuidRow{"product_name", cutAtNUL(brand.String()), "eax,ebx,ecx,edx", 0, "0x80000002"})

	// osquery tests "regs[0] && 0xFF000000 != 0", which is regs[0] != 0,
	// and prints EAX, EBX, ECX under the label "ebx,ecx,edx".
	if h := get(0x40000000, 0); h[0] != 0 {
		rows = append(rows, cpuidRow{"hypervisor_id", hex8(h[0]) + hex8(h[1]) + hex8(h[2]), "ebx,ecx,edx", 0, "0x40000000"})
	}

	r1 := get(1, 0)
	r3 := get(3, 0)
	rows = append(rows, cpuidRow{"serial", hex8(r1[0]) + hex8(r3[0]) + hex8(r3[3]), "eax,eax,ecx", 0, "1,3"})

	fam := strconv.FormatUint(uint64(r1[0]&0xf00), 16)
	rows = append(rows, cpuidRow{"family", strings.Repeat("0", 4-len(fam)) + fam, "eax", 0, "1"})

	regIndex := map[string]int{"eax": 0, "ebx": 1, "ecx": 2, "edx": 3}
	for _, set := range cpuidFeatureSets {
		r := get(set.leaf, 0)
		for _, f := range set.features {
			v := "0"
			if r[regIndex[f.reg]]&(1<<f.bit) != 0 {
				v = "1"
			}
			rows = append(rows, cpuidRow{f.name, v, f.reg, int64(f.bit), strconv.FormatUint(uint64(set.leaf), 10)})
		}
	}

	s0 := get(0x12, 0)
	rows = append(rows, cpuidRow{"sgx0", hex8(s0[0]) + hex8(s0[1]) + hex8(s0[2]) + hex8(s0[3]), "eax,ebx,ecx,edx", 0, "18"})
	s1 := get(0x12, 1)
	rows = append(rows, cpuidRow{"sgx1", hex8(s1[0]) + hex8(s1[1]) + hex8(s1[2]) + hex8(s1[3]), "eax,ebx,ecx,edx", 0, "18,1"})
	return rows, missing
}

// cpuidTable is the cpuid table's definition; it is registered only where
// osquery has it (x86-64, see cpuid_linux_amd64.go).
func cpuidTable() *table.Table {
	return &table.Table{
		Name:        "cpuid",
		Description: "Useful CPU features from the cpuid ASM call.",
		Platforms:   []string{"linux"},
		Columns: []table.Column{
			table.TextColumn("feature"),
			table.TextColumn("value"),
			table.TextColumn("output_register"),
			table.IntegerColumn("output_bit"),
			table.TextColumn("input_eax"),
		},
		Generate: genCPUID,
	}
}

func genCPUID(q *table.Query, yield func(table.Row) bool) error {
	b, err := q.Root().Kernel(cpuidKernelFact, liveCPUIDDump)
	if err != nil {
		q.Warn("cannot read the CPUID registers", "err", err)
		return nil
	}
	d, err := parseCPUIDDump(b)
	if err != nil {
		q.Warn("cannot parse the CPUID registers", "err", err)
		return nil
	}
	rows, missing := cpuidRows(d)
	if len(missing) > 0 {
		q.Warn("CPUID dump lacks leaves; they read as zero", "leaves", fmt.Sprint(missing))
	}
	for _, cr := range rows {
		if !utf8.ValidString(cr.value) {
			q.Warn("skipping a CPUID string that is not UTF-8", "feature", cr.feature)
			continue
		}
		r := q.NewRow()
		r.Set("feature", table.Text(cr.feature))
		r.Set("value", table.Text(cr.value))
		r.Set("output_register", table.Text(cr.register))
		r.Set("output_bit", table.Int(cr.bit))
		r.Set("input_eax", table.Text(cr.inputEAX))
		if !yield(r) {
			return nil
		}
	}
	return nil
}
