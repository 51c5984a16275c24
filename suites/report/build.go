package report

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2/types"
)

// Result values, per family and overall.
const (
	Success = "success"
	Partial = "partial"
	Failure = "failure"
)

// Conformance is the conformance report of one run.
type Conformance struct {
	APIVersion string    `json:"apiVersion" yaml:"apiVersion"`
	Kind       string    `json:"kind" yaml:"kind"`
	Date       time.Time `json:"date" yaml:"date"`
	Duration   string    `json:"duration" yaml:"duration"`
	// Notices are what a reader must know before the result: a run
	// without an audit source (nothing about audit codes was judged), audit
	// rows that no classify rule matched. Reports print them first.
	Notices []string `json:"notices,omitempty" yaml:"notices,omitempty"`
	Run     RunInfo  `json:"run" yaml:"run"`
	// Result is success, partial (something was not tested) or failure.
	Result   string         `json:"result" yaml:"result"`
	Summary  Counts         `json:"summary" yaml:"summary"`
	Families []FamilyResult `json:"families" yaml:"families"`
	// Failed, Skipped and Unsupported list scenarios by ID.
	Failed      []ScenarioResult `json:"failed,omitempty" yaml:"failed,omitempty"`
	Skipped     []ScenarioResult `json:"skipped,omitempty" yaml:"skipped,omitempty"`
	Unsupported []ScenarioResult `json:"unsupported,omitempty" yaml:"unsupported,omitempty"`
	NotJudged   []ScenarioResult `json:"not_judged,omitempty" yaml:"not_judged,omitempty"`
	// Recorded lists the steps whose audit code was recorded, not judged
	// (netsuite code dialect), with the code the target wrote.
	Recorded []CodeRecord `json:"codes_recorded,omitempty" yaml:"codes_recorded,omitempty"`
	// HarnessErrors are failures of the run itself (set-up, reports).
	HarnessErrors []string `json:"harness_errors,omitempty" yaml:"harness_errors,omitempty"`
	// Scenarios is every scenario of the run, whatever its state, in
	// family and ID order (the HTML report lists them all).
	Scenarios []ScenarioResult `json:"-" yaml:"-"`
}

// Counts counts scenarios by outcome.
type Counts struct {
	Total       int `json:"total" yaml:"total"`
	Passed      int `json:"passed" yaml:"passed"`
	Failed      int `json:"failed" yaml:"failed"`
	Skipped     int `json:"skipped" yaml:"skipped"`
	Unsupported int `json:"unsupported" yaml:"unsupported"`
	NotJudged   int `json:"not_judged" yaml:"not_judged"`
}

// FamilyResult is one family's result.
type FamilyResult struct {
	Family   string `json:"family" yaml:"family"`
	Result   string `json:"result" yaml:"result"`
	Core     Counts `json:"core" yaml:"core"`
	Extended Counts `json:"extended" yaml:"extended"`
}

// ScenarioResult is one scenario's entry in the report.
type ScenarioResult struct {
	ID     string        `json:"id" yaml:"id"`
	Name   string        `json:"name" yaml:"name"`
	Family string        `json:"family" yaml:"family"`
	Level  string        `json:"level" yaml:"level"`
	Code   string        `json:"code" yaml:"code"`
	State  string        `json:"state" yaml:"state"`
	Reason string        `json:"reason,omitempty" yaml:"reason,omitempty"`
	Steps  []StepOutcome `json:"steps,omitempty" yaml:"steps,omitempty"`
	// Transcript is the redacted exchange(s), for failures.
	Transcript string `json:"transcript,omitempty" yaml:"transcript,omitempty"`
	// Warnings are the scenario's SHOULD-level findings.
	Warnings []Warning `json:"warnings,omitempty" yaml:"warnings,omitempty"`
	// Deviation is the reason of a declared known deviation ("" for none).
	Deviation string `json:"deviation,omitempty" yaml:"deviation,omitempty"`
	// Exchanges are the scenario's redacted exchanges, one per step, in
	// the order they were sent (every state; the HTML report shows them).
	Exchanges []Exchange `json:"-" yaml:"-"`
}

// Exchange is one step's redacted request and response.
type Exchange struct {
	// Step is the step's name.
	Step string
	// Transcript is the redacted request and response.
	Transcript string
}

