package report

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"
)

// spec builds a Ginkgo spec report for a catalogue scenario.
func spec(id, family, level string, state types.SpecState, msg string, out *Outcome) types.SpecReport {
	sr := types.SpecReport{
		LeafNodeType:   types.NodeTypeIt,
		LeafNodeText:   id + " does something",
		LeafNodeLabels: []string{"id:" + id, "family:" + family, "level:" + level, "code:InvalidSignature"},
		State:          state,
		Failure:        types.Failure{Message: msg},
	}
	if out != nil {
		b, _ := json.Marshal(out)
		sr.ReportEntries = append(sr.ReportEntries, types.ReportEntry{Name: OutcomeEntry, Value: types.WrapEntryValue(json.RawMessage(b))})
		sr.ReportEntries[0].Value.AsJSON = string(b)
	}
	return sr
}

func suite(specs ...types.SpecReport) types.Report {
	setup := types.SpecReport{LeafNodeType: types.NodeTypeSynchronizedBeforeSuite, State: types.SpecStatePassed}
	info, _ := json.Marshal(RunInfo{Target: "reference <target>", Mode: "embedded", AuditSource: "http", HarnessVersion: "test"})
	setup.ReportEntries = []types.ReportEntry{{Name: RunEntry, Value: types.ReportEntryValue{AsJSON: string(info)}}}
	return types.Report{StartTime: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC), RunTime: 3 * time.Second, SpecReports: append([]types.SpecReport{setup}, specs...)}
}

func TestFamilyResults(t *testing.T) {
	cases := []struct {
		name       string
		specs      []types.SpecReport
		wantResult Verdict
		wantFamily Verdict
	}{
		{"all passed", []types.SpecReport{spec("SEED-01", "seed", "core", types.SpecStatePassed, "", &Outcome{})}, Success, Success},
		{"a failure", []types.SpecReport{spec("SEED-01", "seed", "core", types.SpecStatePassed, "", &Outcome{}), spec("SEED-02", "seed", "core", types.SpecStateFailed, "Detail is X", &Outcome{})}, Failure, Failure},
		{"a core skip", []types.SpecReport{spec("SEED-01", "seed", "core", types.SpecStateSkipped, "missing fixture", &Outcome{}), spec("SEED-02", "seed", "core", types.SpecStatePassed, "", &Outcome{})}, Partial, Partial},
		{"only skips", []types.SpecReport{spec("SEED-01", "seed", "core", types.SpecStateSkipped, "missing fixture", &Outcome{})}, VerdictNothingJudged, VerdictNothingJudged},
		{"an extended unsupported", []types.SpecReport{spec("EXT-01", "extended", "extended", types.SpecStateSkipped, "not supported", &Outcome{Unsupported: "not supported: features.extended_codes: false"}), spec("EXT-02", "extended", "extended", types.SpecStatePassed, "", &Outcome{})}, Success, Success},
		{"not judged", []types.SpecReport{spec("REQ-01", "request", "core", types.SpecStatePassed, "", &Outcome{NotJudged: true})}, Partial, Partial},
		{"an internal timeout", []types.SpecReport{spec("REQ-01", "request", "core", types.SpecStateTimedout, "timed out", &Outcome{})}, VerdictIncomplete, VerdictIncomplete},
		{"a harness error", []types.SpecReport{spec("REQ-01", "request", "core", types.SpecStateFailed, "could not craft", &Outcome{HarnessError: "the forge could not craft the token"}), spec("REQ-02", "request", "core", types.SpecStatePassed, "", &Outcome{})}, VerdictIncomplete, VerdictIncomplete},
		{"a harness error and a failure", []types.SpecReport{spec("REQ-01", "request", "core", types.SpecStateFailed, "could not craft", &Outcome{State: StateHarnessError}), spec("REQ-02", "request", "core", types.SpecStateFailed, "HTTP 200", &Outcome{})}, Failure, Failure},
		{"a panic", []types.SpecReport{spec("REQ-01", "request", "core", types.SpecStatePanicked, "nil map", &Outcome{})}, VerdictIncomplete, VerdictIncomplete},
		{"a dry run (no outcome) is not selected", []types.SpecReport{spec("REQ-01", "request", "core", types.SpecStatePassed, "", nil)}, VerdictNothingJudged, ""},
		{"a filtered-out spec is not selected", []types.SpecReport{spec("REQ-01", "request", "core", types.SpecStateSkipped, "", nil), spec("REQ-02", "request", "core", types.SpecStatePassed, "", &Outcome{})}, Success, Success},
		{"not judged, responses only", []types.SpecReport{spec("REQ-01", "request", "core", types.SpecStatePassed, "", &Outcome{NotJudged: true, State: StatePassed})}, Success, Success},
		{"not judged, skipped in Ginkgo", []types.SpecReport{spec("REQ-01", "request", "core", types.SpecStateSkipped, "not judged", &Outcome{NotJudged: true, State: StateNotJudged})}, Partial, Partial},
		{"a warning", []types.SpecReport{spec("REQ-01", "request", "core", types.SpecStatePassed, "", &Outcome{Warnings: []Warning{{Clause: "RFC 6749 §5.1 (SHOULD)", Message: "no Pragma"}}})}, Success, Success},
		{"a known deviation", []types.SpecReport{spec("REQ-01", "request", "core", types.SpecStateFailed, "HTTP 200", &Outcome{Deviation: "ticket 12"}), spec("REQ-02", "request", "core", types.SpecStatePassed, "", &Outcome{})}, Partial, Partial},
		{"a stale deviation", []types.SpecReport{spec("REQ-01", "request", "core", types.SpecStatePassed, "", &Outcome{Deviation: "ticket 12"})}, Failure, Failure},
		{"an interrupted spec", []types.SpecReport{spec("REQ-01", "request", "core", types.SpecStateInterrupted, "interrupted", &Outcome{}), spec("REQ-02", "request", "core", types.SpecStatePassed, "", &Outcome{})}, VerdictInterrupted, VerdictInterrupted},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := Build(suite(c.specs...))
			if r.Result != c.wantResult {
				t.Errorf("result %s, want %s", r.Result, c.wantResult)
			}
			if c.wantFamily == "" && len(r.Families) != 0 {
				t.Errorf("families %+v, want none (nothing selected)", r.Families)
			} else if c.wantFamily != "" && (len(r.Families) != 1 || r.Families[0].Result != c.wantFamily) {
				t.Errorf("families %+v, want one with result %s", r.Families, c.wantFamily)
			}
			if r.Run.Target != "reference <target>" {
				t.Errorf("run info not read back: %+v", r.Run)
			}
		})
	}
}

