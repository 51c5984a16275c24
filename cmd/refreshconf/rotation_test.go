package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/refreshconf/refreshconf/fixtures/profile"
	"github.com/refreshconf/refreshconf/fixtures/provision"
	"github.com/refreshconf/refreshconf/fixtures/target"
	"github.com/refreshconf/refreshconf/suites/report"
)

// verdicts reads a run's report folder and returns each scenario's verdict
// (passed, failed, skipped, unsupported, not_judged) by ID.
func verdicts(t *testing.T, dir string, res cliResult) map[string]string {
	t.Helper()
	c, err := readConformance(dir)
	if err != nil {
		t.Fatalf("no report in %s (exit %d): %v\n%s", dir, res.Code, err, lastLines(res.Stdout+res.Stderr, 20))
	}
	if len(c.HarnessErrors) > 0 {
		t.Fatalf("harness errors in %s: %v", dir, c.HarnessErrors)
	}
	out := map[string]string{}
	for _, id := range catalogueIDs() {
		out[id] = "passed"
	}
	for state, list := range map[string][]report.ScenarioResult{"failed": c.Failed, "skipped": c.Skipped, "unsupported": c.Unsupported, "not_judged": c.NotJudged} {
		for _, s := range list {
			out[s.ID] = state
		}
	}
	return out
}

// rotatingProfile starts a reference target in rotate-everything mode,
// provisions it and writes its profile (rotation.refresh_tokens all,
// limits.concurrency conc, no provision section when static) to a file.
func rotatingProfile(t *testing.T, static bool, conc int, declare string) string {
	t.Helper()
	return targetProfile(t, true, static, conc, declare)
}

// targetProfile is rotatingProfile for a target in rotate-everything mode
// or not (rotateAll).
func targetProfile(t *testing.T, rotateAll, static bool, conc int, declare string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	running, err := target.Start(ctx, target.Config{RotateAll: rotateAll}, "127.0.0.1:0")
	if err != nil {
		t.Fatalf("starting the target: %v", err)
	}
	t.Cleanup(func() { _ = running.Shutdown(context.Background()) })
	p, err := provision.Reference(ctx, running.URL, running.Server.AdminToken(), provision.ReferenceOptions{ShortLifetime: time.Millisecond, AgingGrace: -1})
	if err != nil {
		t.Fatalf("provisioning: %v", err)
	}
	p.Rotation.RefreshTokens = declare
	p.Limits.Concurrency = conc
	if static {
		p.Provision = nil
	}
	path := filepath.Join(t.TempDir(), "rotating.yaml")
	if err := writeProfileFile(path, p); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestRotatingTargetWholeRunMatchesAlone is the rotation issue's
// acceptance test: against the reference target in rotate-everything mode
// (every refresh token one-time, reuse revokes the family), one whole run
// gives every scenario the verdict it gets when run alone on fresh
// credentials, whether the run leases instances minted during the run,
// instances the provisioner answered, or chains static credentials, at
// limits.concurrency 1 and at the default. A control run that does not
// declare the rotation (so plans no lease) must differ: the comparison can
// fail.
func TestRotatingTargetWholeRunMatchesAlone(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the catalogue once per scenario (about 30 s); run without -short")
	}
	ids := catalogueIDs()
	alone := map[string]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 3)
	for _, id := range ids {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			dir := filepath.Join(t.TempDir(), "alone")
			res := runCLI(t, 2*time.Minute, nil, "run", "--rotate-all", "--label-filter", "id:"+id, "--report-dir", dir, "--no-color", "--quiet-report-path")
			v := verdicts(t, dir, res)[id]
			mu.Lock()
			alone[id] = v
			mu.Unlock()
		})
	}
	wg.Wait()
	for _, id := range ids {
		if alone[id] != "passed" {
			t.Errorf("%s alone on fresh credentials: %s, want passed (the reference target is correct)", id, alone[id])
		}
	}

	compare := func(name string, args ...string) []string {
		dir := filepath.Join(t.TempDir(), "whole")
		res := runCLI(t, 3*time.Minute, nil, append([]string{"run", "--report-dir", dir, "--no-color", "--quiet-report-path"}, args...)...)
		whole := verdicts(t, dir, res)
		var diff []string
		for _, id := range ids {
			if whole[id] != alone[id] {
				diff = append(diff, fmt.Sprintf("%s: %s whole, %s alone", id, whole[id], alone[id]))
			}
		}
		sort.Strings(diff)
		return diff
	}
	runs := []struct {
		name string
		args func() []string
	}{
		{"embedded, instances minted during the run, default concurrency", func() []string { return []string{"--rotate-all"} }},
		{"provisioner answers the instance request, concurrency 1", func() []string { return []string{"--profile", rotatingProfile(t, false, 1, profile.RotateAll)} }},
		{"provisioner answers the instance request, default concurrency", func() []string { return []string{"--profile", rotatingProfile(t, false, 0, profile.RotateAll)} }},
		{"static credentials chained, concurrency 1", func() []string { return []string{"--profile", rotatingProfile(t, true, 1, profile.RotateAll)} }},
		{"static credentials chained, default concurrency", func() []string { return []string{"--profile", rotatingProfile(t, true, 0, profile.RotateAll)} }},
	}
	for _, r := range runs {
		if diff := compare(r.name, r.args()...); len(diff) > 0 {
			t.Errorf("%s: the whole run's verdicts differ from the scenarios' alone:\n  %s", r.name, strings.Join(diff, "\n  "))
		}
	}
	// Control: the same target, its rotation undeclared (public only), so
	// no lease is planned and the scenarios share the confidential tokens.
	if diff := compare("control", "--profile", rotatingProfile(t, true, 0, profile.RotatePublic)); len(diff) == 0 {
		t.Errorf("control: a run that does not declare the target's rotation gave the same verdicts as the scenarios alone; the comparison proves nothing")
	} else {
		t.Logf("control (rotation undeclared, no leases): %d scenarios differ from alone, e.g. %s", len(diff), diff[0])
	}
}

