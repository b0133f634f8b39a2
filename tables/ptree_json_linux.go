package tables

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// ptreeNode is a JSON document as boost::property_tree holds it, which is
// what osquery's browser tables read and re-render: every scalar is kept
// as text (numbers as written, true, false and null as those words),
// objects and arrays are lists of children in document order (array
// children have the key ""), and duplicate keys are kept. An empty object,
// an empty array and "" are the same node.
type ptreeNode struct {
	key      string
	data     string
	children []ptreeNode
}

// ptreeMaxDepth bounds nesting, so hostile input cannot exhaust the stack.
const ptreeMaxDepth = 512

var errPtreeJSON = errors.New("malformed JSON")

// parsePtreeJSON parses a JSON document into a ptreeNode, as boost's
// read_json does. Invalid JSON, invalid UTF-8 and data after the document
// are errors.
func parsePtreeJSON(b []byte) (ptreeNode, error) {
	if !utf8.Valid(b) {
		return ptreeNode{}, fmt.Errorf("%w: not UTF-8", errPtreeJSON)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	root, err := ptreeValue(dec, 0)
	if err != nil {
		return ptreeNode{}, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return ptreeNode{}, fmt.Errorf("%w: data after the document", errPtreeJSON)
	}
	return root, nil
}

func ptreeValue(dec *json.Decoder, depth int) (ptreeNode, error) {
	if depth > ptreeMaxDepth {
		return ptreeNode{}, fmt.Errorf("%w: nested too deep", errPtreeJSON)
	}
	tok, err := dec.Token()
	if err != nil {
		return ptreeNode{}, fmt.Errorf("%w: %v", errPtreeJSON, err)
	}
	switch t := tok.(type) {
	case json.Delim:
		var n ptreeNode
		switch t {
		case '{':
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return ptreeNode{}, fmt.Errorf("%w: %v", errPtreeJSON, err)
				}
				key, ok := kt.(string)
				if !ok {
					return ptreeNode{}, fmt.Errorf("%w: object key", errPtreeJSON)
				}
				child, err := ptreeValue(dec, depth+1)
				if err != nil {
					return ptreeNode{}, err
				}
				child.key = key
				n.children = append(n.children, child)
			}
		case '[':
			for dec.More() {
				child, err := ptreeValue(dec, depth+1)
				if err != nil {
					return ptreeNode{}, err
				}
				n.children = append(n.children, child)
			}
		default:
			return ptreeNode{}, fmt.Errorf("%w: unexpected %v", errPtreeJSON, t)
		}
		if _, err := dec.Token(); err != nil { // the closing delimiter
			return ptreeNode{}, fmt.Errorf("%w: %v", errPtreeJSON, err)
		}
		return n, nil
	case string:
		return ptreeNode{data: t}, nil
	case json.Number:
		return ptreeNode{data: string(t)}, nil
	case bool:
		if t {
			return ptreeNode{data: "true"}, nil
		}
		return ptreeNode{data: "false"}, nil
	case nil:
		return ptreeNode{data: "null"}, nil
	}
	return ptreeNode{}, fmt.Errorf("%w: unexpected token", errPtreeJSON)
}

// child returns the first child with the key; ci compares keys without
// case, as boost's iptree does.
func (n *ptreeNode) child(key string, ci bool) (*ptreeNode, bool) {
	for i := range n.children {
		c := &n.children[i]
		if c.key == key || (ci && strings.EqualFold(c.key, key)) {
			return c, true
		}
	}
	return nil, false
}

// get follows a dotted path ("background.persistent") as ptree's
// get_child_optional does.
func (n *ptreeNode) get(path string, ci bool) (*ptreeNode, bool) {
	cur := n
	for _, k := range strings.Split(path, ".") {
		next, ok := cur.child(k, ci)
		if !ok {
			return nil, false
		}
		cur = next
	}
	return cur, true
}

// getString is ptree's get(path, default): the node's text, "" for an
// object or array.
func (n *ptreeNode) getString(path string, ci bool, def string) string {
	if c, ok := n.get(path, ci); ok {
		return c.data
	}
	return def
}

// writeJSON renders the node as boost's write_json(stream, node, false)
// does: on one line with a final newline, every scalar quoted, the root
// always written as an object (so a root array becomes {"":..,"":..}),
// nested nodes whose children all have the key "" written as arrays, and
// strings escaped as boost escapes them ("/" becomes "\/", control bytes
// \uXXXX, bytes from 0x7F up kept as they are).
func (n *ptreeNode) writeJSON() string {
	var b strings.Builder
	n.writeJSONTo(&b, 0)
	b.WriteByte('\n')
	return b.String()
}

func (n *ptreeNode) writeJSONTo(b *strings.Builder, indent int) {
	switch {
	case indent > 0 && len(n.children) == 0:
		b.WriteByte('"')
		ptreeEscape(b, n.data)
		b.WriteByte('"')
	case indent > 0 && n.isArray():
		b.WriteByte('[')
		for i := range n.children {
			if i > 0 {
				b.WriteByte(',')
			}
			n.children[i].writeJSONTo(b, indent+1)
		}
		b.WriteByte(']')
	default:
		b.WriteByte('{')
		for i := range n.children {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('"')
			ptreeEscape(b, n.children[i].key)
			b.WriteString(`":`)
			n.children[i].writeJSONTo(b, indent+1)
		}
		b.WriteByte('}')
	}
}

func (n *ptreeNode) isArray() bool {
	for i := range n.children {
		if n.children[i].key != "" {
			return false
		}
	}
	return true
}

// ptreeEscape writes s as boost's create_escapes does.
func ptreeEscape(b *strings.Builder, s string) {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == 0x20 || c == 0x21 || (c >= 0x23 && c <= 0x2E) || (c >= 0x30 && c <= 0x5B) || c >= 0x5D:
			b.WriteByte(c)
		case c == '\b':
			b.WriteString(`\b`)
		case c == '\f':
			b.WriteString(`\f`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c == '/':
			b.WriteString(`\/`)
		case c == '"':
			b.WriteString(`\"`)
		case c == '\\':
			b.WriteString(`\\`)
		default:
			b.WriteString(`\u00`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xf])
		}
	}
}

// writable reports whether boost's write_json accepts the node as a
// document root: a root cannot hold a scalar.
func (n *ptreeNode) writable() bool { return n.data == "" }
