package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/refreshconf/refreshconf/suites/report"
)

// interopModule is the nested Go module of the zitadel/oidc interop target,
// relative to this package.
const interopModule = "../../fixtures/interop/zitadel"

// interopTarget is a started zitadelop with its provisioner and profile.
type interopTarget struct {
	url, profile string
}

// startInteropTarget builds zitadelop and zprovision from their own module
// (its dependencies come from the module proxy, or the module cache),
// starts the server on a free loopback port and writes the repo's profile
// for it into a temporary folder, next to the provisioner.
func startInteropTarget(t *testing.T) *interopTarget {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go toolchain to build the interop target: %v", err)
	}
	dir := t.TempDir()
	for _, prog := range []string{"zitadelop", "zprovision"} {
		ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
		out, err := exec.CommandContext(ctx, goBin, "build", "-C", interopModule, "-o", filepath.Join(dir, prog), "./"+prog).CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("go build -C %s ./%s: %v\n%s", interopModule, prog, err, out)
		}
	}
	ready := filepath.Join(dir, "url")
	ctx, cancel := context.WithCancel(context.Background())
	srv := exec.CommandContext(ctx, filepath.Join(dir, "zitadelop"), "-ready-file", ready)
	var logs strings.Builder
	srv.Stderr = &logs
	if err := srv.Start(); err != nil {
		cancel()
		t.Fatalf("starting zitadelop: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		_ = srv.Wait()
	})
	var base string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if b, err := os.ReadFile(ready); err == nil && len(b) > 0 {
			base = strings.TrimSpace(string(b))
			break
		}
	}
	if base == "" {
		t.Fatalf("zitadelop wrote no URL within 20 s; its log:\n%s", logs.String())
	}
	raw, err := os.ReadFile(filepath.Join(interopModule, "profile.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	profilePath := filepath.Join(dir, "profile.yaml")
	// The profile reads ${ZITADEL_URL} (set for the run); its provisioner
	// is ./zprovision, beside it.
	if err := os.WriteFile(profilePath, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	return &interopTarget{url: base, profile: profilePath}
}

// The whole catalogue in one run against a real open-source server: the
// zitadel/oidc v3 example OpenID Provider (opaque refresh tokens rotated on
// every use, no audit trail, response classify rules). A scenario that
// starts or stops failing fails this test: a new deviation, a lost one or a
// harness regression.
func TestInteropZitadelWholeCatalogue(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the interop run builds a separate module")
	}
	it := startInteropTarget(t)
	out := filepath.Join(t.TempDir(), "report")
	res := runCLI(t, 3*time.Minute, []string{"ZITADEL_URL=" + it.url}, "run", "--profile", it.profile, "--report-dir", out, "--no-color")
	c := readReport(t, out)
	t.Logf("refreshconf run exited %d in %s: %s", res.Code, res.Elapsed.Round(time.Millisecond), lastLines(res.Stdout, 3))
	if len(c.HarnessErrors) > 0 {
		t.Fatalf("harness errors: %v\n%s", c.HarnessErrors, res.Stderr)
	}
	if c.Summary.Total != 91 {
		t.Errorf("the report covers %d scenarios, want the whole catalogue (91)", c.Summary.Total)
	}
	// The profile declares the server's deviations (known_deviations): a
	// scenario that fails and is not declared, or is declared and passes
	// (stale), fails the run and this test.
	for _, s := range c.Failed {
		t.Errorf("%s newly fails against the zitadel/oidc example: a new deviation (declare it in %s/profile.yaml with its reason) or a harness bug:\n%s", s.ID, interopModule, reasonOf(c, s.ID))
	}
	for _, s := range c.StaleDeviations {
		t.Errorf("%s is declared as a known deviation of the zitadel/oidc example but no longer fails: remove it from %s/profile.yaml", s.ID, interopModule)
	}
	for _, s := range append(c.Errored, c.Interrupted...) {
		t.Errorf("%s: %s (%s)", s.ID, s.State, firstLine(s.Reason))
	}
	// Their only fault is an error response without Cache-Control:
	// no-store, which RFC 6749 §5.1 demands only of token responses.
	var warned []string
	for _, s := range c.Warnings {
		warned = append(warned, s.ID)
	}
	slices.Sort(warned)
	if want := []string{"REQ-03", "REQ-04", "REQ-05", "REQ-06", "REQ-07", "REQ-10", "REQ-11", "REQ-14", "REQ-15", "REQ-17", "REQ-21", "ROT-04", "SEED-10"}; !slices.Equal(warned, want) {
		t.Errorf("scenarios in state warning: %v, want %v", warned, want)
	}
	if len(c.KnownDeviations) == 0 || c.Result != report.Partial || res.Code != 1 {
		t.Errorf("result %s (%s), exit %d, %d known deviation(s); want partial (skipped fixtures, declared deviations), exit 1", c.Result, c.VerdictReason, res.Code, len(c.KnownDeviations))
	}
}

// reasonOf is the start of scenario id's failure reason.
func reasonOf(c *report.Conformance, id string) string {
	for _, s := range append(c.Failed, c.StaleDeviations...) {
		if s.ID == id {
			lines := strings.Split(s.Reason, "\n")
			return strings.Join(lines[:min(len(lines), 40)], "\n")
		}
	}
	return ""
}
