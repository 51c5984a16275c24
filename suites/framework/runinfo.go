package framework

import (
	"time"

	"github.com/refreshconf/refreshconf/fixtures/profile"
	"github.com/refreshconf/refreshconf/suites/report"
)

func (s *session) runInfo() report.RunInfo {
	p := s.profile
	mode := "profile"
	if s.shared.Embedded {
		mode = "embedded"
	}
	red, err := p.Redacted().Marshal()
	if err != nil {
		red = []byte("(could not render the profile: " + err.Error() + ")")
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
		Profile: s.redactor.Redact(string(red)), Timings: &s.shared.Timings, Keys: s.shared.Keys,
		Provisioned: s.shared.Provisioned,
	}
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
