package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/refreshconf/refreshconf/suites/report"
)

// The Ginkgo path: the suites' test binary, exactly what `go tool ginkgo
// ./suites` runs (the Ginkgo CLI turns any failure of it into exit 1).
var suiteBin struct {
	once sync.Once
	path string
	err  error
	out  []byte
}

// suiteBinary compiles the suites' test binary once per test process.
func suiteBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("compiles the suites' test binary (the Ginkgo path); run without -short")
	}
	suiteBin.once.Do(func() {
		dir, err := os.MkdirTemp("", "refreshconf-suite-bin-")
		if err != nil {
			suiteBin.err = err
			return
		}
		suiteBin.path = filepath.Join(dir, "suites.test")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "go", "test", "-c", "-o", suiteBin.path, "../../suites")
		suiteBin.out, suiteBin.err = cmd.CombinedOutput()
	})
	if suiteBin.err != nil {
		t.Fatalf("go test -c ./suites: %v\n%s", suiteBin.err, suiteBin.out)
	}
	return suiteBin.path
}

// runSuite runs the suites' test binary with args (Ginkgo flags as
// -ginkgo.X, refreshconf's after them) and returns its exit status and
// output.
func runSuite(t *testing.T, env []string, args ...string) cliResult {
	t.Helper()
	bin := suiteBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"-ginkgo.no-color"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Dir = t.TempDir()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	res := cliResult{Stdout: out.String()}
	if ctx.Err() != nil {
		t.Fatalf("the suite did not finish: %s", res.Stdout)
	}
	if ee, ok := err.(*exec.ExitError); ok {
		res.Code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return res
}

// refuseEverything is a token endpoint that refuses every request, a
// good refresh included, with 400 invalid_grant: classified as one
// constant code, it answers every scenario expecting that refusal right.
func refuseEverything(t *testing.T) (profilePath string) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Pragma", "no-cache")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":"invalid_grant","error_description":"refused"}`))
	}))
	t.Cleanup(srv.Close)
	b64 := base64.RawURLEncoding.EncodeToString
	jwt := b64([]byte(`{"alg":"RS256","kid":"k1","typ":"JWT"}`)) + "." + b64([]byte(`{"iss":"x","sub":"u","jti":"j1","exp":4102444800,"iat":1700000000,"scope":"a"}`)) + "." + b64(bytes.Repeat([]byte{7}, 256))
	p := `name: refuses-everything
target: {token_url: ` + srv.URL + `/token}
timeouts: {audit: 2s, audit_poll: 50ms}
audit:
  source: response
  classify:
    - {error: invalid_grant, code: InvalidSignature}
features: {jwt_refresh_tokens: true}
credentials:
  primary: {client_id: client-1, client_secret: refuse-everything-secret, refresh_token: "` + jwt + `"}