func TestHarnessErrorFailsTheRun(t *testing.T) {
	r := suite(spec("SEED-01", "seed", "core", types.SpecStatePassed, "", nil))
	r.SpecReports[0].State = types.SpecStateAborted
	r.SpecReports[0].Failure.Message = "refreshconf could not start the run: connection refused"
	c := Build(r)
	if c.Result != Failure || len(c.HarnessErrors) != 1 {
		t.Errorf("result %s, harness errors %v; want failure with one error", c.Result, c.HarnessErrors)
	}
}

func TestEmptyRunJudgesNothing(t *testing.T) {
	if c := Build(suite()); c.Result != VerdictNothingJudged {
		t.Errorf("a run with no scenario has result %s, want nothing_judged", c.Result)
	}
}

func TestWriteAllRendersEscapedReports(t *testing.T) {
	dir := t.TempDir()
	r := suite(spec("SEED-02", "seed", "core", types.SpecStateFailed, "Detail is <script>alert(1)</script>", &Outcome{Steps: []StepOutcome{{Name: "refresh", Expected: "EntityOrRoleDisabled (error invalid_grant)", HTTPStatus: 200, AuditCodes: "(Success)"}}}))
	c, err := WriteAll(dir, r, true)
	if err != nil {
		t.Fatal(err)
	}
	if c.Result != Failure || len(c.Failed) != 1 || c.Failed[0].ID != "SEED-02" {
		t.Fatalf("report: %+v", c)
	}
	for _, f := range []string{FileYAML, FileMarkdown, FileHTML, FileJUnit, FileJSON} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s not written: %v", f, err)
		}
	}
	html, _ := os.ReadFile(filepath.Join(dir, FileHTML))
	if strings.Contains(string(html), "<script>alert") {
		t.Error("the HTML report does not escape failure messages")
	}
	if !strings.Contains(string(html), "reference &lt;target&gt;") || !strings.Contains(string(html), "SEED-02") {
		t.Error("the HTML report lacks the target or the failed scenario")
	}
	y, _ := os.ReadFile(filepath.Join(dir, FileYAML))
	for _, want := range []string{"result: failure", "id: SEED-02", "kind: ConformanceReport"} {
		if !strings.Contains(string(y), want) {
			t.Errorf("YAML report lacks %q:\n%s", want, y)
		}
	}
	md, _ := os.ReadFile(filepath.Join(dir, FileMarkdown))
	if !strings.Contains(string(md), "| SEED-02 |") || !strings.Contains(string(md), "HTTP 200") {
		t.Errorf("Markdown report lacks the failed row:\n%s", md)
	}
}
