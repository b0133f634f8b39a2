package http

import (
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/osaudit/osaudit"
)

// statusOf maps domain error codes to HTTP statuses: the one place that
// does.
var statusOf = map[string]int{
	osaudit.EINVALID:      http.StatusBadRequest,
	osaudit.ENOTFOUND:     http.StatusNotFound,
	osaudit.ECONFLICT:     http.StatusConflict,
	osaudit.EUNAUTHORIZED: http.StatusUnauthorized,
	osaudit.EFORBIDDEN:    http.StatusForbidden,
	osaudit.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	osaudit.ERATELIMIT:    http.StatusTooManyRequests,
	osaudit.EUNAVAILABLE:  http.StatusServiceUnavailable,
	osaudit.EINTERNAL:     http.StatusInternalServerError,
}

// errorBody is the JSON every API error has: {"error": {"code", "message"}}.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// writeError writes err as a JSON error with its status; internal errors
// are logged and shown without their details.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	code := osaudit.ErrorCode(err)
	if code == osaudit.EINTERNAL && log != nil {
		log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	var body errorBody
	body.Error.Code = code
	body.Error.Message = osaudit.ErrorMessage(err)
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
}
