package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/refreshconf/refreshconf/suites/catalogue"
)

// childEnv makes the test binary act as the refreshconf command: a test
// that must run the Ginkgo catalogue (which runs once per process) runs it
// in a child process through runCLI.
const childEnv = "REFRESHCONF_TEST_CHILD_ARGS"

func TestMain(m *testing.M) {
	if args, ok := os.LookupEnv(childEnv); ok {
		var argv []string
		if args != "" {
			argv = strings.Split(args, "\x1f")
		}
		os.Exit(execute(context.Background(), argv))
	}
	os.Exit(runTests(m))
}

// runTests runs the tests with the RSA key cache of every child run in a
// temporary folder, so that tests neither write to the user's cache
// directory nor generate three keys per child run.
func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "refreshconf-test-keys-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "creating the tests' key cache folder:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	if _, set := os.LookupEnv("REFRESHCONF_KEY_CACHE"); !set {
		os.Setenv("REFRESHCONF_KEY_CACHE", filepath.Join(dir, "keys.pem"))
	}
	return m.Run()
}

// cliResult is what a child refreshconf process did.
type cliResult struct {
	Code           int
	Stdout, Stderr string
	Elapsed        time.Duration
}

// runCLI runs `refreshconf args...` in a child process (this test binary)
// with a deadline, and returns its exit status and output.
func runCLI(t testing.TB, timeout time.Duration, env []string, args ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), childEnv+"="+strings.Join(args, "\x1f")), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	res := cliResult{Stdout: out.String(), Stderr: errb.String(), Elapsed: time.Since(start)}
	if ctx.Err() != nil {
		t.Fatalf("refreshconf %s did not finish within %s\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), timeout, res.Stdout, res.Stderr)
	}
	if ee, ok := err.(*exec.ExitError); ok {
		res.Code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running refreshconf %s: %v", strings.Join(args, " "), err)
	}
	return res
}

func TestRunEmbeddedCatalogueSucceeds(t *testing.T) {
	dir := t.TempDir()
	res := runCLI(t, 3*time.Minute, nil, "run", "--report-dir", dir, "--no-color")
	if res.Code != 0 {
		t.Fatalf("refreshconf run exited %d, want 0\n%s\n%s", res.Code, res.Stdout, res.Stderr)
	}
	for _, want := range []string{"against reference: success", "total", "reports: "} {
		if !strings.Contains(res.Stdout, want) {
			t.Errorf("run output lacks %q:\n%s", want, res.Stdout)
		}
	}
	for _, f := range []string{"conformance-report.yaml", "conformance-report.md", "conformance-report.html", "junit.xml", "report.json"} {
		if st, err := os.Stat(dir + "/" + f); err != nil || st.Size() == 0 {
			t.Errorf("%s was not written: %v", f, err)
		}
	}
	// The HTML report names every scenario of the catalogue.
	html, err := os.ReadFile(dir + "/conformance-report.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range catalogue.All() {
		if !strings.Contains(string(html), `id="s-`+s.ID+`"`) {
			t.Errorf("the HTML report of a successful run does not name %s", s.ID)
		}
	}
	// Re-render from the JSON.
	out := t.TempDir()
	rr := runCLI(t, time.Minute, nil, "report", "--from", dir+"/report.json", "--out", out)
	if rr.Code != 0 || !strings.Contains(rr.Stdout, "reference: success") {
		t.Errorf("report --from exited %d: %s %s", rr.Code, rr.Stdout, rr.Stderr)
	}
}

func TestRunWithADefectFails(t *testing.T) {
	dir := t.TempDir()
	res := runCLI(t, 3*time.Minute, nil, "run", "--report-dir", dir, "--no-color", "--defect", "ignore-blocked", "--label-filter", "seed")
	if res.Code != 1 {
		t.Fatalf("refreshconf run with defect ignore-blocked exited %d, want 1\n%s\n%s", res.Code, res.Stdout, res.Stderr)
	}
	if !strings.Contains(res.Stdout, "FAILED  SEED-13") {
		t.Errorf("the summary does not name SEED-13 as failed:\n%s", res.Stdout)
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	cases := [][]string{
		{"catalogue", "--format", "xml"},
		{"run", "--no-such-flag"},
		{"run", "extra-argument"},
		{"report"},
		{"profile", "check"},
		{"profile", "check", "--profile", "/nonexistent/profile.yaml"},
		{"run", "--label-filter", "family:seed &&"},
	}
	for _, args := range cases {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			root := newRootCmd()
			root.SetArgs(args)
			root.SetOut(&stdout)
			root.SetErr(&stderr)
			code := exitCode(root.ExecuteContext(context.Background()))
			if code != 2 {
				t.Errorf("exit %d, want 2 (stdout %q, stderr %q)", code, stdout.String(), stderr.String())
			}
		})
	}
}

func TestCatalogueFormats(t *testing.T) {
	for _, f := range []string{"table", "markdown", "json"} {
		var out bytes.Buffer
		root := newRootCmd()
		root.SetArgs([]string{"catalogue", "--format", f})
		root.SetOut(&out)
		if err := root.Execute(); err != nil {
			t.Fatalf("catalogue --format %s: %v", f, err)
		}
		for _, id := range []string{"SEED-01", "SEED-13", "TOK-01", "ROT-02"} {
			if !strings.Contains(out.String(), id) {
				t.Errorf("catalogue --format %s lacks %s", f, id)
			}
		}
	}
	var md bytes.Buffer
	root := newRootCmd()
	root.SetArgs([]string{"catalogue", "--format", "markdown"})
	root.SetOut(&md)
	_ = root.Execute()
	if rows := strings.Count(md.String(), "\n| ") - 1; rows < 60 {
		t.Errorf("catalogue --format markdown lists %d scenarios, want at least 60", rows)
	}
}
