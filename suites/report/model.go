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
	Selected       int                    `json:"selected"`
	FireTime       string                 `json:"fire_time"`
	// Profile is the profile with every secret redacted (YAML).
	Profile string `json:"profile"`
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
}

// StepOutcome is what one request produced against what it had to.
type StepOutcome struct {
	Name       string `json:"name"`
	Expected   string `json:"expected"`
	HTTPStatus int    `json:"http_status"`
	Error      string `json:"error,omitempty"`
	AuditCodes string `json:"audit_codes"` // actual Detail values, comma-separated
	Marker     string `json:"marker"`
}
