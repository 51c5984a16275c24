package framework

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/refreshconf/refreshconf/client/audit"
	"github.com/refreshconf/refreshconf/fixtures/profile"
	"github.com/refreshconf/refreshconf/suites/catalogue"
)

// ControlID is the positive control: a well-formed refresh with the
// primary credentials. Every run fires it, whatever the selection, and a
// target that refuses it fails the run: nothing else can be judged on a
// target that refuses a valid refresh (a server that refuses everything
// with one constant code would otherwise pass every scenario expecting a
// refusal).
const ControlID = "REQ-01"

// withControl returns selected plus the positive control when the
// selection left it out.
func withControl(selected []*catalogue.Scenario) []*catalogue.Scenario {
	if slices.ContainsFunc(selected, func(s *catalogue.Scenario) bool { return s.ID == ControlID }) {
		return selected
	}
	if c := catalogue.Index()[ControlID]; c != nil {
		return append(slices.Clip(selected), c)
	}
	return selected
}

// controlRefused judges the positive control's result: "" when the target
// granted the good refresh (or the control could not run: its fixture is
// missing, reported with the scenario), else one line saying what the
// target answered.
func controlRefused(r *resultWire) string {
	if r == nil || r.Skip != "" || r.Unsupported != "" || r.Error != "" {
		return ""
	}
	steps := r.decoded
	if steps == nil {
		var err error
		if steps, err = r.steps(); err != nil {
			return ""
		}
	}
	for _, st := range steps {
		ex := st.Exchange
		switch {
		case ex == nil:
			continue
		case ex.Err != nil:
			return fmt.Sprintf("the positive control %s (a well-formed refresh with the primary credentials) got no answer: %v: nothing else can be judged on a target that does not answer a valid refresh", ControlID, ex.Err)
		case ex.Status != 200 || ex.Field("access_token") == "":
			e := ex.Field("error")
			if e == "" {
				e = "no access_token"
			}
			return fmt.Sprintf("the target refused the positive control %s (a well-formed refresh with the primary credentials): HTTP %d %s: nothing else can be judged on a target that refuses a valid refresh", ControlID, ex.Status, e)
		}
	}
	return ""
}

// checkAuditReadable reads the profile's audit source once before
// anything is fired, so that an unreadable source (401/403, connection
// refused, a missing file) is named once, at once, rather than found by
// every scenario after the run-wide audit deadline.
func checkAuditReadable(ctx context.Context, p *profile.Profile) error {
	src, err := audit.FromProfile(p)
	if err != nil || src == nil {
		return err
	}
	if _, ok := src.(*audit.ResponseSource); ok {
		return nil
	}
	qctx, cancel := context.WithTimeout(ctx, p.Timeouts.Request.Std())
	defer cancel()
	if _, err := src.Fetch(qctx, audit.Query{Contains: "refreshconf-readability-check", Since: time.Now().Add(-time.Minute)}); err != nil {
		if msg := strings.ToLower(err.Error()); qctx.Err() != nil || strings.Contains(msg, "timeout") || strings.Contains(msg, "timed out") || strings.Contains(msg, "deadline exceeded") {
			err = fmt.Errorf("the audit source is not answering: no answer within timeouts.request %s: %w", p.Timeouts.Request.Std(), err)
		}
		return fmt.Errorf("the audit source %s cannot be read (%v): no audit code could be judged, so nothing was sent; fix the profile's audit section (refreshconf profile check shows it)", src.Name(), err)
	}
	return nil
}

// CheckSelection refuses, before anything starts, a selection that cannot
// make a meaningful run: a certification run with a label filter, focus or
// skip (certification covers the whole catalogue, as Kubernetes
// conformance does), and a label filter that selects no scenario.
func CheckSelection(labelFilter string, focus []string, certify bool) error {
	if certify && (strings.TrimSpace(labelFilter) != "" || len(focus) > 0) {
		return fmt.Errorf("--certify runs the whole catalogue and nothing else: remove the label filter %q and any focus or skip", labelFilter)
	}
	selected, err := selectScenarios(labelFilter)
	if err != nil {
		return err
	}
	if len(selected) == 0 {
		return fmt.Errorf("--label-filter %q selects no scenario (preview a selection with refreshconf catalogue --label-filter EXPR)", labelFilter)
	}
	return nil
}
