// Package sqlitefile reads the rows of tables from a SQLite 3 database file
// without an SQL engine. It is a minimal, read-only reader of the file
// format (https://www.sqlite.org/fileformat2.html) for databases that other
// programs own, such as RPM's rpmdb.sqlite: the database header, table
// b-trees (interior and leaf pages), overflow pages, the record format and,
// when one is given, the committed frames of a write-ahead log.
//
// Every structure read from the file is bounds-checked: a malformed or
// truncated file gives an error wrapping ErrCorrupt, never a panic, and
// allocations are bounded by the size of the file.
package sqlitefile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Errors a caller can test with errors.Is.
var (
	ErrNotSQLite = errors.New("sqlitefile: not a SQLite 3 database")
	ErrCorrupt   = errors.New("sqlitefile: malformed database")
	ErrNoTable   = errors.New("sqlitefile: no such table")
)

const (
	headerSize  = 100
	magic       = "SQLite format 3\x00"
	maxDepth    = 64      // b-tree depth limit; real trees are a few levels deep
	maxPageSize = 1 << 16 // the largest page size SQLite supports
)

// Text encodings of the database header.
const (
	encUTF8    = 1
	encUTF16LE = 2
	encUTF16BE = 3
)

// File is an open database file. It reads pages on demand and keeps none
// in memory beyond those of the b-tree path being walked. A File is not
// safe for concurrent use.
type File struct {
	r        io.ReaderAt
	pageSize int
	usable   int    // page size minus the reserved bytes at the end of each page
	pages    uint32 // database size in pages
	enc      byte

	walR  io.ReaderAt
	walAt map[uint32]int64 // page number -> offset of its newest committed image in the WAL
}

// Open reads the database header of a SQLite 3 file of size bytes.
func Open(r io.ReaderAt, size int64) (*File, error) {
	var h [headerSize]byte
	if size < headerSize {
		return nil, ErrNotSQLite
	}
	if _, err := r.ReadAt(h[:], 0); err != nil {
		return nil, fmt.Errorf("sqlitefile: read header: %w", err)
	}
	if string(h[:len(magic)]) != magic {
		return nil, ErrNotSQLite
	}
	ps := int(binary.BigEndian.Uint16(h[16:18]))
	if ps == 1 {
		ps = maxPageSize
	}
	if ps < 512 || ps > maxPageSize || ps&(ps-1) != 0 {
		return nil, fmt.Errorf("%w: page size %d", ErrCorrupt, ps)
	}
	usable := ps - int(h[20])
	if usable < 480 {
		return nil, fmt.Errorf("%w: usable page size %d", ErrCorrupt, usable)
	}
	enc := binary.BigEndian.Uint32(h[56:60])
	if enc == 0 {
		enc = encUTF8 // a database with no schema yet
	}
	if enc > encUTF16BE {
		return nil, fmt.Errorf("%w: text encoding %d", ErrCorrupt, enc)
	}
	f := &File{r: r, pageSize: ps, usable: usable, enc: byte(enc)}
	// The in-header size is valid only when written by SQLite 3.7.0 or
	// later, which the version-valid-for number says; else use the file's.
	byFile := uint32(min(size/int64(ps), 1<<32-1))
	f.pages = byFile
	if n := binary.BigEndian.Uint32(h[28:32]); n != 0 && binary.BigEndian.Uint32(h[92:96]) == binary.BigEndian.Uint32(h[24:28]) {
		f.pages = min(n, byFile)
	}
	return f, nil
}

// PageSize returns the database page size in bytes.
func (f *File) PageSize() int { return f.pageSize }

// Pages returns the database size in pages, after any WAL frames.
func (f *File) Pages() uint32 { return f.pages }

