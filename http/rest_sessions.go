package http

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/osaudit/osaudit"
	"github.com/osaudit/osaudit/manager"
)

// Sign-in: a user's email and password buy an API token with the user's
// role, for osauditctl login --email and scripts. Attempts are
// rate-limited per source address.

const (
	signInBurst = 10
	signInEvery = 6 * time.Second
	// maxSignInSources bounds the limiter table; past it, it starts over.
	maxSignInSources = 10000
)

// signInLimiter limits sign-in attempts per source address.
type signInLimiter struct {
	mu  sync.Mutex
	per map[string]*rate.Limiter
}

func (l *signInLimiter) allow(source string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.per == nil || len(l.per) >= maxSignInSources {
		l.per = map[string]*rate.Limiter{}
	}
	lim := l.per[source]
	if lim == nil {
		lim = rate.NewLimiter(rate.Every(signInEvery), signInBurst)
		l.per[source] = lim
	}
	return lim.Allow()
}

// dummyHash is compared against when the email is unknown, so that an
// unknown user costs as much time as a wrong password.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := manager.HashPassword("no user has this password")
	return h
})

func (a rest) signIn(limiter *signInLimiter) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxRESTBody)
		if err := a.createSession(w, r, limiter); err != nil {
			writeError(w, r, a.Logger, err)
		}
	}
}

func (a rest) createSession(w http.ResponseWriter, r *http.Request, limiter *signInLimiter) error {
	source, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		source = r.RemoteAddr
	}
	if !limiter.allow(source) {
		return osaudit.Errorf(osaudit.ERATELIMIT, "too many sign-in attempts; wait a minute")
	}
	var body struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := decode(r, &body); err != nil {
		return err
	}
	if strings.TrimSpace(body.Email) == "" || body.Password == "" {
		return osaudit.Errorf(osaudit.EINVALID, "give email and password")
	}
	u, err := a.Store.UserByEmail(r.Context(), strings.TrimSpace(body.Email))
	if err != nil && osaudit.ErrorCode(err) != osaudit.ENOTFOUND {
		return fmt.Errorf("look up user: %w", err)
	}
	var hash []byte
	if u != nil {
		hash = u.PasswordHash
	} else {
		hash = dummyHash()
	}
	if !manager.CheckPassword(hash, body.Password) || u == nil {
		return osaudit.Errorf(osaudit.EUNAUTHORIZED, "wrong email or password")
	}
	token, err := newSecret(tokenPrefix)
	if err != nil {
		return err
	}
	t := &osaudit.APIToken{Name: "sign-in " + a.now().UTC().Format("2006-01-02 15:04"), Role: u.Role, CustomerID: u.CustomerID, UserID: u.ID, Hash: hashSecret(token)}
	if err := a.Store.CreateToken(r.Context(), t); err != nil {
		return fmt.Errorf("create token: %w", err)
	}
	t.Token = token
	return respond(w, http.StatusCreated, t)
}
