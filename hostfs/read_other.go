//go:build !unix

package hostfs

// ReadInto reads a whole small host file into buf, growing it as needed, and
// returns the bytes read.
func (r *Root) ReadInto(hostPath string, buf []byte) ([]byte, error) {
	b, err := r.ReadFile(hostPath)
	if err != nil {
		return buf[:0], err
	}
	return append(buf[:0], b...), nil
}