// page reads page n (1-based) into buf, from the WAL if it holds a newer
// committed image of it.
func (f *File) page(n uint32, buf []byte) ([]byte, error) {
	if n == 0 || n > f.pages {
		return nil, fmt.Errorf("%w: page %d out of range 1..%d", ErrCorrupt, n, f.pages)
	}
	if cap(buf) < f.pageSize {
		buf = make([]byte, f.pageSize)
	}
	buf = buf[:f.pageSize]
	r, off := f.r, int64(n-1)*int64(f.pageSize)
	if at, ok := f.walAt[n]; ok {
		r, off = f.walR, at
	}
	if _, err := r.ReadAt(buf, off); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: page %d beyond the end of the file", ErrCorrupt, n)
		}
		return nil, fmt.Errorf("sqlitefile: read page %d: %w", n, err)
	}
	return buf, nil
}

// Table is one table of the schema.
type Table struct {
	Name string
	Root uint32 // root page of the table's b-tree
	SQL  string
}

// Tables lists the tables of the schema (sqlite_schema rows of type
// "table"), in schema order. Virtual tables and WITHOUT ROWID tables are
// listed too but cannot be scanned.
func (f *File) Tables() ([]Table, error) {
	var out []Table
	var bad error
	err := f.Scan(1, func(_ int64, rec Record) bool {
		typ, _ := rec.Column(0)
		if typ.Kind != KindText || string(typ.Bytes) != "table" {
			return true
		}
		name, err1 := rec.Column(1)
		root, err2 := rec.Column(3)
		sql, _ := rec.Column(4)
		if err := errors.Join(err1, err2); err != nil {
			bad = err
			return false
		}
		if name.Kind != KindText || root.Kind != KindInt || root.Int < 0 || root.Int > 1<<32-1 {
			bad = fmt.Errorf("%w: schema row for %q", ErrCorrupt, name.Bytes)
			return false
		}
		out = append(out, Table{Name: string(name.Bytes), Root: uint32(root.Int), SQL: string(sql.Bytes)})
		return true
	})
	if err == nil {
		err = bad
	}
	return out, err
}

// Table finds a table by name, ignoring case as SQL does.
func (f *File) Table(name string) (Table, error) {
	tables, err := f.Tables()
	if err != nil {
		return Table{}, err
	}
	for _, t := range tables {
		if strings.EqualFold(t.Name, name) {
			return t, nil
		}
	}
	return Table{}, fmt.Errorf("%w: %s", ErrNoTable, name)
}

// Scan calls fn for each row of the table b-tree rooted at page root, in
// rowid order, until fn returns false. The record passed to fn, and the
// bytes its values hold, are valid only during the call.
func (f *File) Scan(root uint32, fn func(rowid int64, rec Record) bool) error {
	s := scanner{f: f, fn: fn, seen: map[uint32]bool{}}
	err := s.walk(root, 0)
	if errors.Is(err, errStop) {
		return nil
	}
	return err
}

// Lookup finds the row with the given rowid in the table b-tree rooted at
// root and calls fn with it. found is false when there is no such row.
func (f *File) Lookup(root uint32, rowid int64, fn func(rec Record)) (found bool, err error) {
	s := scanner{f: f, seen: map[uint32]bool{}}
	s.fn = func(id int64, rec Record) bool {
		if id == rowid {
			found = true
			fn(rec)
		}
		return false
	}
	err = s.seek(root, rowid, 0)
	if errors.Is(err, errStop) {
		err = nil
	}
	return found, err
}

var errStop = errors.New("stop")

// scanner walks a table b-tree depth-first. Each depth keeps its own page
// buffer so a walk allocates one buffer per level.
type scanner struct {
	f       *File
	fn      func(int64, Record) bool
	seen    map[uint32]bool // pages visited: a cycle is corruption
	bufs    [][]byte
	ovfl    []byte // overflow page buffer
	payload []byte // reassembled payload of a row that overflows
	ovflN   uint32 // overflow pages read so far
}

func (s *scanner) load(n uint32, depth int) ([]byte, error) {
	if depth >= maxDepth {
		return nil, fmt.Errorf("%w: b-tree deeper than %d", ErrCorrupt, maxDepth)
	}
	if s.seen[n] {
		return nil, fmt.Errorf("%w: page %d linked twice", ErrCorrupt, n)
	}
	s.seen[n] = true
	for len(s.bufs) <= depth {
		s.bufs = append(s.bufs, nil)
	}
	b, err := s.f.page(n, s.bufs[depth])
	s.bufs[depth] = b
	return b, err
}

