package framework

import (
	"time"

	"github.com/onsi/ginkgo/v2"

	"github.com/refreshconf/refreshconf/client"
	"github.com/refreshconf/refreshconf/fixtures/profile"
	"github.com/refreshconf/refreshconf/suites/report"
)

func (s *session) runInfo() report.RunInfo {
	p := s.profile
	mode := "profile"
	if s.shared.Embedded {
		mode = "embedded"
	}
	prof := s.shared.ReportProfile
	if prof == "" {
		prof = reportProfile(p, s.redactor)
	}
	src := p.Audit.Source
	if src == "" {
		src = profile.AuditNone
	}
	return report.RunInfo{
		HarnessVersion: Version, RunID: s.shared.RunID, Started: s.shared.Started, Mode: mode,
		Certify: flags.Certify, Defects: s.shared.Defects, Target: p.Name, TokenURL: p.Target.TokenURL,
		Implementation: p.Implementation, AuditSource: src, Stances: nonDefaultStances(p.Stances),
		Selected: s.shared.Selected, FireTime: s.shared.FireTime.Round(time.Millisecond).String(),
		Profile: prof, Timings: &s.shared.Timings, Keys: s.shared.Keys,
		Provisioned: s.shared.Provisioned,
		Dialect:     p.Codes.Dialect, Pins: pinList(p),
		Gating: s.gating(), LabelFilter: ginkgo.GinkgoLabelFilter(), ControlRefused: s.shared.ControlRefused, ControlDeclared: s.shared.ControlDeclared,
	}
}

// gating returns report.GatingResponsesOnly when the user opted in to
// gating on responses alone (flag or profile), "" otherwise.
func (s *session) gating() string {
	if flags.ResponsesOnly || s.profile.Gating == profile.GatingResponsesOnly {
		return report.GatingResponsesOnly
	}
	return ""
}

// deviation returns the reason of the known deviation declared for
// scenario id ("" when none).
func (s *session) deviation(id string) string { return s.deviations[id] }

// reportProfile renders p for the report: every secret redacted, as YAML.
// (It takes a few milliseconds: process #1 renders it while it fires.)
func reportProfile(p *profile.Profile, red *client.Redactor) string {
	b, err := p.Redacted().Marshal()
	if err != nil {
		return "(could not render the profile: " + err.Error() + ")"
	}
	return red.Redact(string(b))
}

// nonDefaultStances lists the stances that differ from the RFC-strict default.
func nonDefaultStances(st profile.Stances) []string {
	var out []string
	if st.ReuseGrace.Std() > 0 {
		out = append(out, "reuse_grace: "+st.ReuseGrace.Std().String()+" (rotated tokens may be reused; RFC 9700 says no)")
	}
	if st.BroaderScope != "" && st.BroaderScope != "refuse" {
		out = append(out, "broader_scope: "+st.BroaderScope+" (RFC 6749 §6 says refuse)")
	}
	if st.UnknownGrantType != "" && st.UnknownGrantType != "unsupported_grant_type" {
		out = append(out, "unknown_grant_type: "+st.UnknownGrantType+" (RFC 6749 §5.2 says unsupported_grant_type)")
	}
	return out
}
