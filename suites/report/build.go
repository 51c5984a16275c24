package report

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2/types"
)

// Result values, per family and overall (the verdicts of outcome.go; kept
// under their old names for callers that compare a Result).
const (
	Success = VerdictSuccess
	Partial = VerdictPartial
	Failure = VerdictFailure
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
	// Result is the run's verdict (success, partial, failure, incomplete,
	// interrupted, nothing_judged): every channel reports this one.
	Result Verdict `json:"result" yaml:"result"`
	// VerdictReason says in one line why the run has its verdict.
	VerdictReason string `json:"verdict_reason" yaml:"verdict_reason"`
	// Selection names what the run selected: "" for the whole catalogue,
	// else the label filter (or focus) and how many it left out.
	Selection string         `json:"selection,omitempty" yaml:"selection,omitempty"`
	Summary   Counts         `json:"summary" yaml:"summary"`
	Families  []FamilyResult `json:"families" yaml:"families"`
	// Scenarios is every scenario of the catalogue in catalogue order,
	// each with its state (not-selected ones too, with only ID and name).
	Scenarios []ScenarioResult `json:"scenarios,omitempty" yaml:"scenarios,omitempty"`
	// Failed, Skipped, ... list scenarios by ID, one list per state.
	Failed          []ScenarioResult `json:"failed,omitempty" yaml:"failed,omitempty"`
	StaleDeviations []ScenarioResult `json:"stale_deviations,omitempty" yaml:"stale_deviations,omitempty"`
	// Errored lists the scenarios in state harness_error.
	Errored         []ScenarioResult `json:"harness_errored,omitempty" yaml:"harness_errored,omitempty"`
	Interrupted     []ScenarioResult `json:"interrupted,omitempty" yaml:"interrupted,omitempty"`
	KnownDeviations []ScenarioResult `json:"known_deviations,omitempty" yaml:"known_deviations,omitempty"`
	NotJudged       []ScenarioResult `json:"not_judged,omitempty" yaml:"not_judged,omitempty"`
	Skipped         []ScenarioResult `json:"skipped,omitempty" yaml:"skipped,omitempty"`
	Unsupported     []ScenarioResult `json:"unsupported,omitempty" yaml:"unsupported,omitempty"`
	Warnings        []ScenarioResult `json:"warnings,omitempty" yaml:"warnings,omitempty"`
	// NotSelected lists the IDs a label filter or focus left out.
	NotSelected []string `json:"not_selected,omitempty" yaml:"not_selected,omitempty"`
	// Recorded lists the steps whose audit code was recorded, not judged
	// (netsuite code dialect), with the code the target wrote.
	Recorded []CodeRecord `json:"codes_recorded,omitempty" yaml:"codes_recorded,omitempty"`
	// HarnessErrors are failures of the run itself (set-up, reports).
	HarnessErrors []string `json:"harness_errors,omitempty" yaml:"harness_errors,omitempty"`
}

// Counts counts scenarios by state. Total counts the selected scenarios
// (every state but not_selected).
type Counts struct {
	Total          int `json:"total" yaml:"total"`
	Passed         int `json:"passed" yaml:"passed"`
	Warning        int `json:"warning" yaml:"warning"`
	Failed         int `json:"failed" yaml:"failed"`
	KnownDeviation int `json:"known_deviation" yaml:"known_deviation"`
	StaleDeviation int `json:"stale_deviation" yaml:"stale_deviation"`
	NotJudged      int `json:"not_judged" yaml:"not_judged"`
	Skipped        int `json:"skipped" yaml:"skipped"`
	Unsupported    int `json:"unsupported" yaml:"unsupported"`
	HarnessError   int `json:"harness_error" yaml:"harness_error"`
	Interrupted    int `json:"interrupted" yaml:"interrupted"`
	NotSelected    int `json:"not_selected" yaml:"not_selected"`
}

