// Package table defines what a table is: its columns with osquery's types and
// options, the typed rows it produces, the query context it is given, and the
// registry that every table joins from init().
package table

import (
	"fmt"
	"strings"
	"sync"
)

// Type is a column's osquery type.
type Type uint8

// Column types, as osquery's specs name them.
const (
	TypeText Type = iota + 1
	TypeInteger
	TypeBigInt
	TypeUnsignedBigInt
	TypeDouble
	TypeBlob
)

var typeNames = [...]string{TypeText: "TEXT", TypeInteger: "INTEGER", TypeBigInt: "BIGINT", TypeUnsignedBigInt: "UNSIGNED_BIGINT", TypeDouble: "DOUBLE", TypeBlob: "BLOB"}

func (t Type) String() string {
	if int(t) < len(typeNames) && typeNames[t] != "" {
		return typeNames[t]
	}
	return fmt.Sprintf("Type(%d)", t)
}

// ParseType reads a type name as osquery's specs write it.
func ParseType(s string) (Type, error) {
	for t, name := range typeNames {
		if name != "" && strings.EqualFold(name, s) {
			return Type(t), nil
		}
	}
	return 0, fmt.Errorf("table: unknown column type %q", s)
}

// IsNumeric reports whether values of the type are numbers.
func (t Type) IsNumeric() bool {
	return t == TypeInteger || t == TypeBigInt || t == TypeUnsignedBigInt || t == TypeDouble
}

// Option is a set of column options.
type Option uint8

// Column options with osquery's meaning (see docs/tables.md).
const (
	// Index columns get equality constraints pushed down so the table can
	// look up only the rows asked for.
	Index Option = 1 << iota
	// Required columns must be constrained; constraining any one of a table's
	// required columns is enough.
	Required
	// Additional columns get constraints pushed down but need none.
	Additional
	// Hidden columns are left out of SELECT * but can be named.
	Hidden
	// Optimized columns take IN lists at once (a planner hint).
	Optimized
)

// Column is one column of a table.
type Column struct {
	Name        string
	Type        Type
	Options     Option
	Collate     string   // SQLite collation: nocase, version, ...
	Aliases     []string // other names for the column (extra hidden columns)
	Description string
}

// TextColumn declares a TEXT column.
func TextColumn(name string, o ...Option) Column { return newColumn(name, TypeText, o) }

// IntegerColumn declares an INTEGER column.
func IntegerColumn(name string, o ...Option) Column { return newColumn(name, TypeInteger, o) }

// BigIntColumn declares a BIGINT column.
func BigIntColumn(name string, o ...Option) Column { return newColumn(name, TypeBigInt, o) }

// UnsignedBigIntColumn declares an UNSIGNED_BIGINT column.
func UnsignedBigIntColumn(name string, o ...Option) Column {
	return newColumn(name, TypeUnsignedBigInt, o)
}

// DoubleColumn declares a DOUBLE column.
func DoubleColumn(name string, o ...Option) Column { return newColumn(name, TypeDouble, o) }

// BlobColumn declares a BLOB column.
func BlobColumn(name string, o ...Option) Column { return newColumn(name, TypeBlob, o) }

func newColumn(name string, t Type, opts []Option) Column {
	c := Column{Name: name, Type: t}
	for _, o := range opts {
		c.Options |= o
	}
	return c
}

// WithCollate returns the column with a SQLite collation.
func (c Column) WithCollate(collation string) Column { c.Collate = collation; return c }

// WithAliases returns the column with other names.
func (c Column) WithAliases(names ...string) Column { c.Aliases = names; return c }

// Has reports whether the column has all options in o.
func (c Column) Has(o Option) bool { return c.Options&o == o }

// Pushable reports whether constraints on the column reach the table.
func (c Column) Pushable() bool { return c.Options&(Index|Required|Additional) != 0 }

// Attribute is a set of table attributes.
type Attribute uint8

// Table attributes, as osquery's specs name them.
const (
	// UserData tables report the current user only unless uid is constrained.
	UserData Attribute = 1 << iota
	// Cacheable tables may be reused within a schedule interval.
	Cacheable
	// Utility tables describe the agent itself or need no host data.
	Utility
	// EventSubscriber tables are fed by an event publisher.
	EventSubscriber
)

