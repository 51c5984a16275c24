package main

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/refreshconf/refreshconf/client/mutate"
	"github.com/refreshconf/refreshconf/fixtures/profile"
	"github.com/refreshconf/refreshconf/fixtures/target"
	"github.com/refreshconf/refreshconf/suites/framework"
)

// fuzzCLI runs `refreshconf fuzz args...` in-process and returns the exit
// status and output.
func fuzzCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	root := newRootCmd()
	var out, errb bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetArgs(append([]string{"fuzz"}, args...))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := root.ExecuteContext(ctx)
	var ee exitError
	if err != nil && !errors.As(err, &ee) {
		errb.WriteString(err.Error())
	}
	return exitCode(err), out.String(), errb.String()
}

// outcomeCount reads one row of the outcome table.
func outcomeCount(t *testing.T, out, outcome string) int {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(outcome) + `\s+(\d+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no %q row in:\n%s", outcome, out)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// jwsShape matches anything that looks like a compact JWS.
var jwsShape = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}`)

func TestFuzzEmbeddedClean(t *testing.T) {
	code, out, errs := fuzzCLI(t, "--duration", "1500ms", "--concurrency", "8", "--seed", "7", "--audit-timeout", "5s", "--progress", "plain")
	if code != 0 {
		t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	if n := outcomeCount(t, out, mutate.OutcomeOK); n < 50 {
		t.Errorf("only %d requests ok:\n%s", n, out)
	}
	for _, o := range []string{mutate.Outcome5xx, mutate.Outcome200, mutate.OutcomeBadBody, mutate.OutcomeMissingRow, mutate.OutcomeDuplicateRow, mutate.OutcomeTransportError} {
		if n := outcomeCount(t, out, o); n != 0 {
			t.Errorf("%s: %d, want 0:\n%s", o, n, out)
		}
	}
	for _, want := range []string{"seed 7", "concurrency 8", "result: pass", "audit: http "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if m := regexp.MustCompile(`by family: form (\d+).*header (\d+).*method (\d+).*token (\d+)`).FindStringSubmatch(out); m == nil || slicesHasZero(m[1:]) {
		t.Errorf("a family was never exercised:\n%s", out)
	}
	if !regexp.MustCompile(`(?m)^fuzz 1s/1.5s +\d+ requests: ok \d+`).MatchString(errs) || strings.Contains(errs, "\r") {
		t.Errorf("stderr lacks a plain progress line per second:\n%q", errs)
	}
}

func slicesHasZero(xs []string) bool {
	for _, x := range xs {
		if x == "0" {
			return true
		}
	}
	return false
}

// TestFuzzCatchesDefects: against a defective embedded target the run
// reports the violation the defect causes, with redacted examples, and
// exits 1.
func TestFuzzCatchesDefects(t *testing.T) {
	for _, c := range []struct{ defect, outcome string }{
		{"status-200-on-error", mutate.Outcome200},
		{"drop-audit-row", mutate.OutcomeMissingRow},
		{"duplicate-audit-row", mutate.OutcomeDuplicateRow},
		{"html-error-body", mutate.OutcomeBadBody},
		{"no-www-authenticate", mutate.OutcomeBadBody},
		// Legal values swapped: caught where a 401 then carries invalid_request.
		{"wrong-error-value", mutate.OutcomeBadBody},
	} {
		t.Run(c.defect, func(t *testing.T) {
			code, out, errs := fuzzCLI(t, "--defect", c.defect, "--duration", "700ms", "--concurrency", "4", "--seed", "3", "--audit-timeout", "1s", "--progress", "off")
			if code != 1 {
				t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, out, errs)
			}
			if n := outcomeCount(t, out, c.outcome); n == 0 {
				t.Errorf("no %s reported:\n%s", c.outcome, out)
			}
			if !strings.Contains(out, "examples of "+c.outcome) || !strings.Contains(out, "result: FAIL") {
				t.Errorf("no examples of %s:\n%s", c.outcome, out)
			}
			if jwsShape.MatchString(out + errs) {
				t.Errorf("output holds a token:\n%s", out)
			}
			if errs != "" {
				t.Errorf("stderr with --progress off: %q", errs)
			}
		})
	}
}

// TestFuzzWithProfile runs against a target described by a profile file,
// and refuses a profile without a primary credential set.
func TestFuzzWithProfile(t *testing.T) {
	ctx := context.Background()
	r, err := target.Start(ctx, target.Config{}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Shutdown(context.Background()) })
	p, err := framework.ProvisionEmbedded(ctx, r.URL, r.Server.AdminToken(), 0)
	if err != nil {
		t.Fatal(err)
	}
	p.Limits.Concurrency = 3
	path := filepath.Join(t.TempDir(), "p.yaml")
	if err := writeProfileFile(path, p); err != nil {
		t.Fatal(err)
	}
	code, out, errs := fuzzCLI(t, "--profile", path, "--duration", "600ms", "--concurrency", "10", "--progress", "off")
	if code != 0 {
		t.Fatalf("exit %d, want 0\n%s\n%s", code, out, errs)
	}
	// The profile's concurrency caps the flag's.
	if !strings.Contains(out, "concurrency 3,") || !strings.Contains(out, "profile "+path) || !regexp.MustCompile(`seed \d+`).MatchString(out) {
		t.Errorf("header line wrong:\n%s", out)
	}
	if n := outcomeCount(t, out, mutate.OutcomeOK); n == 0 {
		t.Errorf("no request ok:\n%s", out)
	}
	if sec := p.Credentials[profile.SetPrimary].ClientSecret.Value(); strings.Contains(out, sec) {
		t.Error("output holds the primary client secret")
	}

	delete(p.Credentials, profile.SetPrimary)
	p.Provision = nil // else provisioning fills primary again
	bad := filepath.Join(t.TempDir(), "noprimary.yaml")
	if err := writeProfileFile(bad, p); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := fuzzCLI(t, "--profile", bad, "--duration", "1s"); code != 2 || !strings.Contains(errs, "primary") {
		t.Errorf("profile without primary: exit %d, want 2 naming primary\n%s\n%s", code, out, errs)
	}
}

func TestFuzzUsageErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"zero duration", []string{"--duration", "0s"}, "--duration"},
		{"bad duration", []string{"--duration", "soon"}, "invalid argument"},
		{"negative concurrency", []string{"--concurrency", "-1"}, "--concurrency"},
		{"huge concurrency", []string{"--concurrency", "100000"}, "--concurrency"},
		{"defect with profile", []string{"--profile", "x.yaml", "--defect", "drop-audit-row"}, "embedded"},
		{"unknown defect", []string{"--defect", "no-such-defect"}, "no-such-defect"},
		{"missing profile", []string{"--profile", filepath.Join(t.TempDir(), "none.yaml")}, "profile"},
		{"bad progress", []string{"--progress", "fancy"}, "--progress"},
		{"argument", []string{"extra"}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, errs := fuzzCLI(t, c.args...)
			if code != 2 || !strings.Contains(errs, c.want) {
				t.Errorf("exit %d, want 2 with %q\nstdout:\n%s\nstderr:\n%s", code, c.want, out, errs)
			}
		})
	}
}