// Of returns the count of state s.
func (c Counts) Of(s State) int {
	switch s {
	case StatePassed:
		return c.Passed
	case StateWarning:
		return c.Warning
	case StateFailed:
		return c.Failed
	case StateKnownDeviation:
		return c.KnownDeviation
	case StateStaleDeviation:
		return c.StaleDeviation
	case StateNotJudged:
		return c.NotJudged
	case StateSkipped:
		return c.Skipped
	case StateUnsupported:
		return c.Unsupported
	case StateHarnessError:
		return c.HarnessError
	case StateInterrupted:
		return c.Interrupted
	case StateNotSelected:
		return c.NotSelected
	}
	return 0
}

// add counts one scenario in state s.
func (c *Counts) add(s State) {
	if s != StateNotSelected {
		c.Total++
	}
	for _, f := range []struct {
		s State
		n *int
	}{
		{StatePassed, &c.Passed}, {StateWarning, &c.Warning}, {StateFailed, &c.Failed},
		{StateKnownDeviation, &c.KnownDeviation}, {StateStaleDeviation, &c.StaleDeviation},
		{StateNotJudged, &c.NotJudged}, {StateSkipped, &c.Skipped}, {StateUnsupported, &c.Unsupported},
		{StateHarnessError, &c.HarnessError}, {StateInterrupted, &c.Interrupted}, {StateNotSelected, &c.NotSelected},
	} {
		if f.s == s {
			*f.n++
		}
	}
}

// plus returns the sum of a and b.
func (c Counts) plus(b Counts) Counts {
	return Counts{
		Total: c.Total + b.Total, Passed: c.Passed + b.Passed, Warning: c.Warning + b.Warning, Failed: c.Failed + b.Failed,
		KnownDeviation: c.KnownDeviation + b.KnownDeviation, StaleDeviation: c.StaleDeviation + b.StaleDeviation,
		NotJudged: c.NotJudged + b.NotJudged, Skipped: c.Skipped + b.Skipped, Unsupported: c.Unsupported + b.Unsupported,
		HarnessError: c.HarnessError + b.HarnessError, Interrupted: c.Interrupted + b.Interrupted, NotSelected: c.NotSelected + b.NotSelected,
	}
}

// FamilyResult is one family's result.
type FamilyResult struct {
	Family   string  `json:"family" yaml:"family"`
	Result   Verdict `json:"result" yaml:"result"`
	Core     Counts  `json:"core" yaml:"core"`
	Extended Counts  `json:"extended" yaml:"extended"`
}

