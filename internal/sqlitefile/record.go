package sqlitefile

import (
	"encoding/binary"
	"fmt"
	"math"
	"unicode/utf16"
	"unicode/utf8"
)

// Kind is the storage class of a value.
type Kind uint8

// Storage classes, as SQLite names them.
const (
	KindNull Kind = iota
	KindInt
	KindFloat
	KindText
	KindBlob
)

// Value is one column of a record. Text is UTF-8 whatever the database's
// encoding. Bytes of text and blobs point into the page or payload buffer
// and are valid only while the record is.
type Value struct {
	Kind  Kind
	Int   int64
	Float float64
	Bytes []byte
}

// Record is one row's payload in SQLite's record format: a header of
// serial types followed by the column values.
type Record struct {
	body  []byte
	types []uint64
	offs  []int // offset in body of each column
	enc   byte
}

// NumColumns returns the number of columns the record holds. Columns added
// to a table after the row was written are absent: they read as NULL.
func (r Record) NumColumns() int { return len(r.types) }

// parseRecord checks a record's header and that every column lies within
// the payload.
func parseRecord(p []byte, enc byte) (Record, error) {
	hs, n := varint(p)
	if n == 0 || hs < uint64(n) || hs > uint64(len(p)) {
		return Record{}, fmt.Errorf("%w: record header size %d of %d bytes", ErrCorrupt, hs, len(p))
	}
	r := Record{body: p, enc: enc}
	h := p[n:hs]
	off := int(hs)
	for len(h) > 0 {
		t, m := varint(h)
		if m == 0 {
			return Record{}, fmt.Errorf("%w: truncated record header", ErrCorrupt)
		}
		h = h[m:]
		size, ok := serialSize(t)
		if !ok {
			return Record{}, fmt.Errorf("%w: serial type %d", ErrCorrupt, t)
		}
		if uint64(len(p)-off) < size {
			return Record{}, fmt.Errorf("%w: record column overruns its payload", ErrCorrupt)
		}
		r.types = append(r.types, t)
		r.offs = append(r.offs, off)
		off += int(size)
	}
	return r, nil
}

// serialSize returns the content size of a serial type.
func serialSize(t uint64) (uint64, bool) {
	switch {
	case t <= 4:
		return [...]uint64{0, 1, 2, 3, 4}[t], true
	case t == 5:
		return 6, true
	case t == 6, t == 7:
		return 8, true
	case t == 8, t == 9:
		return 0, true
	case t == 10, t == 11:
		return 0, false // reserved
	}
	return (t - 12) / 2, true
}

// Column returns column i; a column beyond the record's is NULL.
func (r Record) Column(i int) (Value, error) {
	if i < 0 || i >= len(r.types) {
		return Value{}, nil
	}
	t, off := r.types[i], r.offs[i]
	size, _ := serialSize(t)
	b := r.body[off : off+int(size)]
	switch {
	case t == 0:
		return Value{}, nil
	case t <= 6:
		return Value{Kind: KindInt, Int: beInt(b)}, nil
	case t == 7:
		return Value{Kind: KindFloat, Float: math.Float64frombits(binary.BigEndian.Uint64(b))}, nil
	case t == 8:
		return Value{Kind: KindInt, Int: 0}, nil
	case t == 9:
		return Value{Kind: KindInt, Int: 1}, nil
	case t%2 == 0:
		return Value{Kind: KindBlob, Bytes: b}, nil
	}
	if r.enc == encUTF8 {
		return Value{Kind: KindText, Bytes: b}, nil
	}
	return Value{Kind: KindText, Bytes: utf16ToUTF8(b, r.enc == encUTF16BE)}, nil
}

// beInt reads a big-endian two's-complement integer of 1 to 8 bytes.
func beInt(b []byte) int64 {
	var v int64
	if len(b) > 0 && b[0]&0x80 != 0 {
		v = -1
	}
	for _, c := range b {
		v = v<<8 | int64(c)
	}
	return v
}

func utf16ToUTF8(b []byte, bigEndian bool) []byte {
	u := make([]uint16, len(b)/2)
	for i := range u {
		if bigEndian {
			u[i] = binary.BigEndian.Uint16(b[2*i:])
		} else {
			u[i] = binary.LittleEndian.Uint16(b[2*i:])
		}
	}
	out := make([]byte, 0, len(u))
	for _, r := range utf16.Decode(u) {
		out = utf8.AppendRune(out, r)
	}
	return out
}
