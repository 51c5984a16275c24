package main

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/refreshconf/refreshconf/fixtures/profile"
	"github.com/refreshconf/refreshconf/fixtures/provision"
	"github.com/refreshconf/refreshconf/fixtures/target"
	"github.com/refreshconf/refreshconf/suites/catalogue"
	"github.com/refreshconf/refreshconf/suites/report"
)

// TestStancesHonouredEndToEnd runs, for each stance, the scenarios it
// changes against a reference target switched to the non-RFC behaviour
// the stance allows: with the default (RFC-strict) profile they fail; with
// the stance declared they pass and the report lists the stance.
func TestStancesHonouredEndToEnd(t *testing.T) {
	cases := []struct {
		name, defect, filter string
		set                  func(*profile.Stances)
		listed               string
	}{
		{"broader_scope", "allow-scope-broadening", "id:ROT-04", func(s *profile.Stances) { s.BroaderScope = profile.BroaderScopeIgnore }, "broader_scope: ignore"},
		{"unknown_grant_type", "wrong-error-value", "id:SEED-10 || id:REQ-05 || id:REQ-06", func(s *profile.Stances) { s.UnknownGrantType = profile.UnknownGrantTypeInvalidRequest }, "unknown_grant_type: invalid_request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			running, err := target.Start(context.Background(), target.Config{Defects: []string{tc.defect}}, "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer scancel()
				_ = running.Shutdown(sctx)
			})
			p, err := provision.Reference(ctx, running.URL, running.Server.AdminToken(), provision.ReferenceOptions{})
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			strict := filepath.Join(dir, "strict.yaml")
			if err := writeProfileFile(strict, p); err != nil {
				t.Fatal(err)
			}
			tc.set(&p.Stances)
			lenient := filepath.Join(dir, "lenient.yaml")
			if err := writeProfileFile(lenient, p); err != nil {
				t.Fatal(err)
			}

			// RFC-strict by default: the defect is caught.
			out := filepath.Join(dir, "strict-report")
			res := runCLI(t, 2*time.Minute, nil, "run", "--profile", strict, "--label-filter", tc.filter, "--report-dir", out, "--no-color")
			c := readReport(t, out)
			n := strings.Count(tc.filter, "id:")
			if res.Code != 1 || c.Summary.Failed != n || c.Summary.Passed != 0 {
				t.Errorf("default stance against defect %s: exit %d, summary %+v; want every selected scenario to fail", tc.defect, res.Code, c.Summary)
			}
			if len(c.Run.Stances) != 0 {
				t.Errorf("the default profile lists non-default stances: %v", c.Run.Stances)
			}

			// The stance declared: the same behaviour is accepted, and said.
			out = filepath.Join(dir, "lenient-report")
			res = runCLI(t, 2*time.Minute, nil, "run", "--profile", lenient, "--label-filter", tc.filter, "--report-dir", out, "--no-color")
			c = readReport(t, out)
			// The scenarios the label filter leaves out are not selected,
			// not skipped: the selection passed, exit 0, and the verdict
			// names the filter.
			if res.Code != 0 || c.Result != report.Success || c.Summary.Passed != n || c.Summary.Failed != 0 || c.Summary.Skipped != 0 || c.Summary.NotSelected != len(catalogue.All())-n {
				t.Errorf("stance %s against defect %s: exit %d, result %s, summary %+v; want the %d selected to pass\n%s", tc.name, tc.defect, res.Code, c.Result, c.Summary, n, res.Stdout)
			}
			if !strings.Contains(c.VerdictReason, tc.filter) {
				t.Errorf("the verdict reason %q does not name the filter %q", c.VerdictReason, tc.filter)
			}
			if !slices.ContainsFunc(c.Run.Stances, func(s string) bool { return strings.HasPrefix(s, tc.listed) }) {
				t.Errorf("the report's stances %v lack %q", c.Run.Stances, tc.listed)
			}
		})
	}
}

// TestReuseGraceIsBounded: with stances.reuse_grace, ROT-01 accepts a
// reuse within the grace period and then, past it, requires a refusal. A
// target that honours a grace period passes; one that accepts reuse for
// ever (no reuse detection at all) fails, as it fails without the stance.
func TestReuseGraceIsBounded(t *testing.T) {
	const grace = time.Second
	start := func(t *testing.T, cfg target.Config) *profile.Profile {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		running, err := target.Start(context.Background(), cfg, "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer scancel()
			_ = running.Shutdown(sctx)
		})
		p, err := provision.Reference(ctx, running.URL, running.Server.AdminToken(), provision.ReferenceOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	run := func(t *testing.T, p *profile.Profile, name string) (*report.Conformance, cliResult) {
		t.Helper()
		dir := t.TempDir()
		path := filepath.Join(dir, name+".yaml")
		if err := writeProfileFile(path, p); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, name+"-report")
		res := runCLI(t, 2*time.Minute, nil, "run", "--profile", path, "--label-filter", "id:ROT-01", "--report-dir", out, "--no-color")
		return readReport(t, out), res
	}
	t.Run("a target with a grace period", func(t *testing.T) {
		t.Parallel()
		p := start(t, target.Config{ReuseGrace: grace})
		if c, res := run(t, p, "strict"); res.Code != 1 || c.Summary.Failed != 1 {
			t.Errorf("RFC-strict profile: exit %d, summary %+v; want ROT-01 to fail (a reuse was accepted)", res.Code, c.Summary)
		}
		p.Stances.ReuseGrace = profile.D(grace)
		c, res := run(t, p, "lenient")
		if res.Code != 0 || c.Result != report.Success || c.Summary.Passed != 1 {
			t.Errorf("reuse_grace %s: exit %d, verdict %s, summary %+v; want ROT-01 to pass\n%s", grace, res.Code, c.Result, c.Summary, res.Stdout)
		}
		if !slices.ContainsFunc(c.Run.Stances, func(s string) bool { return strings.HasPrefix(s, "reuse_grace: 1s") }) {
			t.Errorf("the report's stances %v lack reuse_grace", c.Run.Stances)
		}
	})
	t.Run("a target without reuse detection", func(t *testing.T) {
		t.Parallel()
		p := start(t, target.Config{Defects: []string{"accept-reuse"}})
		p.Stances.ReuseGrace = profile.D(grace)
		c, res := run(t, p, "lenient")
		if res.Code != 1 || c.Summary.Failed != 1 || len(c.Failed) != 1 || !strings.Contains(c.Failed[0].Reason, "after the grace period") {
			t.Errorf("reuse_grace %s against accept-reuse: exit %d, summary %+v, failed %+v; want ROT-01 to fail on the reuse after the grace period", grace, res.Code, c.Summary, c.Failed)
		}
	})
}