// CodeRecord is one step whose audit code was recorded, not judged.
type CodeRecord struct {
	ID         string `json:"id" yaml:"id"`
	Step       string `json:"step" yaml:"step"`
	Expected   string `json:"expected" yaml:"expected"`
	Wrote      string `json:"wrote" yaml:"wrote"`
	Provenance string `json:"provenance" yaml:"provenance"`
}

// Build derives the conformance report from a Ginkgo report.
func Build(r types.Report) *Conformance {
	c := &Conformance{
		APIVersion: "refreshconf.dev/v1", Kind: "ConformanceReport",
		Date: r.StartTime.UTC(), Duration: r.RunTime.Round(time.Millisecond).String(),
	}
	fams := map[string]*FamilyResult{}
	var order, unclassified, recorded []string
	for _, sr := range r.SpecReports {
		if sr.LeafNodeType != types.NodeTypeIt {
			if sr.State.Is(types.SpecStateFailureStates) {
				c.HarnessErrors = append(c.HarnessErrors, fmt.Sprintf("%s: %s", sr.LeafNodeType, sr.Failure.Message))
			}
			for _, e := range sr.ReportEntries {
				if e.Name == RunEntry {
					_ = json.Unmarshal(entryJSON(e), &c.Run)
				}
			}
			continue
		}
		labels := sr.Labels()
		id, fam, level, code := label(labels, "id:"), label(labels, "family:"), label(labels, "level:"), label(labels, "code:")
		if id == "" {
			continue // not a catalogue scenario
		}
		f := fams[fam]
		if f == nil {
			f = &FamilyResult{Family: fam}
			fams[fam] = f
			order = append(order, fam)
		}
		counts := &f.Core
		if level == "extended" {
			counts = &f.Extended
		}
		sc := ScenarioResult{ID: id, Name: strings.TrimPrefix(sr.LeafNodeText, id+" "), Family: fam, Level: level, Code: code, State: sr.State.String()}
		var out Outcome
		hasOutcome := false
		for _, e := range sr.ReportEntries {
			switch {
			case e.Name == OutcomeEntry:
				hasOutcome = json.Unmarshal(entryJSON(e), &out) == nil
			case strings.HasPrefix(e.Name, "exchange: "):
				step := strings.TrimPrefix(e.Name, "exchange: ")
				sc.Transcript += "### " + step + "\n" + e.StringRepresentation() + "\n"
				sc.Exchanges = append(sc.Exchanges, Exchange{Step: step, Transcript: e.StringRepresentation()})
			}
		}
		sc.Steps, sc.Warnings, sc.Deviation = out.Steps, out.Warnings, out.Deviation
		sc.State = string(scenarioState(sr, out, hasOutcome))
		for _, st := range out.Steps {
			if st.Code == CodeRecorded {
				c.Recorded = append(c.Recorded, CodeRecord{ID: id, Step: st.Name, Expected: st.Expected, Wrote: st.AuditCodes, Provenance: st.Provenance})
			}
		}
		if slices.ContainsFunc(out.Steps, func(st StepOutcome) bool { return st.Code == CodeRecorded }) {
			recorded = append(recorded, id)
		}
		for _, st := range out.Steps {
			if strings.Contains(st.AuditCodes, UnclassifiedMark) {
				unclassified = append(unclassified, id)
				break
			}
		}
		counts.Total++
		c.Summary.Total++
		switch {
		case sr.State == types.SpecStatePassed && out.NotJudged:
			counts.NotJudged++
			c.Summary.NotJudged++
			sc.Reason = "audit code not judged: no audit source"
			if out.NotJudgedReason != "" {
				sc.Reason = out.NotJudgedReason
			}
			sc.Transcript = ""
			c.NotJudged = append(c.NotJudged, sc)
		case sr.State == types.SpecStatePassed:
			counts.Passed++
			c.Summary.Passed++
		case sr.State == types.SpecStateSkipped && out.Unsupported != "":
			counts.Unsupported++
			c.Summary.Unsupported++
			sc.Reason, sc.Transcript = out.Unsupported, ""
			c.Unsupported = append(c.Unsupported, sc)
		case sr.State == types.SpecStateSkipped || sr.State == types.SpecStatePending:
			counts.Skipped++
			c.Summary.Skipped++
			sc.Reason, sc.Transcript = sr.Failure.Message, ""
			c.Skipped = append(c.Skipped, sc)
		default:
			counts.Failed++
			c.Summary.Failed++
			sc.Reason = sr.Failure.Message
			c.Failed = append(c.Failed, sc)
		}
		if sc.Reason == "" && out.HarnessError != "" {
			sc.Reason = out.HarnessError
		}
		c.Scenarios = append(c.Scenarios, sc)
	}
	sortScenarios(c.Scenarios)
	c.Result = Success
	for _, name := range familyOrder(order) {
		f := fams[name]
		f.Result = familyResult(f)
		c.Families = append(c.Families, *f)
		c.Result = worst(c.Result, f.Result)
	}
	if len(c.HarnessErrors) > 0 || c.Summary.Total == 0 {
		c.Result = Failure
	}
	for _, l := range [][]ScenarioResult{c.Failed, c.Skipped, c.Unsupported, c.NotJudged} {
		sort.Slice(l, func(i, j int) bool { return l[i].ID < l[j].ID })
	}
	c.Notices = append(notices(c, unclassified), codeNotices(c.Run, recorded)...)
	return c
}

