package framework

import "testing"

// TestLoopbackURL: only a target on this machine reaches the loopback
// attacker listener (TOK-13/14 are not judged otherwise).
func TestLoopbackURL(t *testing.T) {
	for raw, want := range map[string]bool{
		"http://127.0.0.1:8787/token":         true,
		"http://localhost:8080/token":         true,
		"http://[::1]:9000/token":             true,
		"https://staging.example/token":       false,
		"https://10.0.0.5/token":              false,
		"https://127.0.0.1.nip.example/token": false,
		"::not a url":                         false,
	} {
		if got := loopbackURL(raw); got != want {
			t.Errorf("loopbackURL(%q) = %v, want %v", raw, got, want)
		}
	}
}