// btreePage is the parsed header of one b-tree page.
type btreePage struct {
	data  []byte
	n     uint32
	flag  byte
	cells []uint16 // cell offsets
	right uint32   // right-most child of an interior page
}

const (
	flagInteriorTable = 0x05
	flagLeafTable     = 0x0d
)

func (s *scanner) parse(n uint32, data []byte) (btreePage, error) {
	p := btreePage{data: data, n: n}
	h := 0
	if n == 1 {
		h = headerSize
	}
	if len(data) < h+8 {
		return p, fmt.Errorf("%w: page %d too short", ErrCorrupt, n)
	}
	p.flag = data[h]
	hdr := 8
	switch p.flag {
	case flagLeafTable:
	case flagInteriorTable:
		hdr = 12
	default:
		return p, fmt.Errorf("%w: page %d is not a table b-tree page (flag %#x)", ErrCorrupt, n, p.flag)
	}
	if len(data) < h+hdr {
		return p, fmt.Errorf("%w: page %d too short", ErrCorrupt, n)
	}
	count := int(binary.BigEndian.Uint16(data[h+3:]))
	if p.flag == flagInteriorTable {
		p.right = binary.BigEndian.Uint32(data[h+8:])
	}
	ptrs := h + hdr
	if ptrs+2*count > s.f.usable {
		return p, fmt.Errorf("%w: page %d: %d cells do not fit", ErrCorrupt, n, count)
	}
	p.cells = make([]uint16, count)
	for i := range count {
		off := binary.BigEndian.Uint16(data[ptrs+2*i:])
		if int(off) < ptrs+2*count || int(off) >= s.f.usable {
			return p, fmt.Errorf("%w: page %d: cell %d at offset %d", ErrCorrupt, n, i, off)
		}
		p.cells[i] = off
	}
	return p, nil
}

func (s *scanner) walk(n uint32, depth int) error {
	data, err := s.load(n, depth)
	if err != nil {
		return err
	}
	p, err := s.parse(n, data)
	if err != nil {
		return err
	}
	if p.flag == flagLeafTable {
		for i := range p.cells {
			if err := s.leafCell(&p, i); err != nil {
				return err
			}
		}
		return nil
	}
	for i := range p.cells {
		child, _, err := s.interiorCell(&p, i)
		if err != nil {
			return err
		}
		if err := s.walk(child, depth+1); err != nil {
			return err
		}
		// The child walk reused deeper buffers only; this page's buffer
		// still holds it.
	}
	return s.walk(p.right, depth+1)
}

// seek descends to the leaf that would hold rowid and visits its cells.
func (s *scanner) seek(n uint32, rowid int64, depth int) error {
	data, err := s.load(n, depth)
	if err != nil {
		return err
	}
	p, err := s.parse(n, data)
	if err != nil {
		return err
	}
	if p.flag == flagLeafTable {
		for i := range p.cells {
			id, err := s.leafRowid(&p, i)
			if err != nil {
				return err
			}
			if id == rowid {
				return s.leafCell(&p, i)
			}
		}
		return nil
	}
	for i := range p.cells {
		child, key, err := s.interiorCell(&p, i)
		if err != nil {
			return err
		}
		if rowid <= key {
			return s.seek(child, rowid, depth+1)
		}
	}
	return s.seek(p.right, rowid, depth+1)
}

func (s *scanner) interiorCell(p *btreePage, i int) (child uint32, key int64, err error) {
	c := p.data[p.cells[i]:s.f.usable]
	if len(c) < 5 {
		return 0, 0, fmt.Errorf("%w: page %d: truncated cell %d", ErrCorrupt, p.n, i)
	}
	child = binary.BigEndian.Uint32(c)
	k, m := varint(c[4:])
	if m == 0 {
		return 0, 0, fmt.Errorf("%w: page %d: truncated cell %d", ErrCorrupt, p.n, i)
	}
	return child, int64(k), nil
}

