package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// repoRoot is the module's root, two folders above this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root %s: %v", root, err)
	}
	return root
}

// goTool runs `go tool ginkgo args...` in dir and returns its combined
// output and exit status.
func goTool(t *testing.T, dir string, timeout time.Duration, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(gobin); err != nil {
		gobin = "go"
	}
	cmd := exec.CommandContext(ctx, gobin, append([]string{"tool", "ginkgo"}, args...)...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("go tool ginkgo %s did not finish within %s:\n%s", strings.Join(args, " "), timeout, out.String())
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("go tool ginkgo: %v", err)
	}
	return out.String(), code
}

// TestReadmeGinkgoRecipeFromTheRepoRoot runs the README's staging and CI
// recipe, `go tool ginkgo ./suites -- --profile FILE --report-dir DIR`,
// from the repository's root with relative paths, as a user or a GitHub
// Actions job does: the profile is read and the reports written relative
// to the root, not to suites/ (where the Ginkgo CLI runs the suite).
func TestReadmeGinkgoRecipeFromTheRepoRoot(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles and runs the Ginkgo suite through the Ginkgo CLI (about a minute on a cold build cache); run without -short")
	}
	root := repoRoot(t)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, recipe := range []string{
		"go tool ginkgo ./suites -- --profile staging.yaml --report-dir out",
		"with: {name: refreshconf-report, path: out}",
	} {
		if !strings.Contains(string(readme), recipe) {
			t.Fatalf("README lacks the recipe %q this test runs", recipe)
		}
	}
	profilePath := writeProfile(t, referenceProfile(t))
	relProfile, err := filepath.Rel(root, profilePath)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	relOut, err := filepath.Rel(root, out)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.IsAbs(relProfile) || filepath.IsAbs(relOut) {
		t.Fatalf("need relative paths, got %s and %s", relProfile, relOut)
	}

	log, code := goTool(t, root, 5*time.Minute, "--label-filter=seed", "./suites", "--", "--profile", relProfile, "--report-dir", relOut)
	if code != 0 {
		t.Fatalf("go tool ginkgo ./suites -- --profile %s --report-dir %s from %s: exit %d\n%s", relProfile, relOut, root, code, log)
	}
	for _, f := range []string{"conformance-report.yaml", "conformance-report.html", "junit.xml", "report.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("the report is not where --report-dir %s points from the root: %v\n%s", relOut, err, log)
		}
	}
	if strings.Contains(log, "no such file") {
		t.Errorf("the run could not find a file:\n%s", log)
	}

	// A profile that does not exist is named by the absolute path tried.
	log, code = goTool(t, root, 5*time.Minute, "./suites", "--", "--profile", "no-such-profile.yaml", "--report-dir", relOut)
	want := filepath.Join(root, "no-such-profile.yaml")
	if code == 0 || !strings.Contains(log, want) {
		t.Errorf("a missing profile: exit %d, output should name %s:\n%s", code, want, log)
	}
}

// TestUnusableReportDirIsAUsageErrorBeforeAnythingIsSent: a --report-dir
// that is a file, or a folder that cannot be written, exits 2 naming it,
// before the target is started or anything fired.
func TestUnusableReportDirIsAUsageErrorBeforeAnythingIsSent(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a-file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{file: "is not a folder"}
	if os.Geteuid() != 0 { // root writes anywhere
		ro := filepath.Join(dir, "read-only")
		if err := os.Mkdir(ro, 0o500); err != nil {
			t.Fatal(err)
		}
		cases[ro] = "cannot write into it"
	}
	for path, want := range cases {
		res := runCLI(t, time.Minute, nil, "run", "--report-dir", path, "--no-color", "--target-cache", "off")
		if res.Code != 2 || !strings.Contains(res.Stderr, path) || !strings.Contains(res.Stderr, want) {
			t.Errorf("run --report-dir %s: exit %d, want 2 and a message naming it (%q)\nstdout:\n%s\nstderr:\n%s", path, res.Code, want, res.Stdout, res.Stderr)
		}
		if strings.Contains(res.Stdout, "Will run") || res.Elapsed > 20*time.Second {
			t.Errorf("run --report-dir %s started the run (%s):\n%s", path, res.Elapsed, res.Stdout)
		}
	}
}
