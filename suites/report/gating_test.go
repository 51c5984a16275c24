package report

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2/types"
)

// junitDoc is the subset of JUnit a CI dashboard reads.
type junitDoc struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Errors   int `xml:"errors,attr"`
	Skipped  int `xml:"skipped,attr"`
	Suites   []struct {
		Properties []junitProperty `xml:"properties>property"`
		Cases      []struct {
			Name       string          `xml:"name,attr"`
			Classname  string          `xml:"classname,attr"`
			Properties []junitProperty `xml:"properties>property"`
			Skipped    *junitResult    `xml:"skipped"`
			Failure    *junitResult    `xml:"failure"`
			Error      *junitResult    `xml:"error"`
			SystemOut  string          `xml:"system-out"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func parseJUnit(t *testing.T, b []byte) junitDoc {
	t.Helper()
	var d junitDoc
	if err := xml.Unmarshal(b, &d); err != nil {
		t.Fatalf("the JUnit report does not parse: %v\n%s", err, b)
	}
	if len(d.Suites) != 1 {
		t.Fatalf("%d testsuites, want 1", len(d.Suites))
	}
	return d
}

func prop(ps []junitProperty, name string) string {
	for _, p := range ps {
		if p.Name == name {
			return p.Value
		}
	}
	return ""
}

// TestJUnitOneTestcasePerScenario: one testcase per selected scenario
// named "ID: name", classname the family, properties id/code/level/
// provenance/state; not judged is skipped (never a pass); a warning is a
// pass with a property and system-out; not selected is not written; the
// verdict is a testcase of its own.
func TestJUnitOneTestcasePerScenario(t *testing.T) {
	warn := Warning{Step: "refresh", Clause: "RFC 6749 §5.1 (SHOULD)", Message: "no Pragma: no-cache"}
	c := Build(suite(
		spec("SEED-01", "seed", "core", types.SpecStatePassed, "", &Outcome{Steps: []StepOutcome{{Name: "refresh", Provenance: "seed row 1", Code: CodeJudged}}}),
		spec("SEED-02", "seed", "core", types.SpecStateSkipped, "not judged: no audit source", &Outcome{NotJudged: true, State: StateNotJudged}),
		spec("REQ-01", "request", "core", types.SpecStatePassed, "", &Outcome{Warnings: []Warning{warn}}),
		spec("REQ-02", "request", "core", types.SpecStateSkipped, "", nil),
		spec("REQ-03", "request", "core", types.SpecStateFailed, "HTTP status is 200", &Outcome{}),
		spec("REQ-04", "request", "core", types.SpecStateFailed, "harness error: could not craft", &Outcome{State: StateHarnessError, HarnessError: "could not craft"}),
	))
	b, err := c.JUnit()
	if err != nil {
		t.Fatal(err)
	}
	d := parseJUnit(t, b)
	cases := d.Suites[0].Cases
	names := map[string]int{}
	for i, tc := range cases {
		names[tc.Name] = i
	}
	if _, ok := names["REQ-02: does something"]; ok || len(cases) != 6 {
		t.Fatalf("testcases %v: want the 5 selected scenarios and the verdict, not the unselected REQ-02", names)
	}
	seed1 := cases[names["SEED-01: does something"]]
	if seed1.Classname != "seed" || prop(seed1.Properties, "id") != "SEED-01" || prop(seed1.Properties, "code") != "InvalidSignature" ||
		prop(seed1.Properties, "level") != "core" || prop(seed1.Properties, "provenance") != "seed row 1" || prop(seed1.Properties, "state") != "passed" ||
		seed1.Skipped != nil || seed1.Failure != nil || seed1.Error != nil {
		t.Errorf("SEED-01 testcase = %+v", seed1)
	}
	if nj := cases[names["SEED-02: does something"]]; nj.Skipped == nil || !strings.Contains(nj.Skipped.Message, "not judged") || prop(nj.Properties, "state") != "not_judged" {
		t.Errorf("a not-judged scenario must be skipped with its reason: %+v", nj)
	}
	if w := cases[names["REQ-01: does something"]]; prop(w.Properties, "warnings") != "1" || !strings.Contains(w.SystemOut, "no Pragma") || w.Failure != nil || w.Skipped != nil {
		t.Errorf("a warning must be a pass with a warnings property and system-out: %+v", w)
	}
	if f := cases[names["REQ-03: does something"]]; f.Failure == nil || !strings.Contains(f.Failure.Message, "HTTP status is 200") {
		t.Errorf("REQ-03 must be a failure: %+v", f)
	}
	if e := cases[names["REQ-04: does something"]]; e.Error == nil || e.Failure != nil {
		t.Errorf("a harness error must be a JUnit error, not the target's failure: %+v", e)
	}
	v, ok := names["refreshconf verdict: failure"]
	if !ok || cases[v].Failure == nil || cases[v].Classname != "refreshconf" {
		t.Errorf("the verdict testcase is missing or passes: %v", names)
	}
	if prop(d.Suites[0].Properties, "verdict") != "failure" || d.Tests != 6 || d.Failures != 2 || d.Errors != 1 || d.Skipped != 1 {
		t.Errorf("totals tests %d failures %d errors %d skipped %d, properties %v", d.Tests, d.Failures, d.Errors, d.Skipped, d.Suites[0].Properties)
	}
	for _, tc := range cases {
		if tc.Name == "" || strings.HasSuffix(tc.Name, ": ") {
			t.Errorf("anonymous testcase %+v", tc)
		}
	}
}

// TestJUnitSetUpErrorIsOneNamedTestcase: a failed set-up is one error
// testcase named "refreshconf set-up", not anonymous nodes.
func TestJUnitSetUpErrorIsOneNamedTestcase(t *testing.T) {
	r := suite()
	r.SpecReports[0].State = types.SpecStateFailed
	r.SpecReports[0].Failure.Message = "refreshconf could not start the run: connection refused"
	c := Build(r)
	b, _ := c.JUnit()
	d := parseJUnit(t, b)
	cases := d.Suites[0].Cases
	if len(cases) != 2 || cases[0].Name != "refreshconf set-up" || cases[0].Error == nil || !strings.Contains(cases[0].Error.Message, "connection refused") {
		t.Fatalf("testcases %+v", cases)
	}
	if c.Result != VerdictFailure || cases[1].Failure == nil {
		t.Errorf("verdict %s, verdict testcase %+v", c.Result, cases[1])
	}
}

// TestDryRunJudgesNothing: a dry run (specs passed without an Outcome)
// has no passed scenario, verdict nothing_judged, and a JUnit without a
// passing testcase.
func TestDryRunJudgesNothing(t *testing.T) {
	r := suite(spec("SEED-01", "seed", "core", types.SpecStatePassed, "", nil), spec("SEED-02", "seed", "core", types.SpecStatePassed, "", nil))
	r.SuiteConfig.DryRun = true
	dir := t.TempDir()
	c, err := WriteAll(dir, r, true)
	if err != nil {
		t.Fatal(err)
	}
	if c.Result != VerdictNothingJudged || c.Summary.Passed != 0 || c.Summary.NotSelected != 2 || !strings.Contains(c.VerdictReason, "dry run") {
		t.Errorf("result %s (%s), summary %+v", c.Result, c.VerdictReason, c.Summary)
	}
	y, _ := os.ReadFile(filepath.Join(dir, FileYAML))
	if strings.Contains(string(y), "result: success") {
		t.Error("a dry run's YAML report says result: success")
	}
	b, _ := os.ReadFile(filepath.Join(dir, FileJUnit))
	for _, tc := range parseJUnit(t, b).Suites[0].Cases {
		if tc.Skipped == nil && tc.Failure == nil && tc.Error == nil {
			t.Errorf("a dry run's JUnit passes %q", tc.Name)
		}
	}
}

// TestResponsesOnlyIsPrintedFirst: with the opt-in, a not-judged scenario
// passes, the verdict says "responses only" and every report starts with it.
func TestResponsesOnlyIsPrintedFirst(t *testing.T) {
	r := suite(spec("REQ-01", "request", "core", types.SpecStatePassed, "", &Outcome{NotJudged: true, State: StatePassed, NotJudgedReason: "audit code not judged: no audit source"}))
	info := RunInfo{Target: "no-trail", AuditSource: "none", Gating: GatingResponsesOnly}
	r.SpecReports[0].ReportEntries[0].Value.AsJSON = mustJSON(info)
	c := Build(r)
	if c.Result != VerdictSuccess || !strings.Contains(c.VerdictReason, "responses only") {
		t.Fatalf("result %s (%s), want success, responses only", c.Result, c.VerdictReason)
	}
	y, _ := c.YAML()
	md, _ := c.Markdown()
	j, _ := c.JUnit()
	for name, b := range map[string][]byte{"YAML": y, "Markdown": md} {
		if first, _, _ := strings.Cut(string(b), "\n"); !strings.Contains(first, ResponsesOnlyNotice) {
			t.Errorf("%s first line = %q", name, first)
		}
	}
	if d := parseJUnit(t, j); prop(d.Suites[0].Properties, "gating") != GatingResponsesOnly || !strings.Contains(prop(d.Suites[0].Properties, "verdict_reason"), "responses only") {
		t.Errorf("JUnit properties %v", d.Suites[0].Properties)
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// TestReportFolderHoldsOneRun: writing a run into a folder removes an
// earlier run's files, the JSON included; re-rendering in place keeps the
// JSON it was rendered from.
func TestReportFolderHoldsOneRun(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{FileJUnit, FileJSON, FileYAML} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("an older run"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := suite(spec("SEED-01", "seed", "core", types.SpecStatePassed, "", &Outcome{}))
	if _, err := WriteAll(dir, r, false); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{FileJUnit, FileYAML} {
		if b, _ := os.ReadFile(filepath.Join(dir, f)); string(b) == "an older run" {
			t.Errorf("%s of the older run survived", f)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, FileJSON)); string(b) != "an older run" {
		t.Error("re-rendering in place replaced the JSON it was rendered from")
	}
	if _, err := WriteAll(dir, r, true); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, FileJSON)); string(b) == "an older run" {
		t.Error("the older run's JSON survived a new run")
	}
}

// TestRefusedControlFailsTheRun: a refused positive control makes the
// verdict failure and is the first notice, unless the profile declares
// the control itself a known deviation (then it is printed, not forced).
func TestRefusedControlFailsTheRun(t *testing.T) {
	for _, declared := range []bool{false, true} {
		r := suite(spec("SEED-03", "seed", "core", types.SpecStatePassed, "", &Outcome{}))
		r.SpecReports[0].ReportEntries[0].Value.AsJSON = mustJSON(RunInfo{Target: "t", AuditSource: "http", ControlRefused: "the target refused the positive control REQ-01: HTTP 400 invalid_grant", ControlDeclared: declared})
		c := Build(r)
		if want := map[bool]Verdict{false: VerdictFailure, true: VerdictSuccess}[declared]; c.Result != want {
			t.Errorf("declared %v: verdict %s, want %s", declared, c.Result, want)
		}
		if len(c.Notices) == 0 || !strings.HasPrefix(c.Notices[0], ControlNotice) {
			t.Errorf("declared %v: notices %q", declared, c.Notices)
		}
	}
}
