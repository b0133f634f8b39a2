package tables

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseNPMManifest(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want map[string]string
		bad  bool
	}{
		{
			name: "strings",
			in:   `{"name":"npm","version":"10.8.2","description":"a package manager","homepage":"https://docs.npmjs.com/","author":"GitHub Inc.","license":"Artistic-2.0"}`,
			want: map[string]string{"name": "npm", "version": "10.8.2", "description": "a package manager", "homepage": "https://docs.npmjs.com/", "author": "GitHub Inc.", "license": "Artistic-2.0"},
		},
		{
			name: "objects and wrong types",
			in:   `{"name":"x","version":1,"description":null,"homepage":["a"],"author":{"name":"Ann","email":"a@x"},"license":{"type":"MIT","url":"https://l"}}`,
			want: map[string]string{"name": "x", "version": "", "description": "", "homepage": "", "author": "Ann", "license": "https://l"},
		},
		{
			name: "author object without a name, license array",
			in:   `{"author":{"email":"a@x"},"license":["MIT"],"licenses":[{"type":"MIT"}]}`,
			want: map[string]string{},
		},
		{
			name: "author name not a string, license url not a string",
			in:   `{"author":{"name":7},"license":{"url":7}}`,
			want: map[string]string{"author": ""},
		},
		{name: "empty object", in: `{}`, want: map[string]string{}},
		{
			name: "exact member names, first duplicate wins, other members skipped",
			in:   `{"Name":"upper","name":"first","name":"second","readme":"` + strings.Repeat("r", 1<<16) + `","deps":{"a":[1,{"b":null}]}}`,
			want: map[string]string{"name": "first"},
		},
		{name: "bad nested value", in: `{"deps":{"a":tru}}`, bad: true},
		{name: "truncated", in: `{"name": "broken",`, bad: true},
		{name: "array", in: `["name"]`, bad: true},
		{name: "null", in: `null`, bad: true},
		{name: "trailing data", in: `{} {}`, bad: true},
		{name: "empty", in: ``, bad: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseNPMManifest(strings.NewReader(c.in))
			if c.bad {
				if !errors.Is(err, errNPMManifest) {
					t.Errorf("err = %v, want errNPMManifest", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzParseNPMManifest(f *testing.F) {
	f.Add([]byte(`{"name":"a","author":{"name":"b"},"license":{"url":"c"}}`))
	f.Add([]byte(`{"name":1,"homepage":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseNPMManifest(bytes.NewReader(b))
		if err == nil && m == nil {
			t.Fatal("nil map without error")
		}
	})
}
