package framework

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/refreshconf/refreshconf/client/audit"
	"github.com/refreshconf/refreshconf/fixtures/profile"
	"github.com/refreshconf/refreshconf/suites/catalogue"
	"github.com/refreshconf/refreshconf/suites/report"
)

// specTimeout bounds one scenario's assertions (its audit wait included).
const specTimeout = 3 * time.Minute

// Entries returns the DescribeTable entries of family f, one per scenario,
// labelled with its ID, code, family and level.
func Entries(f catalogue.Family) []TableEntry {
	var out []TableEntry
	for _, s := range catalogue.ByFamily(f) {
		out = append(out, Entry(s.Title(), s.ID, Label(s.Labels()...), SpecTimeout(specTimeout)))
	}
	return out
}

// Check asserts scenario id: every step's response shape, its audit row
// (exact code, exactly one row, Status, columns, no secret), and the
// scenario's invariant findings. It is the body of every catalogue table.
func Check(ctx SpecContext, id string) {
	if flags.Interrupt.Interrupted() {
		out := report.Outcome{ID: id}
		defer func() { AddReportEntry(report.OutcomeEntry, out, ReportEntryVisibilityNever) }()
		skipIfInterrupted(&out)
	}
	s := current
	Expect(s).NotTo(BeNil(), "the run was not set up (SynchronizedBeforeSuite failed)")
	sc, ok := s.scenarios[id]
	Expect(ok).To(BeTrue(), "unknown scenario %s", id)
	r := s.shared.Results[id]
	if r == nil {
		Fail(fmt.Sprintf("%s was selected by Ginkgo but not fired: the firing filter and the spec filter disagree (use --label-filter rather than --focus to select scenarios)", id))
		return
	}
	out := report.Outcome{ID: id, Findings: r.Findings, Unsupported: r.Unsupported, Deviation: s.deviation(id), Credentials: r.Credentials}
	defer func() { AddReportEntry(report.OutcomeEntry, out, ReportEntryVisibilityNever) }()
	// harnessError marks what the harness could not do: never a pass, never
	// the target's failure.
	harnessError := func(format string, args ...any) {
		out.State, out.HarnessError = report.StateHarnessError, fmt.Sprintf(format, args...)
		Fail("harness error: " + out.HarnessError)
	}
	switch {
	case r.NotJudged != "" && len(r.Steps) == 0:
		out.State, out.NotJudged, out.NotJudgedReason = report.StateNotJudged, true, r.NotJudged
		Skip(r.NotJudged)
	case r.Unsupported != "":
		out.State = report.StateUnsupported
		Skip(r.Unsupported)
	case r.Skip != "":
		if flags.Certify && sc.Level == catalogue.Core {
			Fail(fmt.Sprintf("%s is a core scenario and a certification run may not skip it: %s", id, r.Skip))
		}
		out.State = report.StateSkipped
		Skip(r.Skip)
	}
	if r.Error != "" {
		harnessError("%s: the harness could not craft the scenario's requests: %s", id, r.Error)
	}
	steps, ok := s.steps[id]
	if !ok {
		var err error
		if steps, err = r.steps(); err != nil {
			harnessError("%s: decoding the scenario's exchanges: %v", id, err)
		}
	}
	if len(steps) == 0 {
		harnessError("%s sent no request", id)
	}

	wants := make([]catalogue.Expect, len(steps))
	for i, st := range steps {
		AddReportEntry("exchange: "+st.Name, st.Exchange.Transcript(), ReportEntryVisibilityFailureOrVerbose)
		want, judged, prov := codeExpectation(s.profile, sc, i, st.Expect)
		wants[i] = want
		out.Steps = append(out.Steps, report.StepOutcome{Name: st.Name, Expected: want.String(), HTTPStatus: st.Exchange.Status, Error: st.Exchange.Field("error"), Marker: st.Exchange.Marker, Code: judged, Provenance: prov})
	}
	// Await every step's audit rows first, so that the report carries the
	// actual codes even when the response is already wrong.
	var rows [][]audit.Entry
	var waitErrs []error
	if s.poller != nil {
		wctx, release := flags.Interrupt.Context(ctx)
		defer release()
		for i, st := range steps {
			r, err := s.awaitRows(wctx, st.Exchange.Marker)
			out.Steps[i].AuditCodes = s.redactor.Redact(detailList(r))
			rows, waitErrs = append(rows, r), append(waitErrs, err)
		}
	}
	skipIfInterrupted(&out)
	for i, st := range steps {
		Expect(st.Exchange).To(BeOAuthResponse(wants[i]), "%s %q, step %d %q%s", id, sc.Name, i+1, st.Name, auditNote(waitErrs, i))
	}
	if len(r.Findings) > 0 {
		Fail(fmt.Sprintf("%s %q: invariant violated:\n  - %s", id, sc.Name, strings.Join(r.Findings, "\n  - ")))
	}
	// Every MUST of every response held: the SHOULDs become warnings.
	for i, st := range steps {
		out.Warnings = append(out.Warnings, ResponseWarnings(st.Exchange, wants[i], st.Name)...)
	}

	if s.poller == nil {
		out.NotJudged = true
		out.NotJudgedReason = "audit code not judged: no audit source (the profile has audit.source none or no audit section)"
		for i := range out.Steps {
			out.Steps[i].Code = report.CodeNotJudged
		}
		notJudged(&out, s.gating())
		return
	}
	columnsUnjudged := false
	for i, st := range steps {
		var down *auditSourceDown
		if errors.As(waitErrs[i], &down) {
			harnessError("%s %q, step %d %q: %s", id, sc.Name, i+1, st.Name, down.Error())
		}
		if err := waitErrs[i]; err != nil {
			// The error's own message, not Gomega's dump of the error value
			// ("<*audit.TimeoutError | 0x...>: {...}").
			Fail(fmt.Sprintf("%s %q, step %d %q: expected an audit row %s for marker %s, but %s\n%s", id, sc.Name, i+1, st.Name, wants[i], st.Exchange.Marker, err.Error(), st.Exchange.Summary()))
		}
		want := wants[i]
		if want.Row != nil && s.profile.Audit.Source == profile.AuditResponse {
			// A response carries no audit-trail columns (application,
			// user, IP address ...): judge the code, not the columns.
			want.Row, columnsUnjudged = nil, true
		}
		Expect(rows[i]).To(HaveAuditRow(want, s.redactor, st.Exchange), "%s %q, step %d %q", id, sc.Name, i+1, st.Name)
	}
	if columnsUnjudged {
		out.NotJudged = true
		out.NotJudgedReason = "audit columns not judged: audit.source response sees no application, user, role, IP address or request URI (the code was judged)"
		notJudged(&out, s.gating())
		return
	}
	if r.NotJudged != "" {
		// The scenario's own claim could not be judged (an unreachable
		// attacker listener): never a pass, whatever the gating.
		out.NotJudged, out.NotJudgedReason, out.State = true, r.NotJudged, report.StateNotJudged
		Skip("not judged: " + r.NotJudged)
	}
	if auditIntegrity(id) && s.profile.Audit.Source == profile.AuditResponse {
		out.NotJudged = true
		out.NotJudgedReason = "audit trail integrity not judged: under audit.source response the harness makes one row per response itself and keeps no secret in it, so this scenario's claim (one row per request, no secret in a row) cannot fail"
		notJudged(&out, s.gating())
		return
	}
	out.State = report.StatePassed
	if len(out.Warnings) > 0 {
		out.State = report.StateWarning
	}
	if out.Deviation != "" {
		out.State = report.StateStaleDeviation
		Fail(fmt.Sprintf("%s is declared as a known deviation (%s) but it passed: remove it from the profile's known_deviations", id, out.Deviation))
	}
}