var attributeNames = []struct {
	a    Attribute
	name string
}{{UserData, "user_data"}, {Cacheable, "cacheable"}, {Utility, "utility"}, {EventSubscriber, "event_subscriber"}}

// Names lists the attributes in a by osquery's names.
func (a Attribute) Names() []string {
	var out []string
	for _, n := range attributeNames {
		if a&n.a != 0 {
			out = append(out, n.name)
		}
	}
	return out
}

// GenerateFunc produces a table's rows for one query. It calls yield for each
// row and stops, returning nil, as soon as yield returns false. Rows that
// cannot be read are skipped with q.Warn; an error fails the query and is
// reserved for what the user asked (a constraint that cannot be met) or a
// source that cannot be read at all.
type GenerateFunc func(q *Query, yield func(Row) bool) error

// Table is a table's definition: its schema and how to generate its rows.
type Table struct {
	Name        string
	Description string
	Aliases     []string // other names for the table, e.g. hosts for etc_hosts
	Platforms   []string // where osaudit implements it: linux, windows, darwin
	Attributes  Attribute
	Columns     []Column
	Generate    GenerateFunc

	index    map[string]int // column name (and alias) to position in Columns
	validate sync.Once
	invalid  error
}

// ColumnIndex returns the position of a column (or alias) by name.
func (t *Table) ColumnIndex(name string) (int, bool) {
	if t.Validate() != nil {
		return 0, false
	}
	i, ok := t.index[name]
	return i, ok
}

// RequiredColumns lists the names of the table's required columns.
func (t *Table) RequiredColumns() []string {
	var out []string
	for _, c := range t.Columns {
		if c.Has(Required) {
			out = append(out, c.Name)
		}
	}
	return out
}

// Has reports whether the table has all attributes in a.
func (t *Table) Has(a Attribute) bool { return t.Attributes&a == a }

// Validate checks the definition and indexes its columns, once; every
// engine calls it for the tables it serves.
func (t *Table) Validate() error {
	t.validate.Do(func() { t.invalid = t.check() })
	return t.invalid
}

func (t *Table) check() error {
	if t.Name == "" || t.Generate == nil || len(t.Columns) == 0 {
		return fmt.Errorf("table %q: name, columns and Generate are required", t.Name)
	}
	if len(t.Columns) > 63 {
		return fmt.Errorf("table %q: %d columns; at most 63 are supported", t.Name, len(t.Columns))
	}
	index := make(map[string]int, len(t.Columns))
	for i, c := range t.Columns {
		if c.Type == 0 {
			return fmt.Errorf("table %q: column %q has no type", t.Name, c.Name)
		}
		for _, n := range append([]string{c.Name}, c.Aliases...) {
			if _, dup := index[n]; dup {
				return fmt.Errorf("table %q: duplicate column %q", t.Name, n)
			}
			index[n] = i
		}
	}
	t.index = index
	return nil
}

// CreateSQL returns the CREATE TABLE statement that `.schema` shows, in
// osquery's form. Aliases become extra hidden columns after the real ones.
func (t *Table) CreateSQL() string { return t.DeclareSQL(nil) }

// DeclareSQL is CreateSQL for declaring the table to SQLite: a collation
// for which known returns false is left out, so that a table still works
// where that collation is not registered. A nil known keeps every one.
func (t *Table) DeclareSQL(known func(collation string) bool) string {
	var b strings.Builder
	b.WriteString("CREATE TABLE ")
	b.WriteString(t.Name)
	b.WriteByte('(')
	write := func(name string, c Column, hidden bool) {
		b.WriteString("`" + name + "` " + c.Type.String())
		if hidden {
			b.WriteString(" HIDDEN")
		}
		if c.Collate != "" && (known == nil || known(c.Collate)) {
			b.WriteString(" COLLATE " + c.Collate)
		}
	}
	for i, c := range t.Columns {
		if i > 0 {
			b.WriteString(", ")
		}
		write(c.Name, c, c.Has(Hidden))
	}
	for _, c := range t.Columns {
		for _, a := range c.Aliases {
			b.WriteString(", ")
			write(a, c, true)
		}
	}
	b.WriteByte(')')
	return b.String()
}

// AliasTargets returns, in declaration order after the real columns, the
// position of the real column behind each alias column of CreateSQL.
func (t *Table) AliasTargets() []int {
	var out []int
	for i, c := range t.Columns {
		for range c.Aliases {
			out = append(out, i)
		}
	}
	return out
}