func (s *scanner) leafRowid(p *btreePage, i int) (int64, error) {
	c := p.data[p.cells[i]:s.f.usable]
	_, n1 := varint(c)
	if n1 == 0 {
		return 0, fmt.Errorf("%w: page %d: truncated cell %d", ErrCorrupt, p.n, i)
	}
	id, n2 := varint(c[n1:])
	if n2 == 0 {
		return 0, fmt.Errorf("%w: page %d: truncated cell %d", ErrCorrupt, p.n, i)
	}
	return int64(id), nil
}

// leafCell decodes cell i of a table leaf page and calls fn with its row.
func (s *scanner) leafCell(p *btreePage, i int) error {
	c := p.data[p.cells[i]:s.f.usable]
	size, n1 := varint(c)
	if n1 == 0 {
		return fmt.Errorf("%w: page %d: truncated cell %d", ErrCorrupt, p.n, i)
	}
	id, n2 := varint(c[n1:])
	if n2 == 0 {
		return fmt.Errorf("%w: page %d: truncated cell %d", ErrCorrupt, p.n, i)
	}
	c = c[n1+n2:]
	// A payload cannot be larger than the database that holds it.
	if size > uint64(s.f.pages)*uint64(s.f.pageSize) {
		return fmt.Errorf("%w: page %d: cell %d payload of %d bytes", ErrCorrupt, p.n, i, size)
	}
	local := s.f.localSize(int(size))
	var payload []byte
	if local == int(size) {
		if len(c) < local {
			return fmt.Errorf("%w: page %d: cell %d overruns the page", ErrCorrupt, p.n, i)
		}
		payload = c[:local]
	} else {
		if len(c) < local+4 {
			return fmt.Errorf("%w: page %d: cell %d overruns the page", ErrCorrupt, p.n, i)
		}
		var err error
		payload, err = s.overflow(c[:local], binary.BigEndian.Uint32(c[local:]), int(size))
		if err != nil {
			return err
		}
	}
	rec, err := parseRecord(payload, s.f.enc)
	if err != nil {
		return fmt.Errorf("page %d cell %d: %w", p.n, i, err)
	}
	if !s.fn(int64(id), rec) {
		return errStop
	}
	return nil
}

// localSize is how many payload bytes a table leaf cell keeps on its page
// (fileformat2 §1.6).
func (f *File) localSize(p int) int {
	u := f.usable
	x := u - 35
	if p <= x {
		return p
	}
	m := ((u-12)*32/255 - 23)
	k := m + (p-m)%(u-4)
	if k <= x {
		return k
	}
	return m
}

// overflow reassembles a payload from its local part and its chain of
// overflow pages.
func (s *scanner) overflow(local []byte, next uint32, size int) ([]byte, error) {
	if cap(s.payload) < size {
		s.payload = make([]byte, 0, size)
	}
	buf := append(s.payload[:0], local...)
	per := s.f.usable - 4
	for len(buf) < size {
		if next == 0 {
			return nil, fmt.Errorf("%w: overflow chain ends %d bytes short", ErrCorrupt, size-len(buf))
		}
		// Each overflow page belongs to one cell: a walk that reads more
		// overflow pages than the file has shares them between cells,
		// which only a corrupt (or hostile) file does.
		if s.ovflN++; s.ovflN > s.f.pages {
			return nil, fmt.Errorf("%w: overflow pages shared between cells", ErrCorrupt)
		}
		pg, err := s.f.page(next, s.ovfl)
		if err != nil {
			return nil, err
		}
		s.ovfl = pg
		next = binary.BigEndian.Uint32(pg)
		take := min(per, size-len(buf))
		buf = append(buf, pg[4:4+take]...)
	}
	s.payload = buf
	return buf, nil
}

// varint decodes a SQLite variable-length integer; n is 0 if b is too short.
func varint(b []byte) (v uint64, n int) {
	for i := range min(len(b), 9) {
		if i == 8 {
			return v<<8 | uint64(b[i]), 9
		}
		v = v<<7 | uint64(b[i]&0x7f)
		if b[i] < 0x80 {
			return v, i + 1
		}
	}
	return 0, 0
}
