package report

// The outcome model shared by every channel (console, exit status, JUnit,
// Ginkgo JSON, YAML, Markdown, HTML). It is defined once, here: a scenario
// has exactly one State; a run has exactly one Verdict. Adding a state is
// one entry in States (with its JUnit mapping and whether it passes).

// State is the outcome of one scenario.
type State string

// Scenario states.
const (
	// StatePassed: every requirement the scenario makes was judged and met.
	StatePassed State = "passed"
	// StateWarning: every MUST was met, at least one SHOULD (or a
	// best-practice check) was not. Counted apart; never fails a run.
	StateWarning State = "warning"
	// StateFailed: the target broke a requirement of MUST strength.
	StateFailed State = "failed"
	// StateKnownDeviation: the scenario failed exactly as a declared known
	// deviation says it would. Never passed; the verdict names it.
	StateKnownDeviation State = "known_deviation"
	// StateStaleDeviation: a declared known deviation passed: the
	// declaration is stale and fails the run until it is removed.
	StateStaleDeviation State = "stale_deviation"
	// StateNotJudged: requests were sent but a requirement could not be
	// judged (no audit source, an audit-integrity scenario under the
	// response source, an unreachable attacker listener, ...).
	StateNotJudged State = "not_judged"
	// StateSkipped: the scenario needs a fixture or feature the profile
	// does not provide; nothing was sent.
	StateSkipped State = "skipped"
	// StateUnsupported: the profile declares a feature off that the
	// scenario exercises (an extended capability the target lacks).
	StateUnsupported State = "unsupported"
	// StateNotSelected: a label filter or focus left the scenario out.
	// Not listed as skipped; counted apart.
	StateNotSelected State = "not_selected"
	// StateHarnessError: the harness could not do what the scenario needs
	// (a token the forge could not craft, an internal timeout, an audit
	// source that never answered, a panic): neither a pass nor the
	// target's failure.
	StateHarnessError State = "harness_error"
	// StateInterrupted: the run was interrupted before the scenario was
	// judged.
	StateInterrupted State = "interrupted"
)

// StateInfo describes a state for every report channel.
type StateInfo struct {
	State State
	// Title is the human name ("known deviation").
	Title string
	// Passes is true when the state does not count against the run.
	Passes bool
	// JUnit is how JUnit shows it: "pass", "failure", "error", "skipped",
	// or "" for not written at all.
	JUnit string
}

// States lists every state in report order (failures first).
func States() []StateInfo {
	return []StateInfo{
		{StateFailed, "failed", false, "failure"},
		{StateStaleDeviation, "stale deviation", false, "failure"},
		{StateHarnessError, "harness error", false, "error"},
		{StateInterrupted, "interrupted", false, "error"},
		{StateWarning, "warning", true, "pass"},
		{StateKnownDeviation, "known deviation", false, "skipped"},
		{StateNotJudged, "not judged", false, "skipped"},
		{StateSkipped, "skipped", false, "skipped"},
		{StateUnsupported, "unsupported", true, "skipped"},
		{StatePassed, "passed", true, "pass"},
		{StateNotSelected, "not selected", true, ""},
	}
}

// Info returns the StateInfo of s (a zero StateInfo for an unknown state).
func (s State) Info() StateInfo {
	for _, i := range States() {
		if i.State == s {
			return i
		}
	}
	return StateInfo{State: s, Title: string(s)}
}

// Verdict is the outcome of a run; every channel reports the same one.
type Verdict string

// Run verdicts.
const (
	// VerdictSuccess: every selected scenario passed (warnings allowed).
	VerdictSuccess Verdict = "success"
	// VerdictPartial: nothing failed but something selected was not
	// judged, skipped at core level, or a known deviation was declared.
	VerdictPartial Verdict = "partial"
	// VerdictFailure: the target failed a scenario (or a stale deviation
	// was declared, or the positive control was refused).
	VerdictFailure Verdict = "failure"
	// VerdictIncomplete: the harness could not judge part of the run
	// (harness errors); says nothing against the target.
	VerdictIncomplete Verdict = "incomplete"
	// VerdictInterrupted: the run was interrupted.
	VerdictInterrupted Verdict = "interrupted"
	// VerdictNothingJudged: nothing was sent (a dry run, an empty run).
	VerdictNothingJudged Verdict = "nothing_judged"
)

// Severity is the strength of the clause a check enforces.
type Severity string

// Severities: a MUST fails the scenario, a SHOULD (or best practice) warns.
const (
	SeverityMust   Severity = "MUST"
	SeverityShould Severity = "SHOULD"
)

// CodeJudgement says how a step's audit code was judged.
type CodeJudgement string

// Code judgements.
const (
	// CodeJudged: the code was asserted exactly (documented provenance).
	CodeJudged CodeJudgement = "judged"
	// CodePinned: the vendor pinned the code; asserted exactly.
	CodePinned CodeJudgement = "pinned"
	// CodeRecorded: the expected code is the reference target's own
	// choice (NetSuite documents none) and the dialect is netsuite: the
	// row was judged (exactly one, Status Failure, no secret) and its code
	// is recorded for the reviewer, not judged.
	CodeRecorded CodeJudgement = "recorded"
	// CodeNotJudged: no audit row could be read (no audit source).
	CodeNotJudged CodeJudgement = "not_judged"
)

// Warning is one SHOULD-level finding.
type Warning struct {
	// Step names the request ("" for the scenario as a whole).
	Step string `json:"step,omitempty"`
	// Clause names the requirement, e.g. "RFC 6749 §5.1 (SHOULD)".
	Clause string `json:"clause"`
	// Message says what the target did.
	Message string `json:"message"`
}
