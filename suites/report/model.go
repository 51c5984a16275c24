// Package report turns a Ginkgo report of a refreshconf run into the
// conformance report (YAML, Markdown, self-contained HTML) plus JUnit and
// Ginkgo JSON. Both the suites (from ReportAfterSuite) and
// `refreshconf report --from report.json` use it.
package report

import (
	"time"

	"github.com/refreshconf/refreshconf/fixtures/profile"
)

// Report entry names attached by the suites.
const (
	// RunEntry carries RunInfo on the suite set-up node.
	RunEntry = "refreshconf.run"
	// OutcomeEntry carries an Outcome on every scenario spec.
	OutcomeEntry = "refreshconf.outcome"
)

// RunInfo describes the run for the conformance report. It is attached to
// the suite set-up's report so that `refreshconf report --from` can
// re-render a report from the Ginkgo JSON alone.
type RunInfo struct {
	HarnessVersion string                 `json:"harness_version"`
	RunID          string                 `json:"run_id"`
	Started        time.Time              `json:"started"`
	Mode           string                 `json:"mode"` // "embedded" or "profile"
	Certify        bool                   `json:"certify"`
	Defects        []string               `json:"defects,omitempty"`
	Target         string                 `json:"target"`
	TokenURL       string                 `json:"token_url"`
	Implementation profile.Implementation `json:"implementation"`
	AuditSource    string                 `json:"audit_source"`
	Stances        []string               `json:"stances,omitempty"` // non-default stances used
	// Dialect is the code dialect the run judged audit codes with
	// (netsuite or reference) and Pins the profile's pinned codes
	// ("REQ-08: InvalidGrantType"), printed at the top of every report.
	Dialect  string   `json:"dialect,omitempty"`
	Pins     []string `json:"pins,omitempty"`
	Selected int      `json:"selected"`
	FireTime string   `json:"fire_time"`
	// Timings are the wall times of the run's set-up, for whoever asks
	// where a run's time went (refreshconf bench prints them).
	Timings *Timings `json:"timings,omitempty"`
	// Keys says where the run's RSA keys came from (key cache or fresh).
	Keys string `json:"keys,omitempty"`
	// Provisioned says how the embedded target got its credential sets:
	// through its OAuth flows, or restored from the target cache.
	Provisioned string `json:"provisioned,omitempty"`
	// Profile is the profile with every secret redacted (YAML).
	Profile string `json:"profile"`
	// Gating is GatingResponsesOnly when the user opted in to gating on
	// responses alone (audit codes not judged count as passed); "" when
	// every audit code must be judged.
	Gating string `json:"gating,omitempty"`
	// LabelFilter is the run's Ginkgo label filter ("" for the whole
	// catalogue).
	LabelFilter string `json:"label_filter,omitempty"`
	// ControlRefused says what the target answered to the positive
	// control (a good refresh every run fires): "" when it granted it;
	// otherwise the run's verdict is failure.
	ControlRefused string `json:"control_refused,omitempty"`
	// ControlDeclared says the profile declares the control a known
	// deviation: its refusal is printed first but does not force the
	// verdict (the declaration is printed with it).
	ControlDeclared bool `json:"control_declared,omitempty"`
	// SetupFailure is the one set-up step that failed, when the run
	// could not start (nothing, or not everything, was fired).
	SetupFailure *SetupFailure `json:"setup_failure,omitempty"`
}

// SetupFailure names the set-up step a run failed in and its cause.
type SetupFailure struct {
	Step  string `json:"step"`
	Cause string `json:"cause"`
}

// GatingResponsesOnly is the opt-in (profile `gating: responses_only`,
// flag --responses-only) under which a scenario whose responses passed but
// whose audit code could not be judged counts as passed. Every report
// prints it first and the verdict reason says "responses only".
const GatingResponsesOnly = "responses_only"

// Timings are the wall times, in milliseconds, of a run's set-up phases
// on process #1. Phases that did not happen are 0.
type Timings struct {
	// Keys is loading (or generating) the RSA keys.
	Keys float64 `json:"keys_ms"`
	// TargetStart is starting the embedded reference target.
	TargetStart float64 `json:"target_start_ms"`
	// Provisioning is provisioning the embedded target or running the
	// profile's provisioner.
	Provisioning float64 `json:"provisioning_ms"`
	// Firing is crafting and sending every selected scenario's requests.
	Firing float64 `json:"firing_ms"`
	// SetUp is the whole set-up, from its start to the end of firing.
	SetUp float64 `json:"setup_ms"`
}

// Outcome is the structured result of one scenario attached to its spec
// report, read back by the conformance report.
type Outcome struct {
	ID       string        `json:"id"`
	Steps    []StepOutcome `json:"steps,omitempty"`
	Findings []string      `json:"findings,omitempty"`
	// NotJudged says audit assertions were not made (no audit source).
	NotJudged bool `json:"not_judged,omitempty"`
	// NotJudgedReason says what was not judged ("" means the audit code,
	// for want of an audit source).
	NotJudgedReason string `json:"not_judged_reason,omitempty"`
	Unsupported     string `json:"unsupported,omitempty"`
	// State, when set by the suite, is the scenario's state (see
	// outcome.go); Build derives it from the Ginkgo state otherwise.
	State State `json:"state,omitempty"`
	// Warnings are SHOULD-level findings (state warning when nothing failed).
	Warnings []Warning `json:"warnings,omitempty"`
	// HarnessError says what the harness could not do (state harness_error).
	HarnessError string `json:"harness_error,omitempty"`
	// Deviation is the reason of a declared known deviation for this
	// scenario ("" when none is declared).
	Deviation string `json:"deviation,omitempty"`
	// Credentials says how the scenario got its credentials (shared set,
	// a lease from the provisioner, a chained rotated token, ...).
	Credentials string `json:"credentials,omitempty"`
}

// StepOutcome is what one request produced against what it had to.
type StepOutcome struct {
	Name       string `json:"name"`
	Expected   string `json:"expected"`
	HTTPStatus int    `json:"http_status"`
	Error      string `json:"error,omitempty"`
	AuditCodes string `json:"audit_codes"` // actual Detail values, comma-separated
	Marker     string `json:"marker"`
	// Code is how the audit code was judged (see CodeJudgement) and
	// Provenance where the expected code comes from.
	Code       CodeJudgement `json:"code_judgement,omitempty"`
	Provenance string        `json:"provenance,omitempty"`
}
