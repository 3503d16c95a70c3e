package source

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestIsPublic(t *testing.T) {
	for addr, want := range map[string]bool{
		"8.8.8.8": true, "2606:4700::1111": true, "151.101.1.69": true,
		"127.0.0.1": false, "::1": false, "10.1.2.3": false, "172.16.0.1": false, "192.168.1.1": false,
		"169.254.169.254": false, "fe80::1": false, "fd00::1": false, "0.0.0.0": false, "::": false,
		"100.64.0.1": false, "::ffff:127.0.0.1": false, "224.0.0.1": false, "198.51.100.7": false,
	} {
		if got := IsPublic(netip.MustParseAddr(addr)); got != want {
			t.Errorf("IsPublic(%s) = %v, want %v", addr, got, want)
		}
	}
}

func TestPublicClientRefusesLoopback(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("{}")) }))
	defer srv.Close()

	guarded := NewFetcher(PublicClient(false), "test")
	if _, err := guarded.Get(context.Background(), srv.URL, "application/json"); !errors.Is(err, ErrPrivateAddress) {
		t.Fatalf("guarded fetch of %s: err = %v, want ErrPrivateAddress", srv.URL, err)
	}
	// An operator can allow the internal network.
	open := NewFetcher(PublicClient(true), "test")
	body, err := open.Get(context.Background(), srv.URL, "application/json")
	if err != nil || string(body) != "{}" {
		t.Fatalf("allowed fetch: %q, %v", body, err)
	}
}