// ScenarioResult is one scenario's entry in the report.
type ScenarioResult struct {
	ID     string `json:"id" yaml:"id"`
	Name   string `json:"name" yaml:"name"`
	Family string `json:"family" yaml:"family"`
	Level  string `json:"level" yaml:"level"`
	Code   string `json:"code" yaml:"code"`
	State  State  `json:"state" yaml:"state"`
	Reason string `json:"reason,omitempty" yaml:"reason,omitempty"`
	// Deviation is the reason of the known deviation declared for it.
	Deviation string `json:"deviation,omitempty" yaml:"deviation,omitempty"`
	// Warnings are its SHOULD-level findings.
	Warnings []Warning     `json:"warnings,omitempty" yaml:"warnings,omitempty"`
	Steps    []StepOutcome `json:"steps,omitempty" yaml:"steps,omitempty"`
	// Seconds is how long its spec ran.
	Seconds float64 `json:"seconds,omitempty" yaml:"seconds,omitempty"`
	// Transcript is the redacted exchange(s), for failures.
	Transcript string `json:"transcript,omitempty" yaml:"transcript,omitempty"`
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

// Provenance returns where the scenario's expected code comes from (the
// first step that says), or "".
func (s ScenarioResult) Provenance() string {
	for _, st := range s.Steps {
		if st.Provenance != "" {
			return st.Provenance
		}
	}
	return ""
}

// Build derives the conformance report from a Ginkgo report. Each
// scenario's state comes from its Outcome (Outcome.State wins when set)
// and its Ginkgo state; a spec without an Outcome was not run (a label
// filter, a focus, a dry run) and is never passed.
func Build(r types.Report) *Conformance {
	c := &Conformance{
		APIVersion: "refreshconf.dev/v1", Kind: "ConformanceReport",
		Date: r.StartTime.UTC(), Duration: r.RunTime.Round(time.Millisecond).String(),
	}
	sel := newSelection(r.SuiteConfig)
	interrupted := suiteInterrupted(r)
	fams := map[string]*FamilyResult{}
	var order, unclassified, recorded, targetErrors []string
	for _, sr := range r.SpecReports {
		if sr.LeafNodeType != types.NodeTypeIt {
			if sr.State.Is(types.SpecStateFailureStates) {
				c.HarnessErrors = append(c.HarnessErrors, Clean(fmt.Sprintf("%s: %s", sr.LeafNodeType, sr.Failure.Message)))
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
		sc := ScenarioResult{ID: id, Name: strings.TrimPrefix(sr.LeafNodeText, id+" "), Family: fam, Level: level, Code: code, Seconds: sr.RunTime.Round(time.Millisecond).Seconds()}
		var out Outcome
		has := false
		for _, e := range sr.ReportEntries {
			switch {
			case e.Name == OutcomeEntry:
				has = json.Unmarshal(entryJSON(e), &out) == nil
			case strings.HasPrefix(e.Name, "exchange: "):
				step := strings.TrimPrefix(e.Name, "exchange: ")
				sc.Transcript += "### " + step + "\n" + e.StringRepresentation() + "\n"
				sc.Exchanges = append(sc.Exchanges, Exchange{Step: step, Transcript: e.StringRepresentation()})
			}
		}
		sc.State, sc.Reason = scenarioState(sr, out, has, interrupted && sel.matches(sr))
		sc.Steps, sc.Warnings, sc.Deviation = out.Steps, out.Warnings, out.Deviation
		if sc.State == StateNotSelected {
			sc = ScenarioResult{ID: id, Name: sc.Name, Family: fam, Level: level, Code: code, State: StateNotSelected}
		}
		if sc.State != StateFailed && sc.State != StateStaleDeviation && sc.State != StateHarnessError && sc.State != StateKnownDeviation {
			sc.Transcript = ""
		}
		sc.clean()
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
		for _, st := range out.Steps {
			if st.HTTPStatus >= 500 && st.HTTPStatus <= 599 || strings.Contains(st.AuditCodes, TargetErrorMark) {
				targetErrors = append(targetErrors, id)
				break
			}
		}
		counts.add(sc.State)
		c.Summary.add(sc.State)
		c.Scenarios = append(c.Scenarios, sc)
		if l := c.list(sc.State); l != nil {
			*l = append(*l, sc)
		}
		if sc.State == StateNotSelected {
			c.NotSelected = append(c.NotSelected, id)
		}
	}
	for _, name := range familyOrder(order) {
		f := fams[name]
		if f.Core.Total+f.Extended.Total == 0 {
			continue // every scenario of it was left out by the selection
		}
		f.Result, _ = verdictOf(f.Core.plus(f.Extended), nil, false, false)
		c.Families = append(c.Families, *f)
	}
	sortScenarios(c.Scenarios)
	for _, l := range []*[]ScenarioResult{&c.Failed, &c.StaleDeviations, &c.Errored, &c.Interrupted, &c.KnownDeviations, &c.NotJudged, &c.Skipped, &c.Unsupported, &c.Warnings} {
		sort.Slice(*l, func(i, j int) bool { return (*l)[i].ID < (*l)[j].ID })
	}
	if c.Run.LabelFilter == "" {
		c.Run.LabelFilter = r.SuiteConfig.LabelFilter
	}
	c.Selection = sel.describe(c.Summary.NotSelected, r.SuiteConfig.DryRun)
	c.Result, c.VerdictReason = c.verdict(r.SuiteConfig.DryRun, interrupted)
	c.Notices = append(notices(c, unclassified, targetErrors), codeNotices(c.Run, recorded)...)
	return c
}

// list returns the report's list of the scenarios in state s (nil for
// passed and not_selected, which are not listed apart).
func (c *Conformance) list(s State) *[]ScenarioResult {
	switch s {
	case StateFailed:
		return &c.Failed
	case StateStaleDeviation:
		return &c.StaleDeviations
	case StateHarnessError:
		return &c.Errored
	case StateInterrupted:
		return &c.Interrupted
	case StateKnownDeviation:
		return &c.KnownDeviations
	case StateNotJudged:
		return &c.NotJudged
	case StateSkipped:
		return &c.Skipped
	case StateUnsupported:
		return &c.Unsupported
	case StateWarning:
		return &c.Warnings
	}
	return nil
}

// scenarioState derives a scenario's state and reason. has says whether
// the spec attached an Outcome (out); interrupted says the run was
// interrupted and the spec was selected.
func scenarioState(sr types.SpecReport, out Outcome, has, interrupted bool) (State, string) {
	msg := sr.Failure.Message
	if !has {
		switch {
		case sr.State.Is(types.SpecStateInterrupted) || (interrupted && sr.State.Is(types.SpecStateSkipped|types.SpecStateAborted)):
			return StateInterrupted, "the run was interrupted before the scenario was judged"
		case sr.State.Is(types.SpecStateFailureStates):
			return StateHarnessError, "the scenario could not run: " + msg
		default:
			// Passed without an Outcome is a dry run; skipped or pending
			// without one is a label filter or focus: nothing was sent.
			return StateNotSelected, ""
		}
	}
	st := out.State
	switch {
	case sr.State.Is(types.SpecStateInterrupted):
		return StateInterrupted, "the run was interrupted before the scenario was judged: " + msg
	case st == StateHarnessError || (st == "" && out.HarnessError != ""):
		return StateHarnessError, firstNonEmpty(out.HarnessError, msg)
	case st == "" && sr.State.Is(types.SpecStatePanicked):
		return StateHarnessError, "the harness panicked: " + msg
	case st == "" && sr.State.Is(types.SpecStateTimedout):
		return StateHarnessError, "internal timeout: " + msg
	case st == "" && sr.State.Is(types.SpecStateAborted):
		return StateHarnessError, "aborted: " + msg
	}
	if st == "" {
		switch {
		case sr.State.Is(types.SpecStatePassed) && out.NotJudged:
			st = StateNotJudged
		case sr.State.Is(types.SpecStatePassed) && len(out.Warnings) > 0:
			st = StateWarning
		case sr.State.Is(types.SpecStatePassed):
			st = StatePassed
		case sr.State.Is(types.SpecStateSkipped) && out.Unsupported != "":
			st = StateUnsupported
		case sr.State.Is(types.SpecStateSkipped | types.SpecStatePending):
			st = StateSkipped
		default:
			st = StateFailed
		}
	}
	if out.Deviation != "" {
		switch st {
		case StateFailed:
			return StateKnownDeviation, "known deviation (" + out.Deviation + "): " + msg
		case StatePassed, StateWarning:
			return StateStaleDeviation, "declared as a known deviation (" + out.Deviation + ") but it passed: remove it from known_deviations"
		}
	}
	switch st {
	case StateNotJudged:
		return st, firstNonEmpty(out.NotJudgedReason, "audit code not judged: no audit source")
	case StateUnsupported:
		return st, firstNonEmpty(out.Unsupported, msg)
	case StatePassed:
		if out.NotJudged {
			return st, "responses only: " + firstNonEmpty(out.NotJudgedReason, "audit code not judged: no audit source")
		}
		return st, ""
	case StateWarning:
		return st, ""
	}
	return st, msg
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// clean strips control characters from every target-derived string.
func (s *ScenarioResult) clean() {
	s.Name, s.Reason, s.Transcript, s.Deviation = Clean(s.Name), Clean(s.Reason), Clean(s.Transcript), Clean(s.Deviation)
	if s.Steps != nil {
		steps := make([]StepOutcome, len(s.Steps))
		for i, st := range s.Steps {
			st.Name, st.Expected, st.Error, st.AuditCodes, st.Marker, st.Provenance = Clean(st.Name), Clean(st.Expected), Clean(st.Error), Clean(st.AuditCodes), Clean(st.Marker), Clean(st.Provenance)
			steps[i] = st
		}
		s.Steps = steps
	}
	if s.Warnings != nil {
		ws := make([]Warning, len(s.Warnings))
		for i, w := range s.Warnings {
			ws[i] = Warning{Step: Clean(w.Step), Clause: Clean(w.Clause), Message: Clean(w.Message)}
		}
		s.Warnings = ws
	}
}

// suiteInterrupted reports whether Ginkgo recorded an interrupt.
func suiteInterrupted(r types.Report) bool {
	for _, reason := range r.SpecialSuiteFailureReasons {
		if strings.Contains(strings.ToLower(reason), "interrupt") {
			return true
		}
	}
	return false
}

// verdict derives the run's verdict and its one-line reason.
func (c *Conformance) verdict(dryRun, interrupted bool) (Verdict, string) {
	v, why := verdictOf(c.Summary, c.HarnessErrors, dryRun, interrupted)
	if c.Run.ControlRefused != "" && !c.Run.ControlDeclared && v != VerdictInterrupted {
		v, why = VerdictFailure, c.Run.ControlRefused
	}
	for _, l := range []struct {
		s   State
		ids []ScenarioResult
	}{{StateFailed, c.Failed}, {StateStaleDeviation, c.StaleDeviations}, {StateHarnessError, c.Errored}, {StateKnownDeviation, c.KnownDeviations}} {
		if len(l.ids) > 0 && (v == VerdictFailure || v == VerdictIncomplete || v == VerdictPartial) {
			why += fmt.Sprintf("; %s: %s", l.s.Info().Title, ids(l.ids))
		}
	}
	if c.Run.Gating == GatingResponsesOnly {
		why += "; responses only: audit codes were not judged (gating: responses_only)"
	}
	if c.Selection != "" {
		why += "; " + c.Selection
	}
	return v, why
}

// verdictOf derives a verdict from counts (a run's or a family's).
func verdictOf(n Counts, harness []string, dryRun, interrupted bool) (Verdict, string) {
	sent := n.Passed + n.Warning + n.Failed + n.KnownDeviation + n.StaleDeviation + n.NotJudged + n.HarnessError
	switch {
	case interrupted || n.Interrupted > 0:
		return VerdictInterrupted, fmt.Sprintf("the run was interrupted: %d of %d selected scenario(s) were not judged", n.Interrupted, n.Total)
	case len(harness) > 0:
		return VerdictFailure, "the run could not be set up: " + firstLine(harness[0])
	case n.Failed+n.StaleDeviation > 0:
		return VerdictFailure, fmt.Sprintf("%d of %d selected scenario(s) failed", n.Failed+n.StaleDeviation, n.Total)
	case n.HarnessError > 0:
		return VerdictIncomplete, fmt.Sprintf("the harness could not judge %d of %d selected scenario(s) (harness errors, not the target's failures)", n.HarnessError, n.Total)
	case dryRun:
		return VerdictNothingJudged, "dry run: no request was sent and nothing was judged"
	case n.Total == 0:
		return VerdictNothingJudged, "no scenario was selected: nothing was judged"
	case sent == 0:
		return VerdictNothingJudged, fmt.Sprintf("none of the %d selected scenario(s) could run (%d skipped, %d not supported): nothing was judged", n.Total, n.Skipped, n.Unsupported)
	case n.NotJudged+n.Skipped+n.KnownDeviation > 0:
		return VerdictPartial, fmt.Sprintf("nothing failed, but of %d selected scenario(s) %d were not judged, %d skipped, %d known deviation(s)", n.Total, n.NotJudged, n.Skipped, n.KnownDeviation)
	}
	return VerdictSuccess, fmt.Sprintf("all %d selected scenario(s) passed (%d with warnings, %d not supported)", n.Total, n.Warning, n.Unsupported)
}

// ids lists the IDs of l (at most 8).
func ids(l []ScenarioResult) string {
	var out []string
	for i, s := range l {
		if i == 8 {
			out = append(out, fmt.Sprintf("and %d more", len(l)-8))
			break
		}
		out = append(out, s.ID)
	}
	return strings.Join(out, ", ")
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// selection is the run's spec selection (label filter, focus, skip).
type selection struct {
	filter      string
	labels      types.LabelFilter
	focus, skip []*regexp.Regexp
}

func newSelection(cfg types.SuiteConfig) selection {
	s := selection{filter: cfg.LabelFilter}
	if cfg.LabelFilter != "" {
		s.labels, _ = types.ParseLabelFilter(cfg.LabelFilter)
	}
	for _, f := range cfg.FocusStrings {
		if re, err := regexp.Compile(f); err == nil {
			s.focus = append(s.focus, re)
		}
	}
	for _, f := range cfg.SkipStrings {
		if re, err := regexp.Compile(f); err == nil {
			s.skip = append(s.skip, re)
		}
	}
	return s
}

// matches approximates Ginkgo's selection of sr (label filter, focus and
// skip strings; focus files are not considered).
func (s selection) matches(sr types.SpecReport) bool {
	if s.labels != nil && !s.labels(sr.Labels()) {
		return false
	}
	text := sr.FullText()
	if len(s.focus) > 0 && !slices.ContainsFunc(s.focus, func(re *regexp.Regexp) bool { return re.MatchString(text) }) {
		return false
	}
	return !slices.ContainsFunc(s.skip, func(re *regexp.Regexp) bool { return re.MatchString(text) })
}

// describe names the selection for the verdict ("" for the whole catalogue).
func (s selection) describe(notSelected int, dryRun bool) string {
	var parts []string
	if s.filter != "" {
		parts = append(parts, fmt.Sprintf("label filter %q", s.filter))
	}
	if len(s.focus) > 0 || len(s.skip) > 0 {
		parts = append(parts, "focus/skip")
	}
	if len(parts) == 0 && (notSelected == 0 || dryRun) {
		return ""
	}
	if len(parts) == 0 {
		parts = append(parts, "a focus")
	}
	return fmt.Sprintf("selection: %s (%d scenario(s) not selected)", strings.Join(parts, ", "), notSelected)
}

// UnclassifiedMark is the Detail the audit package gives a row that no
// classify rule matched (audit.Unclassified).
const UnclassifiedMark = "Unclassified"

// TargetErrorMark is the Detail the audit package gives the answer of a
// target that failed with HTTP 5xx (audit.TargetError).
const TargetErrorMark = "TargetError"

// NoAuditNotice starts the notice of a run without an audit source.
const NoAuditNotice = "NOT JUDGED: no audit source"

// ControlNotice starts the notice of a run whose positive control (a good
// refresh) the target refused.
const ControlNotice = "POSITIVE CONTROL REFUSED"

// ResponsesOnlyNotice starts the notice of a run gated on responses only.
const ResponsesOnlyNotice = "RESPONSES ONLY"

// notices lists what a reader must know first.
func notices(c *Conformance, unclassified, targetErrors []string) []string {
	var out []string
	if c.Run.ControlRefused != "" {
		declared := ""
		if c.Run.ControlDeclared {
			declared = " (the profile declares it a known deviation, so the verdict is not forced to failure: check that declaration)"
		}
		out = append(out, ControlNotice+": "+c.Run.ControlRefused+declared)
	}
	if c.Run.Gating == GatingResponsesOnly {
		out = append(out, ResponsesOnlyNotice+": the user opted in to gating on responses alone (gating: responses_only / --responses-only): a scenario whose responses passed counts as passed although its audit code was not judged")
	}
	if c.Run.AuditSource == "none" {
		if c.Run.Gating == GatingResponsesOnly {
			out = append(out, fmt.Sprintf("%s: the profile has audit.source none (or no audit section), so no audit code was checked", NoAuditNotice))
		} else {
			out = append(out, fmt.Sprintf("%s: the profile has audit.source none (or no audit section), so no audit code was checked; %d scenario(s) passed their response checks and are reported as not judged, never as passed (opt in with gating: responses_only to gate on responses alone)", NoAuditNotice, c.Summary.NotJudged))
		}
	}
	if len(unclassified) > 0 {
		sort.Strings(unclassified)
		out = append(out, fmt.Sprintf("UNCLASSIFIED: %d scenario(s) left audit rows that no audit.classify rule matched (%s): their reasons are shown under Failed scenarios; add a rule for each", len(unclassified), strings.Join(unclassified, ", ")))
	}
	if len(targetErrors) > 0 {
		sort.Strings(targetErrors)
		out = append(out, fmt.Sprintf("TARGET ERRORS: the target answered HTTP 5xx (it failed; no classify rule applies) in %d scenario(s): %s", len(targetErrors), strings.Join(targetErrors, ", ")))
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
