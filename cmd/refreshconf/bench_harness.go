package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/refreshconf/refreshconf/suites/report"
)

// benchTestChildEnv is how the refreshconf test binary is told to act as
// the command (see main_test.go): when bench runs inside it, its child
// `run` must be launched the same way, or the test binary would run its
// tests instead.
const benchTestChildEnv = "REFRESHCONF_TEST_CHILD_ARGS"

// harnessTimeout bounds one `refreshconf run` child.
const harnessTimeout = 5 * time.Minute

// harnessResult is one measured `refreshconf run`.
type harnessResult struct {
	wall    time.Duration
	peakRSS int64 // bytes; 0 when the platform does not report it
	// timings are the run's set-up phases, read from its report.
	timings report.Timings
	// provisioned says how the run's embedded target was provisioned.
	provisioned string
}

// measureHarness runs the whole catalogue through the suites, reports
// included, in a child `refreshconf run` against its embedded target with
// the given audit latency, key cache and target cache (files, or "off"),
// and times it.
func measureHarness(ctx context.Context, reportDir string, latency time.Duration, keyCache, targetCache string, extra ...string) (harnessResult, error) {
	exe, err := os.Executable()
	if err != nil {
		return harnessResult{}, fmt.Errorf("finding the refreshconf executable to run the harness: %w", err)
	}
	args := []string{"run", "--report-dir", reportDir, "--quiet-report-path", "--no-color", "--audit-latency", latency.String(), "--key-cache", keyCache, "--target-cache", targetCache}
	args = append(args, extra...)
	ctx, cancel := context.WithTimeout(ctx, harnessTimeout)
	defer cancel()
	var cmd *exec.Cmd
	env := os.Environ()
	if _, ok := os.LookupEnv(benchTestChildEnv); ok {
		cmd = exec.CommandContext(ctx, exe, "-test.run=^$")
		env = append(env, benchTestChildEnv+"="+strings.Join(args, "\x1f"))
	} else {
		cmd = exec.CommandContext(ctx, exe, args...)
	}
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err = cmd.Run()
	res := harnessResult{wall: time.Since(start)}
	if err != nil {
		return res, fmt.Errorf("refreshconf run --audit-latency %s %s (the harness under measure) failed: %w; its output ends:\n%s", latency, strings.Join(extra, " "), err, tail(out.String(), 2000))
	}
	res.peakRSS = peakRSS(cmd.ProcessState)
	c, err := readConformance(reportDir)
	if err != nil {
		return res, fmt.Errorf("reading the report of the measured run: %w", err)
	}
	if c.Run.Timings == nil {
		return res, fmt.Errorf("the measured run's report in %s has no timings", reportDir)
	}
	res.timings, res.provisioned = *c.Run.Timings, c.Run.Provisioned
	return res, nil
}

// tail returns the last n bytes of s.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
