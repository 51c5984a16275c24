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
		{"reuse_grace", "accept-reuse", "id:ROT-01", func(s *profile.Stances) { s.ReuseGrace = profile.D(time.Minute) }, "reuse_grace: 1m0s"},
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
