package ctl

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/osaudit/osaudit/osquery"
)

// Reading apply's input: declarative documents ({apiVersion, kind, spec})
// in YAML (several per file, separated by ---) or JSON (one object, or an
// array of them), or an osquery config ("packs", "schedule") or pack file
// ("queries"), imported as pack documents.

// document is one declarative object as the apply endpoint takes it.
type document struct {
	APIVersion string         `json:"apiVersion,omitempty"`
	Kind       string         `json:"kind"`
	Spec       map[string]any `json:"spec"`
}

// maxInput bounds an apply file.
const maxInput = 16 << 20

// parseDocuments reads the documents in src; name is the file's path (its
// base names an imported osquery pack or schedule), "-" for stdin.
// readFile reads the pack files an osquery config names (nil: they are
// skipped with a warning).
func parseDocuments(name string, src []byte, readFile func(string) ([]byte, error)) ([]document, []string, error) {
	if len(bytes.TrimSpace(src)) == 0 {
		return nil, nil, errors.New("no documents")
	}
	values, yerr := yamlValues(src)
	if yerr != nil {
		// osquery files may hold // comment lines and line continuations,
		// which YAML rejects: read them as osquery does.
		v, err := osqueryValue(src)
		if err != nil {
			return nil, nil, fmt.Errorf("neither YAML/JSON documents (%v) nor an osquery config (%v)", yerr, err)
		}
		values = []any{v}
	}
	if len(values) == 1 {
		if arr, ok := values[0].([]any); ok {
			values = arr // a JSON array of documents
		}
	}
	return parseValues(name, values, readFile)
}

func parseValues(name string, values []any, readFile func(string) ([]byte, error)) ([]document, []string, error) {
	var docs []document
	var warnings []string
	for i, v := range values {
		if v == nil {
			continue // an empty YAML document
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, nil, fmt.Errorf("document %d is not an object", i+1)
		}
		if _, ok := m["kind"]; ok {
			d, err := declarative(m)
			if err != nil {
				return nil, nil, fmt.Errorf("document %d: %w", i+1, err)
			}
			docs = append(docs, d)
			continue
		}
		_, packs := m["packs"]
		_, schedule := m["schedule"]
		_, queries := m["queries"]
		if !packs && !schedule && !queries {
			return nil, nil, fmt.Errorf("document %d has no kind (customer, query, label or pack) and is not an osquery config or pack", i+1)
		}
		ds, ws, err := importOsquery(name, m, readFile)
		if err != nil {
			return nil, nil, fmt.Errorf("document %d: %w", i+1, err)
		}
		docs = append(docs, ds...)
		warnings = append(warnings, ws...)
	}
	if len(docs) == 0 {
		return nil, nil, errors.New("no documents")
	}
	return docs, warnings, nil
}

func declarative(m map[string]any) (document, error) {
	var d document
	for k, v := range m {
		switch k {
		case "apiVersion":
			s, ok := v.(string)
			if !ok {
				return d, errors.New("apiVersion is not a string")
			}
			d.APIVersion = s
		case "kind":
			s, ok := v.(string)
			if !ok {
				return d, errors.New("kind is not a string")
			}
			d.Kind = s
		case "spec":
			s, ok := v.(map[string]any)
			if !ok {
				return d, errors.New("spec is not an object")
			}
			d.Spec = s
		default:
			return d, fmt.Errorf("unknown key %q (want apiVersion, kind and spec)", k)
		}
	}
	if d.Spec == nil {
		return d, fmt.Errorf("%s has no spec", d.Kind)
	}
	return d, nil
}

// yamlValues decodes every YAML document in src (JSON is YAML), with
// string map keys.
func yamlValues(src []byte) ([]any, error) {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var out []any
	for {
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		nv, err := normalise(v)
		if err != nil {
			return nil, err
		}
		out = append(out, nv)
	}
}

// normalise turns YAML's map[any]any into map[string]any, recursively.
func normalise(v any) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			n, err := normalise(e)
			if err != nil {
				return nil, err
			}
			x[k] = n
		}
		return x, nil
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			n, err := normalise(e)
			if err != nil {
				return nil, err
			}
			m[fmt.Sprint(k)] = n
		}
		return m, nil
	case []any:
		for i, e := range x {
			n, err := normalise(e)
			if err != nil {
				return nil, err
			}
			x[i] = n
		}
		return x, nil
	}
	return v, nil
}

