package framework

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/refreshconf/refreshconf/client"
	"github.com/refreshconf/refreshconf/client/audit"
	"github.com/refreshconf/refreshconf/fixtures/profile"
	"github.com/refreshconf/refreshconf/suites/catalogue"
	"github.com/refreshconf/refreshconf/suites/report"
)

// The state a Ginkgo suite needs across nodes: what process #1 started
// (hostState), and what every process joined (current), set in
// SynchronizedBeforeSuite and cleared in SynchronizedAfterSuite; and the
// conformance report the ReportAfterSuite wrote (lastConformance), for
// `refreshconf run`, which would otherwise decode the JSON report again.
var (
	hostState       *host
	current         *session
	lastConformance *report.Conformance
)

// LastConformance returns the conformance report of the suite run that
// ended last in this process, or nil if none was written. `refreshconf
// run` reads its verdict from it after RunSpecs returns.
func LastConformance() *report.Conformance { return lastConformance }

// session is what every process needs to assert: the resolved profile,
// the results, the redactor and the shared audit poller.
type session struct {
	shared shared
	steps  map[string][]step // decoded exchanges by scenario ID (with an audit source)
	// deviations are the declared known deviations' reasons by scenario ID.
	deviations map[string]string
	// scenarios is the catalogue by ID, built once for the run's specs.
	scenarios map[string]*catalogue.Scenario
	profile   *profile.Profile
	redactor  *client.Redactor
	poller    *audit.Poller // nil when the profile has no audit source
	cancel    context.CancelFunc
}

// setupTimeout bounds target start-up, provisioning and firing.
const setupTimeout = 5 * time.Minute

var _ = SynchronizedBeforeSuite(func(ctx SpecContext) []byte {
	cfg := RunConfig()
	if err := Preflight(cfg); err != nil {
		AbortSuite("refreshconf refuses the run: " + err.Error())
	}
	suiteCfg, _ := GinkgoConfiguration()
	if err := CheckSelection(GinkgoLabelFilter(), append(slices.Clone(suiteCfg.FocusStrings), suiteCfg.SkipStrings...), cfg.Certify); err != nil {
		AbortSuite("refreshconf refuses the run (usage error): " + err.Error())
	}
	cfg.Interrupt.TakeSignals()
	hctx, release := cfg.Interrupt.Context(ctx)
	defer release()
	h, err := startHost(hctx, cfg, GinkgoLabelFilter())
	if cfg.Interrupt.Interrupted() {
		hostState = h // what was fired is reported; the rest is interrupted
		return nil
	}
	if err != nil {
		// The report still names the target, the harness version, the
		// redacted profile and the one step that failed.
		AddReportEntry(report.RunEntry, setupFailureInfo(cfg, err), ReportEntryVisibilityNever)
		AbortSuite("refreshconf could not start the run: " + err.Error())
	}
	hostState = h
	if sc, _ := GinkgoConfiguration(); sc.ParallelTotal <= 1 {
		// One process: it joins the run with the host's own values;
		// there is nothing to serialise.
		return nil
	}
	data, err := h.encode()
	if err != nil {
		AbortSuite("refreshconf could not share the run: " + err.Error())
	}
	return data
}, func(ctx SpecContext, data []byte) {
	var s *session
	var err error
	if len(data) == 0 && hostState == nil && flags.Interrupt.Interrupted() {
		return // interrupted before anything was fired: every spec is skipped
	}
	if len(data) == 0 && hostState != nil {
		// One process: it joins with the host's values, and its
		// redactor, which knows every secret the profile names and every
		// token the target issued while firing.
		s, err = newSession(hostState.shared, hostState.profile, hostState.redactor)
	} else {
		s, err = joinSession(data)
	}
	if err != nil {
		AbortSuite("refreshconf could not join the run: " + err.Error())
	}
	current = s
	if GinkgoParallelProcess() == 1 {
		AddReportEntry(report.RunEntry, s.runInfo(), ReportEntryVisibilityNever)
	}
}, NodeTimeout(setupTimeout))

