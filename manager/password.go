package manager

import (
	"golang.org/x/crypto/bcrypt"

	"github.com/osaudit/osaudit"
)

// PasswordCost is the bcrypt cost of user passwords (10: about 50 ms).
const PasswordCost = bcrypt.DefaultCost

// HashPassword returns the hash a user's password is kept as (bcrypt).
func HashPassword(password string) ([]byte, error) {
	switch {
	case len(password) < 8:
		return nil, osaudit.Errorf(osaudit.EINVALID, "a password needs at least 8 characters")
	case len(password) > 72:
		return nil, osaudit.Errorf(osaudit.EINVALID, "a password has at most 72 bytes")
	}
	return bcrypt.GenerateFromPassword([]byte(password), PasswordCost)
}

// CheckPassword reports whether password matches hash.
func CheckPassword(hash []byte, password string) bool {
	return bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil
}
