package sqlitefile

import (
	"encoding/binary"
	"fmt"
	"io"
)

const (
	walHeaderSize      = 32
	walFrameHeaderSize = 24
	walMagicLE         = 0x377f0682 // checksums of little-endian words
	walMagicBE         = 0x377f0683 // checksums of big-endian words
	walVersion         = 3007000
)

// ApplyWAL overlays the committed frames of the database's write-ahead log
// (the "-wal" file beside it), as SQLite does when it opens a database in
// WAL mode: for each page, the newest image in a committed transaction
// replaces the one in the database file. Frames after the last commit, or
// after the first frame whose salt or checksum does not match, are ignored.
// A log with an invalid header is ignored, as SQLite ignores it; ApplyWAL
// returns the number of frames applied.
func (f *File) ApplyWAL(r io.ReaderAt, size int64) (int, error) {
	if size < walHeaderSize {
		return 0, nil
	}
	var h [walHeaderSize]byte
	if _, err := r.ReadAt(h[:], 0); err != nil {
		return 0, fmt.Errorf("sqlitefile: read WAL header: %w", err)
	}
	m := binary.BigEndian.Uint32(h[0:])
	if m != walMagicLE && m != walMagicBE {
		return 0, nil
	}
	if binary.BigEndian.Uint32(h[4:]) != walVersion || int(binary.BigEndian.Uint32(h[8:])) != f.pageSize {
		return 0, nil
	}
	bigEndian := m == walMagicBE
	s0, s1 := walChecksum(h[:24], 0, 0, bigEndian)
	if s0 != binary.BigEndian.Uint32(h[24:]) || s1 != binary.BigEndian.Uint32(h[28:]) {
		return 0, nil
	}
	salt1, salt2 := binary.BigEndian.Uint32(h[16:]), binary.BigEndian.Uint32(h[20:])

	frameSize := int64(walFrameHeaderSize + f.pageSize)
	frame := make([]byte, frameSize)
	pending := map[uint32]int64{}
	committed := map[uint32]int64{}
	dbPages := uint32(0)
	frames, applied := 0, 0
	for off := int64(walHeaderSize); off+frameSize <= size; off += frameSize {
		if _, err := r.ReadAt(frame, off); err != nil {
			return 0, fmt.Errorf("sqlitefile: read WAL frame at %d: %w", off, err)
		}
		pg := binary.BigEndian.Uint32(frame[0:])
		commit := binary.BigEndian.Uint32(frame[4:])
		if pg == 0 || binary.BigEndian.Uint32(frame[8:]) != salt1 || binary.BigEndian.Uint32(frame[12:]) != salt2 {
			break
		}
		s0, s1 = walChecksum(frame[:8], s0, s1, bigEndian)
		s0, s1 = walChecksum(frame[walFrameHeaderSize:], s0, s1, bigEndian)
		if s0 != binary.BigEndian.Uint32(frame[16:]) || s1 != binary.BigEndian.Uint32(frame[20:]) {
			break
		}
		frames++
		pending[pg] = off + walFrameHeaderSize
		if commit != 0 {
			for p, at := range pending {
				committed[p] = at
			}
			clear(pending)
			dbPages = commit
			applied = frames
		}
	}
	if applied == 0 {
		return 0, nil
	}
	for p := range committed {
		if p > dbPages {
			delete(committed, p) // truncated away by a later commit
		}
	}
	f.walR, f.walAt, f.pages = r, committed, dbPages
	return applied, nil
}

// walChecksum continues SQLite's WAL checksum over b, whose length is a
// multiple of 8.
func walChecksum(b []byte, s0, s1 uint32, bigEndian bool) (uint32, uint32) {
	order := binary.ByteOrder(binary.LittleEndian)
	if bigEndian {
		order = binary.BigEndian
	}
	for i := 0; i+8 <= len(b); i += 8 {
		s0 += order.Uint32(b[i:]) + s1
		s1 += order.Uint32(b[i+4:]) + s0
	}
	return s0, s1
}
