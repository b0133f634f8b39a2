package tables

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/osaudit/osaudit/table"
)

func init() {
	table.Register("systemd_units", func() *table.Table {
		return &table.Table{
			Name:        "systemd_units",
			Description: "Track systemd units.",
			Platforms:   []string{"linux"},
			Columns: []table.Column{
				table.TextColumn("id"),
				table.TextColumn("description"),
				table.TextColumn("load_state"),
				table.TextColumn("active_state"),
				table.TextColumn("sub_state"),
				table.TextColumn("unit_file_state"),
				table.TextColumn("following"),
				table.TextColumn("object_path"),
				table.BigIntColumn("job_id"),
				table.TextColumn("job_type"),
				table.TextColumn("job_path"),
				table.TextColumn("fragment_path"),
				table.TextColumn("user"),
				table.TextColumn("source_path"),
			},
			Generate: genSystemdUnits,
		}
	})
}

// systemdUnitsKernel is the name of the systemd unit list under
// Root.Kernel: on a fixture host, .kernel/systemd/units.
const systemdUnitsKernel = "systemd/units"

// systemdMaxUnits is osquery's cap on the units it reads from ListUnits
// (kMaxSystemdUnitCount); osaudit keeps it and warns when it applies.
const systemdMaxUnits = 1000

// systemdUnit is one unit of the JSON document that the live source
// (readSystemdUnitsDBus) produces and that a fixture host stores in
// .kernel/systemd/units: a JSON array of objects with these keys.
//
// The first ten come from org.freedesktop.systemd1.Manager.ListUnits
// (signature a(ssssssouso)), in its order. The last four are properties
// read with org.freedesktop.DBus.Properties.Get on the unit's object path:
// FragmentPath, SourcePath and UnitFileState of org.freedesktop.systemd1.Unit
// and User of org.freedesktop.systemd1.Service. A property whose Get failed
// (User of a unit that is not a service) is left out; the table shows ""
// for it, as osquery does.
type systemdUnit struct {
	ID            string  `json:"id"`
	Description   string  `json:"description"`
	LoadState     string  `json:"load_state"`
	ActiveState   string  `json:"active_state"`
	SubState      string  `json:"sub_state"`
	Following     string  `json:"following"`
	ObjectPath    string  `json:"object_path"`
	JobID         uint32  `json:"job_id"`
	JobType       string  `json:"job_type"`
	JobPath       string  `json:"job_path"`
	FragmentPath  *string `json:"fragment_path,omitempty"`
	SourcePath    *string `json:"source_path,omitempty"`
	User          *string `json:"user,omitempty"`
	UnitFileState *string `json:"unit_file_state,omitempty"`
}

func genSystemdUnits(q *table.Query, yield func(table.Row) bool) error {
	b, err := q.Root().Kernel(systemdUnitsKernel, func() ([]byte, error) {
		return readSystemdUnitsDBus(q.Context())
	})
	if err != nil {
		q.Warn("cannot list systemd units (no system bus?); no rows", "err", err)
		return nil
	}
	units, err := parseSystemdUnits(b)
	if err != nil {
		q.Warn("cannot parse the systemd unit list", "err", err)
		return nil
	}
	if len(units) > systemdMaxUnits {
		q.Warn("more units than osquery reads; the rest are left out", "units", len(units), "limit", systemdMaxUnits)
		units = units[:systemdMaxUnits]
	}
	str := func(p *string) table.Value {
		if p == nil {
			return table.Text("")
		}
		return table.Text(*p)
	}
	for _, u := range units {
		r := q.NewRow()
		r.Set("id", table.Text(u.ID))
		r.Set("description", table.Text(u.Description))
		r.Set("load_state", table.Text(u.LoadState))
		r.Set("active_state", table.Text(u.ActiveState))
		r.Set("sub_state", table.Text(u.SubState))
		r.Set("unit_file_state", str(u.UnitFileState))
		r.Set("following", table.Text(u.Following))
		r.Set("object_path", table.Text(u.ObjectPath))
		r.Set("job_id", table.Int(int64(u.JobID)))
		r.Set("job_type", table.Text(u.JobType))
		r.Set("job_path", table.Text(u.JobPath))
		r.Set("fragment_path", str(u.FragmentPath))
		r.Set("user", str(u.User))
		r.Set("source_path", str(u.SourcePath))
		if !yield(r) {
			return nil
		}
	}
	return nil
}

// parseSystemdUnits decodes the unit list document (see systemdUnit).
func parseSystemdUnits(b []byte) ([]systemdUnit, error) {
	var units []systemdUnit
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&units); err != nil {
		return nil, fmt.Errorf("systemd unit list: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("systemd unit list: data after the array")
	}
	return units, nil
}
