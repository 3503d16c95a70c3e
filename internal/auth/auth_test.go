package auth_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/riskd/riskd/internal/auth"
)

func TestTokenIsRandomAndOnlyTheHashMatches(t *testing.T) {
	tok1, h1, err := auth.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	tok2, h2, _ := auth.NewToken()
	if tok1 == tok2 || h1 == h2 {
		t.Fatal("two tokens are equal")
	}
	if !auth.LooksLikeToken(tok1) || strings.Contains(h1, tok1) {
		t.Fatalf("token %q / hash %q malformed", tok1, h1)
	}
	if !auth.HashMatches(h1, auth.HashToken(tok1)) || auth.HashMatches(h1, auth.HashToken(tok2)) {
		t.Fatal("hash comparison is wrong")
	}
}

func TestRolesAreOrdered(t *testing.T) {
	p := auth.Principal{Role: auth.Reviewer}
	if !p.Can(auth.Viewer) || !p.Can(auth.Assessor) || !p.Can(auth.Reviewer) || p.Can(auth.Admin) {
		t.Fatal("reviewer permissions wrong")
	}
	for _, r := range auth.Roles() {
		got, err := auth.ParseRole(r.String())
		if err != nil || got != r {
			t.Fatalf("ParseRole(%s) = %v, %v", r, got, err)
		}
	}
	if _, err := auth.ParseRole("root"); err == nil {
		t.Fatal("unknown role accepted")
	}
}

func TestLocalLimiter(t *testing.T) {
	now := time.Unix(1000, 0)
	l := auth.NewLocalLimiter(func() time.Time { return now })
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if ok, _, _ := l.Allow(ctx, "k", 3); !ok {
			t.Fatalf("request %d refused inside the burst", i)
		}
	}
	ok, retry, _ := l.Allow(ctx, "k", 3)
	if ok || retry <= 0 {
		t.Fatalf("4th request allowed (ok=%v retry=%v)", ok, retry)
	}
	if ok, _, _ := l.Allow(ctx, "other", 3); !ok {
		t.Fatal("keys share a bucket")
	}
	now = now.Add(time.Second)
	if ok, _, _ := l.Allow(ctx, "k", 3); !ok {
		t.Fatal("bucket did not refill")
	}
}
