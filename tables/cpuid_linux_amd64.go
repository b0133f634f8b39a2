package tables

import "github.com/osaudit/osaudit/table"

// osquery builds its cpuid table only for x86-64 (specs/CMakeLists.txt), so
// osaudit registers it only here.
func init() { table.Register("cpuid", cpuidTable) }

// cpuidInstruction executes CPUID with EAX=eaxArg and ECX=ecxArg
// (cpuid_linux_amd64.s).
func cpuidInstruction(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)

// liveCPUIDDump runs CPUID on this machine for the leaves osquery reads
// and returns the documented register dump (see cpuidKernelFact).
func liveCPUIDDump() ([]byte, error) {
	return dumpCPUID(cpuidInstruction), nil
}
