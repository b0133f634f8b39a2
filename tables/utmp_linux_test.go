package tables

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// utmpBytes builds one struct utmp record.
func utmpBytes(typ int16, pid int32, line, id, user, host string, sec int32) []byte {
	b := make([]byte, utmpRecordSize)
	binary.LittleEndian.PutUint16(b[0:], uint16(typ))
	binary.LittleEndian.PutUint32(b[4:], uint32(pid))
	copy(b[8:40], line)
	copy(b[40:44], id)
	copy(b[44:76], user)
	copy(b[76:332], host)
	binary.LittleEndian.PutUint32(b[340:], uint32(sec))
	return b
}

func TestParseUtmp(t *testing.T) {
	long := "0123456789abcdef0123456789abcdef" // fills ut_user: no NUL
	var in bytes.Buffer
	in.Write(utmpBytes(utmpBootTime, 0, "~", "~~", "reboot", "6.1.0", 1768460405))
	in.Write(utmpBytes(utmpUserProcess, 1234, "pts/0", "ts/0", "alice", "198.51.100.23", 1768462899))
	in.Write(utmpBytes(utmpUserProcess, 99, "pts/1", "ts/1", long, "h", -5))
	full := in.Len()
	in.Write(utmpBytes(utmpDeadProcess, 7, "pts/2", "", "", "", 1)[:100])

	tests := []struct {
		name    string
		in      []byte
		want    []utmpRecord
		wantErr error
	}{
		{"empty", nil, nil, nil},
		{"whole", in.Bytes()[:full], []utmpRecord{
			{Type: utmpBootTime, Line: "~", ID: "~~", User: "reboot", Host: "6.1.0", Sec: 1768460405},
			{Type: utmpUserProcess, PID: 1234, Line: "pts/0", ID: "ts/0", User: "alice", Host: "198.51.100.23", Sec: 1768462899},
			{Type: utmpUserProcess, PID: 99, Line: "pts/1", ID: "ts/1", User: long, Host: "h", Sec: -5},
		}, nil},
		{"truncated tail", in.Bytes(), nil, errUtmpTruncated},
		{"only partial", make([]byte, 10), nil, errUtmpTruncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []utmpRecord
			err := parseUtmp(bytes.NewReader(tt.in), func(u utmpRecord) bool {
				got = append(got, u)
				return true
			})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if tt.want == nil && tt.wantErr != nil {
				return // records before the partial one are checked in "whole"
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("records (-got +want):\n%s", diff)
			}
		})
	}
}

func TestParseUtmpStops(t *testing.T) {
	var in bytes.Buffer
	for range 3 {
		in.Write(utmpBytes(utmpUserProcess, 1, "", "", "u", "", 0))
	}
	n := 0
	if err := parseUtmp(&in, func(utmpRecord) bool { n++; return false }); err != nil || n != 1 {
		t.Fatalf("n = %d, err = %v; want 1 record and no error", n, err)
	}
}

func TestLastTypeName(t *testing.T) {
	if got := lastTypeName(utmpUserProcess); got != "user-process" {
		t.Errorf("got %q", got)
	}
	if got := lastTypeName(utmpDeadProcess); got != "dead-process" {
		t.Errorf("got %q", got)
	}
	if got := lastTypeName(77); got != "" {
		t.Errorf("got %q", got)
	}
}

func FuzzParseUtmp(f *testing.F) {
	f.Add(utmpBytes(utmpUserProcess, 1234, "pts/0", "ts/0", "alice", "host", 1))
	f.Add([]byte("short"))
	f.Fuzz(func(t *testing.T, b []byte) {
		n := 0
		err := parseUtmp(bytes.NewReader(b), func(utmpRecord) bool { n++; return true })
		if n != len(b)/utmpRecordSize {
			t.Fatalf("%d records from %d bytes", n, len(b))
		}
		if (len(b)%utmpRecordSize != 0) != errors.Is(err, errUtmpTruncated) {
			t.Fatalf("err = %v for %d bytes", err, len(b))
		}
	})
}
