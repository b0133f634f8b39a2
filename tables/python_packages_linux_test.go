package tables

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParsePythonMetadata(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want map[string]string
	}{
		{
			name: "fields up to License",
			in: "Metadata-Version: 2.1\nName: requests\nVersion: 2.28.1\nSummary: Python HTTP for Humans.\nHome-page: https://x\n" +
				"Author: Kenneth Reitz\nLicense: Apache 2.0\nAuthor: after license\n",
			want: map[string]string{"name": "requests", "version": "2.28.1", "summary": "Python HTTP for Humans.", "author": "Kenneth Reitz", "license": "Apache 2.0"},
		},
		{
			name: "values with a colon are left out, as in osquery",
			in:   "Name: x\r\nSummary: Jinja: templates\r\nAuthor:\r\n  Version  :  1.0  \r\n",
			want: map[string]string{"name": "x", "version": "1.0"},
		},
		{
			name: "without License the body is read too",
			in:   "Name: httpx\nVersion: 0.27.0\nLicense-Expression: BSD-3-Clause\n\nAuthor: Tom Christie\nName: overwritten\n",
			want: map[string]string{"name": "overwritten", "version": "0.27.0", "author": "Tom Christie"},
		},
		{name: "empty", in: "", want: map[string]string{}},
		{name: "binary", in: "\x00\xff\xfe:\x01\n", want: map[string]string{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := parsePythonMetadata(strings.NewReader(c.in))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzParsePythonMetadata(f *testing.F) {
	f.Add("Name: a\nVersion: 1\nLicense: MIT\n")
	f.Add("Summary: a:b\n\nName:\n")
	f.Fuzz(func(t *testing.T, in string) {
		got, _ := parsePythonMetadata(strings.NewReader(in))
		for k := range got {
			if _, ok := map[string]bool{"name": true, "version": true, "summary": true, "author": true, "license": true}[k]; !ok {
				t.Fatalf("unexpected key %q", k)
			}
		}
	})
}
