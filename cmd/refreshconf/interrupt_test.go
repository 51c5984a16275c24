package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/refreshconf/refreshconf/fixtures/profile"
)

// interruptedRun starts `refreshconf args...` in a child process, waits
// until its output contains ready (and then for settle), sends it sigs
// (50 ms apart) and returns its exit status and output once it ended.
func interruptedRun(t *testing.T, ready string, settle time.Duration, sigs []os.Signal, args ...string) (int, string, time.Duration) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+strings.Join(args, "\x1f"), "NO_COLOR=")
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.After(2 * time.Minute)
	for !strings.Contains(out.String(), ready) {
		select {
		case err := <-done:
			t.Fatalf("refreshconf %s ended (%v) before printing %q:\n%s", strings.Join(args, " "), err, ready, out.String())
		case <-deadline:
			_ = cmd.Process.Kill()
			t.Fatalf("refreshconf %s never printed %q:\n%s", strings.Join(args, " "), ready, out.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	time.Sleep(settle)
	sent := time.Now()
	for i, sig := range sigs {
		if i > 0 {
			time.Sleep(50 * time.Millisecond)
		}
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case err := <-done:
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return code, out.String(), time.Since(sent)
	case <-time.After(time.Minute):
		_ = cmd.Process.Kill()
		t.Fatalf("refreshconf %s did not end within a minute of the signal:\n%s", strings.Join(args, " "), out.String())
	}
	return 0, "", 0
}

// assertInterruptedReports checks the folder of an interrupted run: every
// report written, the run not a success and marked interrupted.
func assertInterruptedReports(t *testing.T, dir, out string) {
	t.Helper()
	for _, bad := range []string{"goroutine ", "Progress Report", "SUCCESS!", ".go:"} {
		if strings.Contains(out, bad) {
			t.Errorf("the output of an interrupted run holds %q:\n%s", bad, out)
		}
	}
	if n := strings.Count(out, "refreshconf: interrupted by "); n != 1 || !strings.Contains(out, dir) {
		t.Errorf("want one line naming the interruption and the report folder %s:\n%s", dir, out)
	}
	y, err := os.ReadFile(filepath.Join(dir, "conformance-report.yaml"))
	if err != nil {
		t.Fatalf("no conformance report: %v\n%s", err, out)
	}
	if strings.Contains(string(y), "\nresult: success") {
		t.Errorf("an interrupted run's report says success")
	}
	if !strings.Contains(string(y), "\nresult: interrupted\n") {
		t.Errorf("the report's verdict is not interrupted:\n%s", y)
	}
	j, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil || !strings.Contains(string(j), "Interrupted by User") {
		t.Errorf("report.json does not carry Ginkgo's interruption reason (%v)", err)
	}
	for _, f := range []string{"conformance-report.html", "conformance-report.md", "junit.xml"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("interrupted run: %v", err)
		}
	}
}

// TestInterruptDuringTheAuditWait sends SIGINT while the run awaits its
// audit rows: it stops, writes the reports marked interrupted, says where
// in one line and exits 130, without Ginkgo's progress report.
func TestInterruptDuringTheAuditWait(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "r")
	code, out, took := interruptedRun(t, "Will run", 700*time.Millisecond, []os.Signal{os.Interrupt},
		"run", "--audit-latency", "20s", "--report-dir", dir)
	if code != 130 {
		t.Fatalf("exit %d, want 130:\n%s", code, out)
	}
	if took > 10*time.Second {
		t.Errorf("the run took %s to stop", took)
	}
	assertInterruptedReports(t, dir, out)
}

// TestTerminateDuringProvisioning sends SIGTERM while the profile's
// provisioner runs: the provisioner is stopped, and the run writes its
// (empty) reports marked interrupted and exits 130.
func TestTerminateDuringProvisioning(t *testing.T) {
	p := referenceProfile(t)
	p.Credentials = nil
	p.Provision = &profile.Provision{Kind: "exec", Command: []string{"sleep", "60"}}
	path := writeProfile(t, p)
	dir := filepath.Join(t.TempDir(), "r")
	code, out, took := interruptedRun(t, "Will run", 500*time.Millisecond, []os.Signal{syscall.SIGTERM},
		"run", "--profile", path, "--report-dir", dir)
	if code != 130 {
		t.Fatalf("exit %d, want 130:\n%s", code, out)
	}
	if took > 10*time.Second {
		t.Errorf("the run took %s to stop: the provisioner was not stopped", took)
	}
	assertInterruptedReports(t, dir, out)
}

// TestInterruptDuringFiring sends SIGINT while every request hangs on a
// silent target: sending stops at once (the requests in flight are
// cancelled, not waited out), and the reports are written marked
// interrupted.
func TestInterruptDuringFiring(t *testing.T) {
	var inFlight atomic.Int32
	release := make(chan struct{})
	silent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inFlight.Add(1)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer silent.Close()
	defer close(release)
	p := referenceProfile(t)
	p.Provision = nil
	p.Target.TokenURL = silent.URL + "/token"
	p.Target.KeysURL = ""
	p.Target.RevokeURL = silent.URL + "/revoke"
	p.Audit = profile.Audit{Source: profile.AuditNone}
	p.Timeouts.Request = profile.D(time.Minute)
	path := writeProfile(t, p)
	dir := filepath.Join(t.TempDir(), "r")
	code, out, took := interruptedRun(t, "refreshconf: client, target key set", time.Second, []os.Signal{os.Interrupt},
		"run", "--profile", path, "--report-dir", dir)
	if code != 130 {
		t.Fatalf("exit %d, want 130:\n%s", code, out)
	}
	if inFlight.Load() == 0 {
		t.Fatal("no request reached the silent target before the signal: nothing was interrupted")
	}
	if took > 10*time.Second {
		t.Errorf("the run took %s to stop: it waited for the requests in flight", took)
	}
	assertInterruptedReports(t, dir, out)
}
