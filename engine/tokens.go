package engine

import "strings"

// token is one lexical token of a SQL statement, enough to find statement
// ends and error positions; it does not validate SQL.
type token struct {
	text       string
	start, end int
	kind       tokenKind
}

type tokenKind uint8

const (
	tokWord tokenKind = iota
	tokString
	tokQuoted // "identifier", [identifier] or `identifier`
	tokSemicolon
	tokOther
)

// tokenize splits SQL into tokens, skipping whitespace and comments. An
// unterminated string, quoted name or block comment runs to the end.
func tokenize(s string) []token {
	var toks []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			i++
		case c == '-' && i+1 < len(s) && s[i+1] == '-':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			end := strings.Index(s[i+2:], "*/")
			if end < 0 {
				// Unterminated: it swallows the rest, semicolons included.
				toks = append(toks, token{text: s[i:], start: i, end: len(s), kind: tokOther})
				i = len(s)
			} else {
				i += end + 4
			}
		case c == '\'' || c == '"' || c == '`' || c == '[':
			closer := c
			if c == '[' {
				closer = ']'
			}
			j := i + 1
			for j < len(s) {
				if s[j] == closer {
					if closer != ']' && j+1 < len(s) && s[j+1] == closer {
						j += 2
						continue
					}
					break
				}
				j++
			}
			end := min(j+1, len(s))
			kind := tokQuoted
			if c == '\'' {
				kind = tokString
			}
			toks = append(toks, token{text: s[i:end], start: i, end: end, kind: kind})
			i = end
		case c == ';':
			toks = append(toks, token{text: ";", start: i, end: i + 1, kind: tokSemicolon})
			i++
		case isWordByte(c):
			j := i
			for j < len(s) && isWordByte(s[j]) {
				j++
			}
			toks = append(toks, token{text: s[i:j], start: i, end: j, kind: tokWord})
			i = j
		default:
			j := i + 1
			// Two-character operators keep their text together.
			if j < len(s) && strings.Contains("<>=!|", string(c)) && strings.Contains("<>=|", string(s[j])) {
				j++
			}
			toks = append(toks, token{text: s[i:j], start: i, end: j, kind: tokOther})
			i = j
		}
	}
	return toks
}

func isWordByte(c byte) bool {
	return c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// Complete reports whether s holds at least one whole statement: it ends
// with a semicolon outside strings, comments and CREATE TRIGGER bodies, as
// sqlite3_complete decides. The shell uses it to know when to run input.
func Complete(s string) bool {
	toks := tokenize(s)
	if len(toks) == 0 || toks[len(toks)-1].kind != tokSemicolon {
		return false
	}
	// Inside CREATE TRIGGER ... BEGIN ... END; a semicolon ends a step, not
	// the statement.
	depth := 0
	for i, t := range toks {
		if t.kind != tokWord {
			continue
		}
		switch strings.ToUpper(t.text) {
		case "TRIGGER":
			if i > 0 && isCreate(toks[:i]) {
				depth++
			}
		case "END":
			if depth > 0 && i+1 < len(toks) && toks[i+1].kind == tokSemicolon {
				depth--
			}
		}
	}
	return depth == 0
}

func isCreate(before []token) bool {
	for i := len(before) - 1; i >= 0; i-- {
		w := strings.ToUpper(before[i].text)
		switch w {
		case "CREATE":
			return true
		case "TEMP", "TEMPORARY":
			continue
		}
		return false
	}
	return false
}

// Split cuts input into whole statements, each without its semicolon, and
// returns what remains after the last one.
func Split(s string) (stmts []string, rest string) {
	start := 0
	for _, t := range tokenize(s) {
		if t.kind != tokSemicolon {
			continue
		}
		if !Complete(s[start:t.end]) {
			continue
		}
		if stmt := strings.TrimSpace(s[start:t.start]); stmt != "" {
			stmts = append(stmts, stmt)
		}
		start = t.end
	}
	return stmts, s[start:]
}
