package engine

import (
	"strings"

	"modernc.org/sqlite"
)

// readOnlyPragmas are the pragmas a query may run: they only describe the
// schema. Any pragma given a value (a write) is denied.
var readOnlyPragmas = map[string]bool{
	"table_info":      true,
	"table_xinfo":     true,
	"table_list":      true,
	"function_list":   true,
	"module_list":     true,
	"pragma_list":     true,
	"collation_list":  true,
	"database_list":   true,
	"compile_options": true,
}

// deniedFunctions reach outside the query: loading code or reading files.
var deniedFunctions = map[string]bool{
	"load_extension": true,
	"readfile":       true,
	"writefile":      true,
	"edit":           true,
	"fts3_tokenizer": true,
}

// authorize is the allowlist every statement is checked against at prepare
// time: reads, functions and schema pragmas anywhere; scratch tables and
// writes in temp only; ATTACH (and so VACUUM INTO), transactions, other
// pragmas and DDL outside temp never. Read-only mode alone is not enough:
// ATTACH and VACUUM INTO create files even on a read-only connection.
func (st *connState) authorize(action sqlite.AuthorizerActionCode, arg1, arg2, dbName, _ string) sqlite.AuthorizerReturnCode {
	if st.internal.Load() {
		return sqlite.AuthorizerOK
	}
	switch action {
	case sqlite.AuthSelect, sqlite.AuthRead, sqlite.AuthRecursive:
		return sqlite.AuthorizerOK
	case sqlite.AuthFunction:
		if deniedFunctions[strings.ToLower(arg2)] {
			return sqlite.AuthorizerDeny
		}
		return sqlite.AuthorizerOK
	case sqlite.AuthPragma:
		if readOnlyPragmas[strings.ToLower(arg1)] && (arg2 == "" || strings.ToLower(arg1) == "table_info" || strings.ToLower(arg1) == "table_xinfo") {
			return sqlite.AuthorizerOK
		}
	case sqlite.AuthCreateTempTable, sqlite.AuthCreateTempView, sqlite.AuthCreateTempIndex,
		sqlite.AuthDropTempTable, sqlite.AuthDropTempView, sqlite.AuthDropTempIndex:
		if !st.created[strings.ToLower(arg1)] {
			return sqlite.AuthorizerOK
		}
	case sqlite.AuthInsert, sqlite.AuthUpdate, sqlite.AuthDelete:
		// Scratch tables in temp; sqlite_temp_master changes with them.
		if dbName == "temp" && !st.created[strings.ToLower(arg1)] {
			return sqlite.AuthorizerOK
		}
	}
	return sqlite.AuthorizerDeny
}