// UnclassifiedMark is the Detail the audit package gives a row that no
// classify rule matched (audit.Unclassified).
const UnclassifiedMark = "Unclassified"

// NoAuditNotice starts the notice of a run without an audit source.
const NoAuditNotice = "NOT JUDGED: no audit source"

// notices lists what a reader must know first.
func notices(c *Conformance, unclassified []string) []string {
	var out []string
	if c.Run.AuditSource == "none" {
		out = append(out, fmt.Sprintf("%s: the profile has audit.source none (or no audit section), so no audit code was checked; %d scenario(s) passed their response checks and are reported as not judged, never as passed", NoAuditNotice, c.Summary.NotJudged))
	}
	if len(unclassified) > 0 {
		sort.Strings(unclassified)
		out = append(out, fmt.Sprintf("UNCLASSIFIED: %d scenario(s) left audit rows that no audit.classify rule matched (%s): their reasons are shown under Failed scenarios; add a rule for each", len(unclassified), strings.Join(unclassified, ", ")))
	}
	return out
}

// codeNotices says how audit codes were judged: every pinned code, and the
// scenarios whose code was recorded, not judged (netsuite dialect).
func codeNotices(run RunInfo, recorded []string) []string {
	var out []string
	if len(run.Pins) > 0 {
		out = append(out, "PINNED CODES (codes.pins, asserted exactly): "+strings.Join(run.Pins, "; "))
	}
	if len(recorded) > 0 {
		sort.Strings(recorded)
		out = append(out, fmt.Sprintf("CODES RECORDED, NOT JUDGED (code dialect %s): %d scenario(s) expect a code only the reference target defines (NetSuite documents none for the situation); each row was judged (exactly one, Status Failure, no secret) and the code the target wrote is shown with the step: %s", run.Dialect, len(recorded), strings.Join(recorded, ", ")))
	}
	return out
}

// familyResult: failure if anything failed; partial if anything was
// skipped or not judged; success otherwise. Unsupported extended
// scenarios do not count against a family.
func familyResult(f *FamilyResult) string {
	switch {
	case f.Core.Failed+f.Extended.Failed > 0:
		return Failure
	case f.Core.Skipped+f.Extended.Skipped+f.Core.NotJudged+f.Extended.NotJudged > 0:
		return Partial
	}
	return Success
}

func worst(a, b string) string {
	rank := map[string]int{Success: 0, Partial: 1, Failure: 2}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// canonical family order (matches catalogue.Families).
var families = []string{"seed", "variant", "extended", "token", "request", "rotation", "audit"}

func familyOrder(seen []string) []string {
	out := make([]string, 0, len(seen))
	for _, f := range families {
		if slices.Contains(seen, f) {
			out = append(out, f)
		}
	}
	for _, f := range seen {
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

func label(labels []string, prefix string) string {
	for _, l := range labels {
		if strings.HasPrefix(l, prefix) {
			return strings.TrimPrefix(l, prefix)
		}
	}
	return ""
}

// entryJSON returns a report entry's value as JSON: AsJSON once the report
// was serialised, the raw value while still in process.
func entryJSON(e types.ReportEntry) []byte {
	if e.Value.AsJSON != "" {
		return []byte(e.Value.AsJSON)
	}
	b, err := json.Marshal(e.Value.GetRawValue())
	if err != nil {
		return nil
	}
	return b
}
