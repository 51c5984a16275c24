package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// opaqueTarget is a minimal token endpoint whose refresh tokens are opaque
// strings (not JWS), as the zitadel/oidc example's are: it refreshes the
// two tokens it knows for their own client and refuses everything else
// with an RFC 6749 error.
func opaqueTarget(t *testing.T) *httptest.Server {
	t.Helper()
	clients := map[string]string{"opaque-a": "opaque-secret-a-0123456789", "opaque-b": "opaque-secret-b-0123456789"}
	tokens := map[string]string{"rt-a-9f8e7d6c5b4a": "opaque-a", "rt-b-1a2b3c4d5e6f": "opaque-b"}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Pragma", "no-cache")
		fail := func(status int, e string) {
			if status == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Basic realm="token"`)
			}
			w.WriteHeader(status)
			_, _ = w.Write([]byte(`{"error":"` + e + `"}`))
		}
		id, secret, ok := r.BasicAuth()
		if r.Method != http.MethodPost || r.ParseForm() != nil {
			fail(http.StatusBadRequest, "invalid_request")
			return
		}
		switch {
		case !ok || clients[id] == "" || clients[id] != secret:
			fail(http.StatusUnauthorized, "invalid_client")
		case r.PostForm.Get("grant_type") != "refresh_token":
			fail(http.StatusBadRequest, "unsupported_grant_type")
		case tokens[r.PostForm.Get("refresh_token")] != id:
			fail(http.StatusBadRequest, "invalid_grant")
		default:
			_, _ = w.Write([]byte(`{"access_token":"at-opaque-5f4e3d2c1b","token_type":"Bearer","expires_in":300}`))
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// Against a target whose refresh tokens are opaque and that declares
// features.jwt_refresh_tokens: false, no scenario may end as the harness's
// own failure to craft a token: each runs an opaque form or is skipped
// naming the feature (SEED-03 used to fail with "the harness could not
// craft the scenario's requests").
func TestOpaqueRefreshTokensNeverAHarnessError(t *testing.T) {
	srv := opaqueTarget(t)
	dir := t.TempDir()
	profilePath := filepath.Join(dir, "opaque.yaml")
	prof := `name: opaque
target: {token_url: ` + srv.URL + `/token}
timeouts: {audit: 2s, audit_poll: 50ms}
audit:
  source: response
  classify:
    - {status: 200, code: Success}
    - {error: invalid_client, code: ClientAuthenticationFailed}
features: {revocation: false, rotation: false, public_clients: false, jwt_refresh_tokens: false, extended_codes: false}
credentials:
  primary: {client_id: opaque-a, client_secret: opaque-secret-a-0123456789, refresh_token: rt-a-9f8e7d6c5b4a, access_token: at-opaque-0a1b2c3d4e}
  secondary: {client_id: opaque-b, client_secret: opaque-secret-b-0123456789, refresh_token: rt-b-1a2b3c4d5e6f}
`
	if err := os.WriteFile(profilePath, []byte(prof), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "report")
	res := runCLI(t, 2*time.Minute, nil, "run", "--profile", profilePath, "--report-dir", out, "--no-color")
	c := readReport(t, out)
	if len(c.HarnessErrors) > 0 {
		t.Fatalf("harness errors: %v\n%s", c.HarnessErrors, res.Stderr)
	}
	for _, s := range c.Failed {
		if strings.Contains(s.Reason, "harness could not") || strings.Contains(s.Reason, "crafting the token") {
			t.Errorf("%s failed as the harness's own error on an opaque-token target:\n%s", s.ID, s.Reason)
		}
	}
	skipped := map[string]string{}
	for _, s := range append(c.Skipped, c.Unsupported...) {
		skipped[s.ID] = s.Reason
	}
	for _, id := range []string{"AUD-03"} {
		if !strings.Contains(skipped[id], "jwt_refresh_tokens") {
			t.Errorf("%s is not skipped naming features.jwt_refresh_tokens (reason %q)", id, skipped[id])
		}
	}
	// SEED-03 runs its opaque form (one byte of the opaque token flipped).
	if r, ok := skipped["SEED-03"]; ok {
		t.Errorf("SEED-03 was skipped (%q); want its opaque form run", r)
	}
	ran := false
	for _, s := range c.Scenarios {
		for _, st := range s.Steps {
			if s.ID == "SEED-03" && strings.Contains(st.Name, "opaque form") {
				ran = true
			}
		}
	}
	if !ran {
		t.Errorf("SEED-03 did not send its opaque-form request")
	}
}
