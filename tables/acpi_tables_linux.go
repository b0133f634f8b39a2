package tables

import (
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"strings"

	"github.com/osaudit/osaudit/hostfs"
	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("acpi_tables", func() *table.Table {
		return &table.Table{
			Name:        "acpi_tables",
			Description: "Firmware ACPI functional table common metadata and content. Not available on ARM architectures.",
			Platforms:   []string{"linux"},
			Columns: []table.Column{
				table.TextColumn("name"),
				table.IntegerColumn("size"),
				table.TextColumn("md5").WithCollate("nocase"),
			},
			Generate: genACPITables,
		}
	})
}

// acpiTablesDir is where the kernel exposes the firmware's ACPI tables.
const acpiTablesDir = "/sys/firmware/acpi/tables"

// acpiTableMax bounds one table's read (the largest, the DSDT, is rarely
// over 1 MiB).
const acpiTableMax = 64 << 20

// genACPITables reports the files directly in /sys/firmware/acpi/tables, as
// osquery's listing (a "*" glob, files only) does: hidden entries and the
// data/ and dynamic/ subdirectories are left out. A table that cannot be
// read (they are readable by root only) has size -1 and a NULL md5.
func genACPITables(q *table.Query, yield func(table.Row) bool) error {
	root := q.Root()
	entries, err := root.ReadDir(acpiTablesDir)
	if err != nil {
		q.Warn("cannot list ACPI tables", "err", err)
		return nil
	}
	warned := false
	for _, e := range entries {
		if q.Context().Err() != nil {
			return nil
		}
		name := e.Name()
		p := acpiTablesDir + "/" + name
		if strings.HasPrefix(name, ".") {
			continue
		}
		if fi, err := root.Stat(p); err == nil && fi.IsDir() {
			continue
		}
		r := q.NewRow()
		r.Set("name", table.Text(name))
		size, sum, err := acpiTableDigest(root, p)
		if err != nil {
			if !warned {
				q.Warn("cannot read ACPI table", "name", name, "err", err)
				warned = true
			}
			r.Set("size", table.Int(-1))
		} else {
			r.Set("size", table.Int(size))
			r.Set("md5", table.Text(sum))
		}
		if !yield(r) {
			return nil
		}
	}
	return nil
}

var errACPITableTooLarge = errors.New("ACPI table larger than the read limit")

// acpiTableDigest returns a table's size and MD5, streaming it.
func acpiTableDigest(root *hostfs.Root, p string) (int64, string, error) {
	f, err := root.Open(p)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := md5.New()
	n, err := io.Copy(h, io.LimitReader(f, acpiTableMax+1))
	if err != nil {
		return 0, "", err
	}
	if n > acpiTableMax {
		return 0, "", errACPITableTooLarge
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}
