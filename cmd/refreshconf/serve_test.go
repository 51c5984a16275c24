package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/refreshconf/refreshconf/fixtures/profile"
)

// syncBuffer is a goroutine-safe output buffer.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestServeWritesProfileAndShutsDown(t *testing.T) {
	const adminToken = "test-admin-token-0123456789"
	out := filepath.Join(t.TempDir(), "reference.yaml")
	// A database file left world-readable (0644) is narrowed to 0600: it
	// holds the target's signing keys.
	db := filepath.Join(t.TempDir(), "target.db")
	if err := os.WriteFile(db, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	cmd := newServeCmd()
	var stdout, stderr syncBuffer
	cmd.SetOut(&stdout)
	cmd.SetErr(&stderr)
	cmd.SetArgs([]string{"--listen", "127.0.0.1:0", "--profile-out", out, "--admin-token", adminToken, "--db", db})
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()

	deadline := time.Now().Add(15 * time.Second)
	for {
		if _, err := os.Stat(out); err == nil {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("serve returned before writing the profile: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no profile after 15s\nstdout:\n%s", stdout.String())
		}
	}

	st, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("profile mode = %v, want 0600", st.Mode().Perm())
	}
	if st, err := os.Stat(db); err != nil {
		t.Error(err)
	} else if st.Mode().Perm() != 0o600 || st.Size() == 0 {
		t.Errorf("--db file: mode %v, %d bytes; want a filled database with mode 0600", st.Mode().Perm(), st.Size())
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(profile.Redacted)) {
		t.Errorf("the written profile holds redacted placeholders instead of secrets")
	}
	base := regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`).FindStringSubmatch(stdout.String())
	if base == nil {
		t.Fatalf("stdout does not print the base URL:\n%s", stdout.String())
	}
	lctx, lcancel := context.WithTimeout(context.Background(), 10*time.Second)
	p, err := profile.Load(lctx, out, profile.LoadOptions{})
	lcancel()
	if err != nil {
		t.Fatalf("the written profile does not load: %v", err)
	}
	if p.Target.TokenURL != base[1]+"/TSTDRV1/services/rest/auth/oauth2/v1/token" {
		t.Errorf("target.token_url = %q", p.Target.TokenURL)
	}
	if p.Audit.Source != profile.AuditHTTP || p.Audit.URL != base[1]+"/audit/rows" || p.Audit.Headers["Authorization"].Value() != "Bearer "+adminToken {
		t.Errorf("audit section wrong: source %q url %q", p.Audit.Source, p.Audit.URL)
	}
	for _, set := range []string{profile.SetPrimary, profile.SetBlocked, profile.SetFeatureDisabled, profile.SetPublicClient, profile.SetExpired} {
		cs, ok := p.Credentials[set]
		if !ok || cs.ClientID == "" || cs.RefreshToken.Value() == "" {
			t.Errorf("credentials.%s missing or incomplete in the written profile", set)
		}
	}
	if p.Credentials[profile.SetPrimary].ClientSecret.Value() == "" {
		t.Errorf("credentials.primary.client_secret not written")
	}
	if p.SigningKey == nil || p.SigningKey.KeyID == "" || !strings.Contains(p.SigningKey.PrivateKeyPEM.Value(), "PRIVATE KEY") {
		t.Errorf("signing_key not written")
	}
	if p.Provision == nil || p.Provision.Kind != "reference" || p.Provision.AdminToken.Value() != adminToken {
		t.Errorf("provision section wrong")
	}
	if strings.Contains(stdout.String()+stderr.String(), adminToken) {
		t.Errorf("the admin token was printed")
	}
	if !strings.Contains(stdout.String(), out) {
		t.Errorf("stdout does not say where the profile was written:\n%s", stdout.String())
	}
	resp, err := http.Get(base[1] + "/healthz")
	if err != nil {
		t.Fatalf("healthz while serving: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("healthz = %d", resp.StatusCode)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve did not shut down cleanly: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not return 15s after cancellation")
	}
	if !strings.Contains(stdout.String(), "stopped") {
		t.Errorf("no stop message:\n%s", stdout.String())
	}
	if _, err := http.Get(base[1] + "/healthz"); err == nil {
		t.Errorf("the target still answers after shutdown")
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".*tmp-*")); len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

func TestServeUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"bad listen", []string{"--listen", "nonsense"}, "--listen"},
		{"negative latency", []string{"--audit-latency", "-1s"}, "--audit-latency"},
		{"unknown defect", []string{"--defect", "no-such-defect"}, `unknown defect "no-such-defect"`},
		{"swap with an unknown code", []string{"--defect", "swap:InvalidSignature=Bogus"}, `"Bogus" is not a known audit code`},
		{"short admin token", []string{"--admin-token", "short"}, "at least 16 characters"},
		{"profile-out folder missing", []string{"--profile-out", "/no/such/dir/p.yaml"}, "does not exist"},
		{"positional argument", []string{"extra"}, "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := newServeCmd()
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			cmd.SetArgs(append([]string{"--listen", "127.0.0.1:0"}, tt.args...))
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err := cmd.ExecuteContext(ctx)
			var ue usageError
			if !errors.As(err, &ue) {
				t.Fatalf("error = %v, want a usageError", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestServeListDefects(t *testing.T) {
	cmd := newServeCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"--list-defects"})
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("--list-defects: %v", err)
	}
	if !strings.HasPrefix(out.String(), "DEFECT") || !strings.Contains(out.String(), "accept-expired") {
		t.Errorf("--list-defects output:\n%s", out.String())
	}
}

func TestMarshalProfileYAML(t *testing.T) {
	p := &profile.Profile{
		Name:     "x",
		Timeouts: profile.Timeouts{Request: profile.D(1500 * time.Millisecond)},
		Audit:    profile.Audit{Source: "http", Headers: map[string]profile.Secret{"Authorization": profile.NewSecret("Bearer abc")}},
		Credentials: map[string]profile.CredentialSet{
			"primary": {ClientID: "cid", ClientSecret: profile.NewSecret("sec"), RefreshToken: profile.NewSecret("rt")},
		},
		SigningKey: &profile.SigningKey{KeyID: "k", Algorithm: "RS256", PrivateKeyPEM: profile.NewSecret("-----BEGIN PRIVATE KEY-----\nAA\n-----END PRIVATE KEY-----\n")},
	}
	raw, err := marshalProfileYAML(p)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := yaml.Unmarshal(raw, &back); err != nil {
		t.Fatalf("output is not YAML: %v\n%s", err, raw)
	}
	s := string(raw)
	for _, want := range []string{"client_secret: sec", "refresh_token: rt", "Authorization: Bearer abc", "request: 1.5s", "BEGIN PRIVATE KEY"} {
		if !strings.Contains(s, want) {
			t.Errorf("YAML lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "[redacted]") {
		t.Errorf("YAML holds redacted secrets:\n%s", s)
	}
}
