// Package auth holds spaces, principals, roles and API tokens. It is pure:
// the store persists tokens, httpapi resolves them per request.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
)

// Role orders what a principal may do; each role includes those below it.
type Role int

const (
	RoleNone Role = iota
	Viewer
	Assessor
	Reviewer
	Admin
)

var roleNames = map[Role]string{Viewer: "viewer", Assessor: "assessor", Reviewer: "reviewer", Admin: "admin"}

func (r Role) String() string {
	if n, ok := roleNames[r]; ok {
		return n
	}
	return "none"
}

// ParseRole parses a role name.
func ParseRole(s string) (Role, error) {
	for r, n := range roleNames {
		if n == s {
			return r, nil
		}
	}
	return RoleNone, fmt.Errorf("unknown role %q (want viewer, assessor, reviewer or admin)", s)
}

// Roles lists every role from lowest to highest.
func Roles() []Role { return []Role{Viewer, Assessor, Reviewer, Admin} }

// Space is a tenant: every record belongs to exactly one.
type Space struct {
	ID   int64  `json:"id"`
	Slug string `json:"slug"`
}

var slugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// ValidSlug reports whether s can name a space.
func ValidSlug(s string) bool { return slugRE.MatchString(s) }

// Principal is the caller behind a token.
type Principal struct {
	ID        string // the token's UUID; recorded as createdBy, assessed_by_id, …
	Name      string
	Role      Role
	Space     Space
	RateLimit int // requests per second for this token; 0 means the server default
}

// Can reports whether the principal holds at least role r.
func (p Principal) Can(r Role) bool { return p.Role >= r }

type ctxKey struct{}

// WithPrincipal stores p in ctx.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// FromContext returns the principal of the request. Handlers behind the auth
// middleware always have one; ok is false only for unauthenticated routes.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(ctxKey{}).(Principal)
	return p, ok
}

// TokenPrefix marks riskd tokens so secret scanners can find leaked ones.
const TokenPrefix = "rk_"

// NewToken returns a fresh secret token (32 random bytes) and its hash. Only
// the hash is ever stored.
func NewToken() (token, hash string, err error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", fmt.Errorf("read random bytes: %w", err)
	}
	token = TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return token, HashToken(token), nil
}

// HashToken returns the stored form of a token. Tokens carry 256 bits of
// entropy, so a plain SHA-256 is enough: there is nothing to brute-force.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// HashMatches compares a presented token's hash to a stored one in constant time.
func HashMatches(stored, presented string) bool {
	return subtle.ConstantTimeCompare([]byte(stored), []byte(presented)) == 1
}

// tokenRE matches a token anywhere in a text.
var tokenRE = regexp.MustCompile(regexp.QuoteMeta(TokenPrefix) + `[A-Za-z0-9_-]{43}`)

// ContainsToken reports whether b holds a token secret, which must then
// never be stored (only its hash is).
func ContainsToken(b []byte) bool { return tokenRE.Match(b) }

// LooksLikeToken rejects obviously malformed credentials before any lookup.
func LooksLikeToken(s string) bool {
	return strings.HasPrefix(s, TokenPrefix) && len(s) == len(TokenPrefix)+43
}
