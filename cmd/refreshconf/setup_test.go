package main

import (
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/refreshconf/refreshconf/fixtures/profile"
)

// closedPortURL returns an http URL on a loopback port nothing listens on.
func closedPortURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return "http://" + addr
}

// TestSetupFailureWritesACompleteReport: a run whose target is down fails
// in set-up, and its report still names the target, the harness version,
// the redacted profile and the one failing step, blaming the target's
// host rather than keys_url.
func TestSetupFailureWritesACompleteReport(t *testing.T) {
	p := referenceProfile(t)
	secret := p.Credentials[profile.SetPrimary].ClientSecret.Value()
	down := closedPortURL(t)
	p.Target.TokenURL = down + "/token"
	p.Target.KeysURL = down + "/keys"
	p.Provision = nil
	path := writeProfile(t, p)
	dir := filepath.Join(t.TempDir(), "r")
	res := runCLI(t, 2*time.Minute, nil, "run", "--profile", path, "--report-dir", dir, "--no-color")
	if res.Code != 1 {
		t.Fatalf("exit %d, want 1\n%s\n%s", res.Code, res.Stdout, res.Stderr)
	}
	if !strings.Contains(res.Stdout, "refreshconf 0.1.0 against "+p.Name+":") || !strings.Contains(res.Stdout, `SET-UP FAILED  at step "client, target key set and jku/x5u listener"`) {
		t.Errorf("the summary does not name the target and the failing step:\n%s", res.Stdout)
	}
	y, err := os.ReadFile(filepath.Join(dir, "conformance-report.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"harness_version: 0.1.0", "target: " + p.Name, "token_url: " + down + "/token", "setup_failure:", "step: client, target key set and jku/x5u listener", "target.token_url and target.keys_url are both on it", "client_id:"} {
		if !strings.Contains(string(y), want) {
			t.Errorf("the report lacks %q:\n%s", want, y)
		}
	}
	if strings.Contains(string(y), secret) || strings.Contains(res.Stdout+res.Stderr, secret) {
		t.Error("a set-up failure's report or output holds the client secret")
	}
}

// TestProgressLines: one line per set-up phase with its duration, and
// plain audit-wait lines (no terminal) during a long audit wait.
func TestProgressLines(t *testing.T) {
	res := runCLI(t, 2*time.Minute, nil, "run", "--label-filter", "id:SEED-03", "--audit-latency", "6s", "--report-dir", t.TempDir(), "--no-color")
	if res.Code > 1 {
		t.Fatalf("exit %d\n%s\n%s", res.Code, res.Stdout, res.Stderr)
	}
	for _, re := range []string{
		`refreshconf: RSA keys: .* \([0-9.]+(µs|ms|s)\)\n`,
		`refreshconf: embedded reference target \(start and provisioning\).* \([0-9.]+(µs|ms|s)\)\n`,
		`refreshconf: client, target key set and jku/x5u listener \([0-9.]+(µs|ms|s)\)\n`,
		`refreshconf: firing 1 scenarios at http://127\.0\.0\.1:[0-9]+/\S+: [0-9]+ requests \([0-9.]+(µs|ms|s)\)\n`,
		`refreshconf: audit wait: [0-9]+ scenarios fired, [0-9]+ audit rows found, [1-9][0-9]* requests awaiting their row, [0-9]+s left until the audit deadline\n`,
	} {
		if !regexp.MustCompile(re).MatchString(res.Stderr) {
			t.Errorf("stderr lacks a line matching %s:\n%s", re, res.Stderr)
		}
	}
	if strings.Contains(res.Stderr, "\r") || strings.Contains(res.Stderr, "\x1b") {
		t.Errorf("live-line control characters written to a pipe:\n%q", res.Stderr)
	}
}
