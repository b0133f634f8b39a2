package tables

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
)

// utmpRecordSize is sizeof(struct utmp) in glibc on 64-bit Linux (x86_64,
// arm64 and the others keep the 32-bit-compatible layout).
const utmpRecordSize = 384

// glibc's ut_type values.
const (
	utmpEmpty        = 0
	utmpRunLevel     = 1
	utmpBootTime     = 2
	utmpNewTime      = 3
	utmpOldTime      = 4
	utmpInitProcess  = 5
	utmpLoginProcess = 6
	utmpUserProcess  = 7
	utmpDeadProcess  = 8
	utmpAccounting   = 9
)

// utmpRecord is one struct utmp of /var/run/utmp or /var/log/wtmp.
type utmpRecord struct {
	Type       int16
	PID        int32
	Line, ID   string
	User, Host string
	Session    int32
	Sec, Usec  int32
}

// errUtmpTruncated reports a trailing partial record, which glibc's
// getutxent ignores.
var errUtmpTruncated = errors.New("utmp: trailing partial record ignored")

// parseUtmp reads struct utmp records from r and calls fn for each until fn
// returns false. Layout (little-endian, 384 bytes): ut_type int16, 2 bytes
// padding, ut_pid int32, ut_line [32], ut_id [4], ut_user [32],
// ut_host [256], ut_exit {int16,int16}, ut_session int32,
// ut_tv {int32 sec, int32 usec}, ut_addr_v6 [4]int32, 20 reserved bytes.
// A trailing partial record gives errUtmpTruncated after the whole records.
func parseUtmp(r io.Reader, fn func(utmpRecord) bool) error {
	br := bufio.NewReaderSize(r, 16*utmpRecordSize)
	var buf [utmpRecordSize]byte
	for {
		_, err := io.ReadFull(br, buf[:])
		if err == io.EOF {
			return nil
		}
		if err == io.ErrUnexpectedEOF {
			return errUtmpTruncated
		}
		if err != nil {
			return err
		}
		if !fn(decodeUtmp(&buf)) {
			return nil
		}
	}
}

func decodeUtmp(b *[utmpRecordSize]byte) utmpRecord {
	le := binary.LittleEndian
	return utmpRecord{
		Type:    int16(le.Uint16(b[0:])),
		PID:     int32(le.Uint32(b[4:])),
		Line:    utmpString(b[8:40]),
		ID:      utmpString(b[40:44]),
		User:    utmpString(b[44:76]),
		Host:    utmpString(b[76:332]),
		Session: int32(le.Uint32(b[336:])),
		Sec:     int32(le.Uint32(b[340:])),
		Usec:    int32(le.Uint32(b[344:])),
	}
}

// utmpString reads a NUL-padded fixed-size field. A field filled to the end
// has no NUL; it is cut at the field's end (osquery reads such a C string on
// into the next field).
func utmpString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}
