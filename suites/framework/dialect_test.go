package framework

import (
	"strings"
	"testing"

	"github.com/refreshconf/refreshconf/client/audit"
	"github.com/refreshconf/refreshconf/fixtures/codes"
	"github.com/refreshconf/refreshconf/fixtures/profile"
	"github.com/refreshconf/refreshconf/suites/catalogue"
	"github.com/refreshconf/refreshconf/suites/report"
)

func scenario(t *testing.T, id string) *catalogue.Scenario {
	t.Helper()
	s, ok := catalogue.ByID(id)
	if !ok {
		t.Fatalf("no scenario %s", id)
	}
	return s
}

// TestCodeExpectation: the dialect decides whether a reference-only code is
// judged or recorded; a pin is asserted exactly in either dialect; a
// documented code is judged in both.
func TestCodeExpectation(t *testing.T) {
	req08 := scenario(t, "REQ-08")
	seed03 := scenario(t, "SEED-03")
	refWant := catalogue.Fail(codes.InvalidRequest, codes.ErrInvalidRequest)
	docWant := catalogue.Fail(codes.InvalidSignature, codes.ErrInvalidGrant)
	ns := &profile.Profile{Codes: profile.Codes{Dialect: profile.DialectNetSuite}}
	ref := &profile.Profile{Codes: profile.Codes{Dialect: profile.DialectReference}}
	pinned := &profile.Profile{Codes: profile.Codes{Dialect: profile.DialectNetSuite, Pins: map[string]string{"REQ-08": "InvalidGrantType"}}}
	stepPin := &profile.Profile{Codes: profile.Codes{Dialect: profile.DialectNetSuite, Pins: map[string]string{"REQ-08/step 2": "InvalidGrantType"}}}

	row := func(detail string) audit.Entry { return audit.Entry{Detail: detail, Status: codes.StatusFailure} }
	for _, c := range []struct {
		name   string
		p      *profile.Profile
		sc     *catalogue.Scenario
		step   int
		want   catalogue.Expect
		judged report.CodeJudgement
		prov   string
		passes map[string]bool // Detail -> row accepted
	}{
		{"reference dialect judges a reference code", ref, req08, 0, refWant, report.CodeJudged, "reference: InvalidRequest",
			map[string]bool{"InvalidRequest": true, "InvalidGrantType": false}},
		{"netsuite dialect records a reference code", ns, req08, 0, refWant, report.CodeRecorded, "reference: InvalidRequest",
			map[string]bool{"InvalidRequest": true, "InvalidGrantType": true, "ClientAuthenticationFailed": true}},
		{"netsuite dialect judges a documented code", ns, seed03, 0, docWant, report.CodeJudged, "documented: InvalidSignature (seed row 3)",
			map[string]bool{"InvalidSignature": true, "MissingKey": false}},
		{"a pin is asserted exactly", pinned, req08, 0, refWant, report.CodePinned, "pinned by the profile",
			map[string]bool{"InvalidGrantType": true, "InvalidRequest": false, "InvalidRefreshToken": false}},
		{"a step pin applies to its step only", stepPin, req08, 0, refWant, report.CodeRecorded, "reference",
			map[string]bool{"InvalidRefreshToken": true}},
		{"a step pin on its step", stepPin, req08, 1, refWant, report.CodePinned, "pinned",
			map[string]bool{"InvalidGrantType": true, "InvalidRefreshToken": false}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, j, prov := codeExpectation(c.p, c.sc, c.step, c.want)
			if j != c.judged || !strings.Contains(prov, c.prov) {
				t.Errorf("judgement %s, provenance %q; want %s, %q", j, prov, c.judged, c.prov)
			}
			for detail, ok := range c.passes {
				if p := rowProblems(row(detail), got); (len(p) == 0) != ok {
					t.Errorf("Detail %s: problems %q, want accepted=%v", detail, p, ok)
				}
			}
			// Recorded or not, the row must say Failure.
			if p := rowProblems(audit.Entry{Detail: string(c.want.Code), Status: codes.StatusSuccess}, got); len(p) == 0 {
				t.Errorf("a Success row was accepted for a failure step")
			}
		})
	}
}

// TestAcceptedAlternatives: a scenario's documented alternatives join the
// step expecting its code (VAR-07: InvalidSignature or InvalidIssuer).
func TestAcceptedAlternatives(t *testing.T) {
	s := scenario(t, "VAR-07")
	p := &profile.Profile{Codes: profile.Codes{Dialect: profile.DialectNetSuite}}
	got, j, prov := codeExpectation(p, s, 0, catalogue.Fail(codes.InvalidSignature, codes.ErrInvalidGrant))
	if j != report.CodeJudged || !strings.Contains(prov, "InvalidIssuer") || !strings.Contains(prov, "why: ") {
		t.Errorf("judgement %s, provenance %q", j, prov)
	}
	for detail, ok := range map[string]bool{"InvalidSignature": true, "InvalidIssuer": true, "MissingKey": false} {
		if p := rowProblems(audit.Entry{Detail: detail, Status: codes.StatusFailure}, got); (len(p) == 0) != ok {
			t.Errorf("Detail %s: problems %q, want accepted=%v", detail, p, ok)
		}
	}
}

func TestApplyDialect(t *testing.T) {
	p := &profile.Profile{}
	if err := applyDialect(p, Config{}); err != nil || p.Codes.Dialect != profile.DialectReference {
		t.Errorf("embedded: %v %q", err, p.Codes.Dialect)
	}
	p = &profile.Profile{}
	if err := applyDialect(p, Config{Codes: CodesNetSuite}); err != nil || p.Codes.Dialect != profile.DialectNetSuite {
		t.Errorf("embedded --codes netsuite: %v %q", err, p.Codes.Dialect)
	}
	p = &profile.Profile{}
	if err := applyDialect(p, Config{ProfilePath: "x.yaml"}); err != nil || p.Codes.Dialect != profile.DialectNetSuite {
		t.Errorf("profile: %v %q", err, p.Codes.Dialect)
	}
	p = &profile.Profile{Codes: profile.Codes{Pins: map[string]string{"REQ-99": "InvalidGrantType"}}}
	if err := applyDialect(p, Config{ProfilePath: "x.yaml"}); err == nil || !strings.Contains(err.Error(), "REQ-99") {
		t.Errorf("unknown pinned scenario: %v", err)
	}
}