`
	path := filepath.Join(t.TempDir(), "refuse.yaml")
	if err := os.WriteFile(path, []byte(p), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestPositiveControlFailsARefusingTarget: a server that refuses every
// request with one constant code passes the token family's core
// scenarios that expect that refusal; the positive control (REQ-01, fired
// whatever the filter) makes the run fail, naming it, on both paths.
func TestPositiveControlFailsARefusingTarget(t *testing.T) {
	path := refuseEverything(t)
	filter := "family:token && level:core"
	out := filepath.Join(t.TempDir(), "run")
	res := runCLI(t, 2*time.Minute, nil, "run", "--profile", path, "--label-filter", filter, "--report-dir", out, "--no-color")
	c := readReport(t, out)
	if res.Code != 1 || c.Result != report.VerdictFailure || !strings.Contains(c.VerdictReason, "positive control REQ-01") {
		t.Errorf("run: exit %d, verdict %s (%s); want 1, failure naming the positive control\n%s", res.Code, c.Result, c.VerdictReason, res.Stdout)
	}
	if c.Summary.Passed == 0 {
		t.Errorf("no token scenario passed (summary %+v): the test no longer shows what the control catches", c.Summary)
	}
	if len(c.Notices) == 0 || !strings.HasPrefix(c.Notices[0], report.ControlNotice) || !strings.Contains(res.Stdout, report.ControlNotice) {
		t.Errorf("the refused control is not the first notice: %q", c.Notices)
	}

	dir := filepath.Join(t.TempDir(), "ginkgo")
	g := runSuite(t, nil, "-ginkgo.label-filter="+filter, "--profile", path, "--report-dir", dir)
	if g.Code == 0 || !strings.Contains(g.Stdout, "positive control REQ-01") {
		t.Errorf("Ginkgo path: exit %d; want non-zero naming the positive control\n%s", g.Code, g.Stdout)
	}
}

// TestCertifyRefusesASelection: a certification run is the whole
// catalogue: a label filter is a usage error (exit 2 from refreshconf
// run; the Ginkgo CLI reports any refusal as exit 1), and nothing is sent.
func TestCertifyRefusesASelection(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	res := runCLI(t, time.Minute, nil, "run", "--certify", "--label-filter", "id:SEED-09", "--report-dir", out, "--no-color")
	if res.Code != 2 || !strings.Contains(res.Stderr, "--certify runs the whole catalogue") {
		t.Errorf("run: exit %d, stderr %q; want 2 and the reason", res.Code, res.Stderr)
	}
	dir := filepath.Join(t.TempDir(), "ginkgo")
	g := runSuite(t, nil, "-ginkgo.label-filter=id:SEED-09", "--certify", "--report-dir", dir)
	if g.Code == 0 || !strings.Contains(g.Stdout, "--certify runs the whole catalogue") {
		t.Errorf("Ginkgo path: exit %d; want non-zero with the reason\n%s", g.Code, g.Stdout)
	}
	if b, err := os.ReadFile(filepath.Join(dir, report.FileYAML)); err == nil && strings.Contains(string(b), "result: success") {
		t.Error("a refused certification run wrote a successful report")
	}
}

// TestCertifyNeedsTheImplementation: a certification run names the
// product and version it certifies; a profile without them is refused
// before anything is sent (exit 2).
func TestCertifyNeedsTheImplementation(t *testing.T) {
	path := refuseEverything(t)
	res := runCLI(t, time.Minute, nil, "run", "--certify", "--profile", path, "--report-dir", filepath.Join(t.TempDir(), "run"), "--no-color")
	if res.Code != 2 || !strings.Contains(res.Stderr, "implementation.organization") {
		t.Errorf("exit %d, stderr %q; want 2 naming the implementation fields", res.Code, res.Stderr)
	}
}

// TestEmptySelectionIsAUsageError: a label filter that selects nothing is
// a usage error in run (exit 2) and fails the Ginkgo run.
func TestEmptySelectionIsAUsageError(t *testing.T) {
	res := runCLI(t, time.Minute, nil, "run", "--label-filter", "id:NOPE-99", "--report-dir", filepath.Join(t.TempDir(), "run"), "--no-color")
	if res.Code != 2 || !strings.Contains(res.Stderr, "selects no scenario") {
		t.Errorf("run: exit %d, stderr %q; want 2", res.Code, res.Stderr)
	}
	dir := filepath.Join(t.TempDir(), "ginkgo")
	g := runSuite(t, nil, "-ginkgo.label-filter=id:NOPE-99", "--report-dir", dir)
	c := readReport(t, dir)
	if g.Code == 0 || c.Result != report.VerdictNothingJudged {
		t.Errorf("Ginkgo path: exit %d, verdict %s; want non-zero, nothing_judged\n%s", g.Code, c.Result, g.Stdout)
	}
}

// TestDryRunWritesNoSuccess: `ginkgo --dry-run` sends nothing, so its
// report says nothing was judged and its JUnit passes no scenario.
func TestDryRunWritesNoSuccess(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "dry")
	g := runSuite(t, nil, "-ginkgo.dry-run", "--report-dir", dir)
	b, err := os.ReadFile(filepath.Join(dir, report.FileYAML))
	if err != nil {
		t.Fatalf("a dry run wrote no report: %v\n%s", err, g.Stdout)
	}
	if strings.Contains(string(b), "result: success") || !strings.Contains(string(b), "result: nothing_judged") {
		t.Errorf("the dry run's report:\n%s", firstLines(string(b), 30))
	}
	for _, tc := range readJUnitCases(t, dir) {
		t.Errorf("the dry run's JUnit holds scenario testcase %q (state %s)", tc.name, tc.state)
	}
}

// TestKnownDeviations: a declared deviation that fails is a known
// deviation (never passed; the run is partial); one that passes is stale
// and fails the run; an undeclarable one is a usage error.
func TestKnownDeviations(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	known := write("known.yaml", "known_deviations:\n  - {id: SEED-13, reason: \"blocked integrations not enforced (ticket AUTH-1)\"}\n")
	stale := write("stale.yaml", "known_deviations:\n  - {id: SEED-13, reason: \"blocked integrations not enforced (ticket AUTH-1)\"}\n  - {id: SEED-01, reason: \"fixed long ago\"}\n")
	bad := write("bad.yaml", "known_deviations:\n  - {id: NOPE-01, reason: x}\n")

	out := filepath.Join(dir, "known")
	res := runCLI(t, 2*time.Minute, nil, "run", "--defect", "ignore-blocked", "--label-filter", "seed", "--known-deviations", known, "--report-dir", out, "--no-color")
	c := readReport(t, out)
	if res.Code != 1 || c.Result != report.Partial || c.Summary.KnownDeviation != 1 || c.Summary.Failed != 0 || len(c.KnownDeviations) != 1 || c.KnownDeviations[0].ID != "SEED-13" {
		t.Errorf("known: exit %d, verdict %s (%s), summary %+v", res.Code, c.Result, c.VerdictReason, c.Summary)
	}
	if !strings.Contains(c.VerdictReason, "known deviation: SEED-13") || !strings.Contains(c.KnownDeviations[0].Reason, "ticket AUTH-1") {
		t.Errorf("the verdict or the scenario does not name the deviation: %q / %+v", c.VerdictReason, c.KnownDeviations)
	}
	for _, tc := range readJUnitCases(t, out) {
		if tc.state == string(report.StateKnownDeviation) && tc.passed {
			t.Errorf("JUnit passes the known deviation %s", tc.name)
		}
	}

	out = filepath.Join(dir, "stale")
	res = runCLI(t, 2*time.Minute, nil, "run", "--defect", "ignore-blocked", "--label-filter", "seed", "--known-deviations", stale, "--report-dir", out, "--no-color")
	c = readReport(t, out)
	if res.Code != 1 || c.Result != report.Failure || c.Summary.StaleDeviation != 1 || len(c.StaleDeviations) != 1 || c.StaleDeviations[0].ID != "SEED-01" {
		t.Errorf("stale: exit %d, verdict %s (%s), summary %+v", res.Code, c.Result, c.VerdictReason, c.Summary)
	}

	res = runCLI(t, time.Minute, nil, "run", "--known-deviations", bad, "--report-dir", filepath.Join(dir, "bad"), "--no-color")
	if res.Code != 2 || !strings.Contains(res.Stderr, "NOPE-01") {
		t.Errorf("an unknown ID: exit %d, stderr %q; want 2 naming it", res.Code, res.Stderr)
	}
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	return strings.Join(lines[:min(n, len(lines))], "\n")
}
