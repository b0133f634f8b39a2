//go:build linux && !(amd64 || arm64 || riscv64 || ppc64le || loong64)

package tables

import (
	"errors"
	"runtime"
)

// readIptBlob is not available where the kernel's ip_tables structs do not
// have the 64-bit layout the parser reads.
func readIptBlob(string) ([]byte, error) {
	return nil, errors.New("ip_tables: not supported on " + runtime.GOARCH)
}
