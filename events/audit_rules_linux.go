package events

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"strconv"
)

// Audit architectures (AUDIT_ARCH_* in linux/audit.h): the ELF machine with
// the 64-bit and little-endian bits, as rules and SYSCALL records name them.
const (
	auditArchX86_64  = 0xc000003e
	auditArchI386    = 0x40000003
	auditArchAArch64 = 0xc00000b7
	auditArchARM     = 0x40000028
	auditArchS390X   = 0x80000016
)

// auditArch is an audit architecture and the numbers of the syscalls the
// publisher watches on it.
type auditArch struct {
	value    uint32
	name     string
	syscalls []syscallNumber
}

type syscallNumber struct {
	name string
	num  int
}

// auditArchTable numbers the syscalls that process_events and socket_events
// come from (the kernel's syscall tables; the 32-bit ones reach the socket
// calls through socketcall as well, which osquery does not watch either).
var auditArchTable = [...]auditArch{
	{auditArchX86_64, "x86_64", []syscallNumber{
		{"execve", 59}, {"execveat", 322}, {"bind", 49}, {"connect", 42}, {"accept", 43}, {"accept4", 288}}},
	{auditArchI386, "i386", []syscallNumber{
		{"execve", 11}, {"execveat", 358}, {"bind", 361}, {"connect", 362}, {"accept4", 364}}},
	{auditArchAArch64, "aarch64", []syscallNumber{
		{"execve", 221}, {"execveat", 281}, {"bind", 200}, {"connect", 203}, {"accept", 202}, {"accept4", 242}}},
	{auditArchARM, "arm", []syscallNumber{
		{"execve", 11}, {"execveat", 387}, {"bind", 282}, {"connect", 283}, {"accept", 285}, {"accept4", 366}}},
	{auditArchS390X, "s390x", []syscallNumber{
		{"execve", 11}, {"execveat", 354}, {"bind", 361}, {"connect", 362}, {"accept4", 364}}},
}

func lookupAuditArch(value uint32) *auditArch {
	for i := range auditArchTable {
		if auditArchTable[i].value == value {
			return &auditArchTable[i]
		}
	}
	return nil
}

// number is a syscall's number on the architecture.
func (a *auditArch) number(name string) (int, bool) {
	for _, s := range a.syscalls {
		if s.name == name {
			return s.num, true
		}
	}
	return 0, false
}

// syscallName names a watched syscall from a SYSCALL record's arch (hex)
// and syscall number; other syscalls have no name here.
func syscallName(archText string, num int64) string {
	v, err := strconv.ParseUint(archText, 16, 32)
	if err != nil {
		return ""
	}
	a := lookupAuditArch(uint32(v))
	if a == nil {
		return ""
	}
	for _, s := range a.syscalls {
		if int64(s.num) == num {
			return s.name
		}
	}
	return ""
}

// auditArchs are the architectures whose syscalls the rules cover: the
// agent's own and its 32-bit compat one, whose processes the kernel audits
// under their own numbers.
func auditArchs() []*auditArch {
	var values []uint32
	switch runtime.GOARCH {
	case "amd64":
		values = []uint32{auditArchX86_64, auditArchI386}
	case "arm64":
		values = []uint32{auditArchAArch64, auditArchARM}
	case "s390x":
		values = []uint32{auditArchS390X}
	}
	archs := make([]*auditArch, len(values))
	for i, v := range values {
		archs[i] = lookupAuditArch(v)
	}
	return archs
}

// Parts of struct audit_rule_data (linux/audit.h).
const (
	auditFilterExit    = 0x04       // AUDIT_FILTER_EXIT: the rule is checked at syscall exit
	auditActionAlways  = 2          // AUDIT_ALWAYS: a matching syscall is recorded
	auditFieldArch     = 11         // AUDIT_ARCH
	auditFieldKey      = 210        // AUDIT_FILTERKEY
	auditOpEqual       = 0x40000000 // AUDIT_EQUAL
	auditBitmaskSize   = 64         // AUDIT_BITMASK_SIZE: words of the syscall mask
	auditMaxFields     = 64         // AUDIT_MAX_FIELDS
	auditMaxKeyLen     = 256        // AUDIT_MAX_KEY_LEN
	auditRuleFieldsOff = 12 + 4*auditBitmaskSize
	// auditRuleHeaderSize is the struct up to buf: flags, action,
	// field_count, mask, fields, values, fieldflags, buflen.
	auditRuleHeaderSize = auditRuleFieldsOff + 3*4*auditMaxFields + 4
)

// auditSyscallRule encodes the rule that auditctl writes as
//
//	-a exit,always -F arch=<arch> -S <syscall>... -k <key>
//
// as struct audit_rule_data, the payload of AUDIT_ADD_RULE and
// AUDIT_DEL_RULE: the arch and key fields in that order (no key field when
// key is empty), the key's text in buf, padded to four bytes.
func auditSyscallRule(arch uint32, syscalls []int, key string) ([]byte, error) {
	if len(key) > auditMaxKeyLen {
		return nil, fmt.Errorf("audit rule key of %d bytes, the kernel takes %d", len(key), auditMaxKeyLen)
	}
	n := auditRuleHeaderSize + len(key)
	b := make([]byte, n+(4-n%4)%4)
	ne := binary.NativeEndian
	ne.PutUint32(b[0:], auditFilterExit)
	ne.PutUint32(b[4:], auditActionAlways)
	for _, s := range syscalls {
		if s < 0 || s >= 32*auditBitmaskSize {
			return nil, fmt.Errorf("syscall number %d outside the audit rule mask", s)
		}
		w := b[12+4*(s/32):]
		ne.PutUint32(w, ne.Uint32(w)|1<<(s%32))
	}
	fields := []struct{ field, value uint32 }{{auditFieldArch, arch}}
	if key != "" {
		fields = append(fields, struct{ field, value uint32 }{auditFieldKey, uint32(len(key))})
	}
	ne.PutUint32(b[8:], uint32(len(fields)))
	for i, f := range fields {
		ne.PutUint32(b[auditRuleFieldsOff+4*i:], f.field)
		ne.PutUint32(b[auditRuleFieldsOff+4*auditMaxFields+4*i:], f.value)
		ne.PutUint32(b[auditRuleFieldsOff+8*auditMaxFields+4*i:], auditOpEqual)
	}
	ne.PutUint32(b[auditRuleHeaderSize-4:], uint32(len(key)))
	copy(b[auditRuleHeaderSize:], key)
	return b, nil
}