// TestProfileCheckDetectsRotation: `profile check` against a rotating
// target passes and reports the rotation it saw (tested on an instance the
// provisioner answered, not on a set the run needs), and names a
// declaration the target contradicts.
func TestProfileCheckDetectsRotation(t *testing.T) {
	tests := []struct {
		name              string
		rotateAll         bool
		declare           string
		wantErr           bool
		want, mustNotHave []string
	}{
		{"rotating target, declared", true, profile.RotateAll, false,
			[]string{"tested on primary#", "rotates (the used token is refused", "reuse revokes the family", "declared refresh_tokens all"}, []string{"DISAGREES"}},
		{"rotating target, undeclared", true, profile.RotatePublic, true,
			[]string{"DECLARATION DISAGREES", "issued a new refresh token"}, nil},
		{"NetSuite-like target, declared all", false, profile.RotateAll, true,
			[]string{"DECLARATION DISAGREES", "issued no new refresh token"}, nil},
		{"NetSuite-like target, default declaration", false, "", false,
			[]string{"confidential clients' tokens do not rotate"}, []string{"DISAGREES"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			path := targetProfile(t, tc.rotateAll, false, 0, tc.declare)
			var out strings.Builder
			err := checkProfile(ctx, &out, path, true)
			if (err != nil) != tc.wantErr {
				t.Errorf("profile check error = %v, want error %v\n%s", err, tc.wantErr, out.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
			for _, w := range tc.mustNotHave {
				if strings.Contains(out.String(), w) {
					t.Errorf("output has %q:\n%s", w, out.String())
				}
			}
		})
	}
}

// TestSeed03OpaqueForm: with features.jwt_refresh_tokens false, SEED-03
// runs its opaque-token form (one byte of the token flipped) instead of
// failing as a harness error or being skipped, and a correct target passes
// it.
func TestSeed03OpaqueForm(t *testing.T) {
	path := targetProfile(t, false, true, 0, "")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	opaque := strings.Replace(string(raw), "jwt_refresh_tokens: true", "jwt_refresh_tokens: false", 1)
	if opaque == string(raw) {
		t.Fatal("the provisioned profile declares no features.jwt_refresh_tokens")
	}
	if err := os.WriteFile(path, []byte(opaque), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "report")
	res := runCLI(t, 2*time.Minute, nil, "run", "--profile", path, "--label-filter", "id:SEED-03", "--report-dir", dir, "--no-color", "--quiet-report-path")
	if v := verdicts(t, dir, res)["SEED-03"]; v != "passed" {
		t.Errorf("SEED-03 with opaque refresh tokens declared: %s, want passed (its opaque form)\n%s", v, lastLines(res.Stdout, 30))
	}
}