// osqueryValue reads JSON as osquery does: backslash-newlines removed,
// lines starting with # or // dropped.
func osqueryValue(src []byte) (any, error) {
	src = bytes.ReplaceAll(src, []byte("\\\n"), nil)
	var b bytes.Buffer
	for _, line := range bytes.Split(src, []byte("\n")) {
		t := bytes.TrimSpace(line)
		if bytes.HasPrefix(t, []byte("#")) || bytes.HasPrefix(t, []byte("//")) {
			b.WriteByte('\n')
			continue
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	var v any
	if err := json.Unmarshal(b.Bytes(), &v); err != nil {
		return nil, err
	}
	return v, nil
}

// importOsquery turns an osquery config (its packs and schedule) or pack
// file into pack documents. The schedule and a pack file become a pack
// named after the file.
func importOsquery(name string, m map[string]any, readFile func(string) ([]byte, error)) ([]document, []string, error) {
	base := strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))
	if name == "-" || base == "" || base == "." {
		base = "imported"
	}
	_, packs := m["packs"]
	_, schedule := m["schedule"]
	conf := m
	if !packs && !schedule {
		conf = map[string]any{"packs": map[string]any{base: m}}
	}
	src, err := json.Marshal(conf)
	if err != nil {
		return nil, nil, err
	}
	c, err := osquery.ParseConfig(name, src, readFile)
	if err != nil {
		return nil, nil, err
	}
	var warnings []string
	for _, w := range c.Warnings {
		warnings = append(warnings, name+": "+w)
	}
	for _, k := range []string{"options", "decorators", "file_paths", "exclude_paths", "file_accesses", "events"} {
		if _, ok := m[k]; ok {
			warnings = append(warnings, fmt.Sprintf("%s: %q is not imported: the server sets agents' %s", name, k, k))
		}
	}
	rawPacks, _ := conf["packs"].(map[string]any)
	var docs []document
	if len(c.Schedule) > 0 {
		docs = append(docs, packDocument(base, osquery.Pack{Queries: c.Schedule}, nil))
	}
	for _, pn := range slices.Sorted(mapKeys(c.Packs)) {
		raw, _ := rawPacks[pn].(map[string]any)
		docs = append(docs, packDocument(pn, c.Packs[pn], raw))
	}
	return docs, warnings, nil
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// packDocument builds a pack document from an osquery pack; raw is the
// pack's JSON object, for the metadata osquery ignores (description,
// attack_techniques).
func packDocument(name string, p osquery.Pack, raw map[string]any) document {
	spec := map[string]any{"name": name}
	if s, ok := raw["description"].(string); ok && s != "" {
		spec["description"] = s
	}
	if p.Platform != "" {
		spec["platform"] = p.Platform
	}
	if p.Version != "" {
		spec["version"] = p.Version
	}
	if p.Shard != 0 {
		spec["shard"] = p.Shard
	}
	if len(p.Discovery) > 0 {
		spec["discovery"] = p.Discovery
	}
	rawQueries, _ := raw["queries"].(map[string]any)
	queries := []any{}
	for _, qn := range slices.Sorted(mapKeys(p.Queries)) {
		q := p.Queries[qn]
		interval := q.Interval
		if interval == 0 {
			interval = 3600 // osquery's --schedule_default_interval
		}
		qs := map[string]any{"name": qn, "query": q.Query, "interval": interval}
		if q.Snapshot {
			qs["snapshot"] = true
		}
		if !q.Removed {
			qs["removed"] = false
		}
		if !q.Denylist {
			qs["denylist"] = false
		}
		if q.Platform != "" {
			qs["platform"] = q.Platform
		}
		if q.Version != "" {
			qs["version"] = q.Version
		}
		if q.Shard != 0 {
			qs["shard"] = q.Shard
		}
		if q.Description != "" {
			qs["description"] = q.Description
		}
		if rq, ok := rawQueries[qn].(map[string]any); ok {
			if ts, ok := rq["attack_techniques"].([]any); ok {
				qs["attack_techniques"] = ts
			}
		}
		queries = append(queries, qs)
	}
	spec["queries"] = queries
	return document{APIVersion: "v1", Kind: "pack", Spec: spec}
}