var _ = SynchronizedAfterSuite(func() {
	if current != nil {
		current.close()
		current = nil
	}
}, func(ctx SpecContext) {
	if hostState != nil {
		Expect(hostState.Close(ctx)).To(Succeed(), "stopping the embedded target and listener")
		hostState = nil
	}
}, NodeTimeout(30*time.Second))

var _ = ReportAfterSuite("refreshconf conformance report", func(r Report) {
	cfg := RunConfig()
	dir, c, err := writeReports(markInterrupted(r), cfg)
	if err != nil {
		Fail("writing the reports: " + err.Error())
	}
	lastConformance = c
	if !cfg.Quiet && dir != "" {
		fmt.Fprintf(GinkgoWriter, "refreshconf reports written to %s\n", dir)
		fmt.Printf("\nrefreshconf: conformance report, JUnit and JSON written to %s\n", dir)
	}
	// One verdict, every channel: the Ginkgo run fails unless the verdict
	// is success, so that `go tool ginkgo` exits as `refreshconf run` does.
	// A dry run judges nothing and says so (nothing_judged) without failing.
	if failsRun(c, r.SuiteConfig.DryRun) {
		Fail(fmt.Sprintf("refreshconf verdict: %s: %s", c.Result, c.VerdictReason))
	}
})

// failsRun reports whether a run with conformance report c must fail
// (exit non-zero): every verdict but success, except a dry run's.
func failsRun(c *report.Conformance, dryRun bool) bool {
	return c.Result != report.VerdictSuccess && !(dryRun && c.Result == report.VerdictNothingJudged)
}

// joinSession builds a process's session from process #1's data.
func joinSession(data []byte) (*session, error) {
	var sh shared
	if err := json.Unmarshal(data, &sh); err != nil {
		return nil, fmt.Errorf("decoding the shared run data: %w", err)
	}
	dir := ""
	if cfg := RunConfig(); cfg.ProfilePath != "" {
		dir = filepath.Dir(cfg.ProfilePath)
	}
	p, err := profile.Parse(context.Background(), sh.Profile, dir, profile.LoadOptions{})
	if err != nil {
		return nil, fmt.Errorf("re-reading the resolved profile: %w", err)
	}
	p.ApplyDefaults()
	return newSession(sh, p, newRedactor(p))
}

// newSession builds a session over the run's shared data and resolved
// profile with redactor red, and starts its audit poller.
func newSession(sh shared, p *profile.Profile, red *client.Redactor) (*session, error) {
	ctx, cancel := context.WithCancel(context.Background())
	s := &session{shared: sh, profile: p, redactor: red, cancel: cancel, scenarios: catalogue.Index()}
	var err error
	if s.deviations, err = deviations(p, RunConfig()); err != nil {
		cancel()
		return nil, err
	}
	src, err := audit.FromProfile(p)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("profile audit section: %w", err)
	}
	if src == nil {
		return s, nil
	}
	s.poller = audit.NewPoller(src, audit.PollerOptions{
		Contains:  sh.MarkerPrefix,
		Interval:  p.Timeouts.AuditPoll.Std(),
		ClockSkew: p.Timeouts.ClockSkew.Std(),
		Start:     sh.Started,
	})
	resp, _ := src.(*audit.ResponseSource)
	s.steps = make(map[string][]step, len(sh.Results))
	for id, r := range sh.Results {
		steps := r.decoded
		if steps == nil {
			var err error
			if steps, err = r.steps(); err != nil {
				continue // reported by the spec
			}
		}
		s.steps[id] = steps
		for i, st := range steps {
			if resp != nil {
				// Process #1 classified the raw response at fire time;
				// the redacted body seen here may hide the code.
				if o := r.Steps[i].Observed; o != nil {
					resp.Record(*o)
				} else {
					resp.Observe(st.Exchange.Marker, st.Exchange.Status, st.Exchange.Header, st.Exchange.Body())
				}
			}
			s.poller.Expect(st.Exchange.Marker)
		}
	}
	s.poller.Start(ctx)
	if GinkgoParallelProcess() == 1 {
		go watchAuditWait(ctx, s)
	}
	return s, nil
}

func (s *session) close() {
	if s.cancel != nil {
		s.cancel()
	}
}
