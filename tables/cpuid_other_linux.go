//go:build linux && !amd64

package tables

// liveCPUIDDump reports that the CPUID instruction does not exist here; a
// fixture root still reads its captured .kernel/cpuid.
func liveCPUIDDump() ([]byte, error) { return nil, errCPUIDUnsupported }