// auditIntegrity reports whether scenario id judges the audit trail
// itself (one row per request, no secret in a row) rather than a code:
// a claim that only a real audit trail can break.
func auditIntegrity(id string) bool {
	switch id {
	case "AUD-01", "AUD-04":
		return true
	}
	return false
}

// notJudged ends a scenario whose responses passed but a requirement of
// which could not be judged: it is skipped with the reason (never a pass
// in Ginkgo, JUnit or the verdict) unless the user opted in to gating on
// responses alone, when it passes and the reports say "responses only".
func notJudged(out *report.Outcome, gating string) {
	if gating == report.GatingResponsesOnly {
		out.State = report.StatePassed
		AddReportEntry("audit: not judged (responses only)", out.NotJudgedReason, ReportEntryVisibilityAlways)
		return
	}
	out.State = report.StateNotJudged
	Skip("not judged: " + out.NotJudgedReason + " (nothing failed; opt in with --responses-only or the profile's gating: responses_only to gate on responses alone)")
}

// auditSourceDown is the error of an audit wait whose source failed every
// query: a harness error, not the target's missing row.
type auditSourceDown struct{ msg string }

func (e *auditSourceDown) Error() string { return e.msg }

// awaitRows returns the audit rows of marker. Every row of the run is due
// within the audit timeout of the end of firing: until that run-wide
// deadline it waits through the shared poller; after it, the poller has
// long seen (and re-polled) every row that arrived, so a missing row is
// reported at once. A target that drops rows thus costs one audit timeout
// per run, not one per scenario.
func (s *session) awaitRows(ctx context.Context, marker string) ([]audit.Entry, error) {
	timeout := s.profile.Timeouts.Audit.Std()
	deadline := s.shared.Started.Add(s.shared.FireTime + timeout)
	if wait := time.Until(deadline); wait > 0 {
		rows, err := s.poller.Await(ctx, marker, wait)
		var te *audit.TimeoutError
		if st := s.poller.Stats(); err != nil && ctx.Err() == nil && ((st.Errors > 0 && st.Errors == st.Queries) || (errors.As(err, &te) && te.Waiting > 0)) {
			// The source itself never answered (or hung): a harness
			// error, not the target's missing row.
			return rows, &auditSourceDown{err.Error()}
		}
		return rows, err
	}
	if rows := s.poller.Entries(marker); len(rows) > 0 {
		return rows, nil
	}
	st := s.poller.Stats()
	if st.Errors > 0 && st.Errors == st.Queries {
		// The source itself never answered: say so rather than blame the target.
		return nil, &auditSourceDown{fmt.Sprintf("no audit row for marker %s within the run's audit deadline (timeouts.audit %s after the last request was answered): the audit source failed all %d queries, last error: %s", marker, timeout, st.Queries, st.LastError)}
	}
	failed := ""
	if st.Errors > 0 {
		failed = fmt.Sprintf("; the audit source failed %d of %d queries, last error: %s", st.Errors, st.Queries, st.LastError)
	}
	return nil, fmt.Errorf("no audit row for marker %s within the run's audit deadline (timeouts.audit %s after the last request was answered); check that the target records the User-Agent and that timeouts.audit covers its audit latency%s", marker, timeout, failed)
}

// auditNote names the audit wait's failure for step i, for a failure
// message about the response: otherwise a wrong response hides that the
// audit source is broken too (unreachable, garbage, timing out).
func auditNote(waitErrs []error, i int) string {
	if i >= len(waitErrs) || waitErrs[i] == nil {
		return ""
	}
	return "\n(the audit source failed as well: " + waitErrs[i].Error() + ")"
}

// detailList renders the Detail values of rows for the report ("Success"
// for an empty Detail on a Success row); an Unclassified row shows the
// target's own reason, so that the user can add a classify rule.
func detailList(rows []audit.Entry) string {
	if len(rows) == 0 {
		return "no row"
	}
	parts := make([]string, len(rows))
	for i, r := range rows {
		parts[i] = r.Detail
		switch {
		case r.Detail == "":
			parts[i] = "(" + r.Status + ")"
		case (r.Detail == audit.Unclassified || r.Detail == audit.TargetError) && r.Reason != "":
			parts[i] = r.Detail + " [" + r.Reason + "]"
		}
	}
	return strings.Join(parts, ",")
}
