package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/refreshconf/refreshconf/client/audit"
	"github.com/refreshconf/refreshconf/fixtures/profile"
	"github.com/refreshconf/refreshconf/suites/framework"
)

func newProfileCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "profile",
		Short: "Write a profile template or check a profile against its target",
	}
	cmd.AddCommand(newProfileInitCmd(), newProfileCheckCmd())
	return cmd
}

func newProfileCheckCmd() *cobra.Command {
	var path string
	var noProbe bool
	cmd := &cobra.Command{
		Use:   "check --profile FILE",
		Short: "Validate a profile, reach its target, prove the primary credentials and list which scenarios will run",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if path == "" {
				return usageError{fmt.Errorf("--profile is required (write one with `refreshconf profile init`)")}
			}
			return checkProfile(cmd.Context(), cmd.OutOrStdout(), path, !noProbe)
		},
	}
	cmd.Flags().StringVar(&path, "profile", "", "profile `FILE` to check")
	cmd.Flags().BoolVar(&noProbe, "no-probe", false, "do not send the one good refresh with the primary credentials")
	return cmd
}

// checkProfile prints what a run with the profile at path would do. It
// runs one check after another (see profileChecks), each printing its
// lines; a check that finds what would make the whole run fail records it
// as a root cause, printed before the scenarios' plan. It returns a usage
// error for an invalid profile and exitError{1} when a check failed.
func checkProfile(ctx context.Context, w io.Writer, path string, probe bool) error {
	pc := &profileCheck{w: w, path: path, probe: probe}
	p, err := profile.Load(ctx, path, profile.LoadOptions{})
	if err != nil {
		return usageError{err}
	}
	pc.p = p
	for _, check := range profileChecks() {
		if stop := check(ctx, pc); stop {
			break
		}
	}
	for _, rc := range pc.rootCauses {
		fmt.Fprintf(w, "ROOT CAUSE: %s\n", rc)
	}
	if err := pc.printPlan(ctx); err != nil {
		return err
	}
	if len(pc.rootCauses) > 0 {
		fmt.Fprintf(w, "a run now would fail for the root cause(s) above, not for the scenarios' own reasons: fix them first\n")
	}
	if pc.problems > 0 || len(pc.rootCauses) > 0 {
		return exitError{1}
	}
	return nil
}

// profileCheck is what `profile check` learns as its checks run.
type profileCheck struct {
	w     io.Writer
	path  string
	probe bool // send requests to the token endpoint
	p     *profile.Profile
	// rootCauses are problems that would make every (or nearly every)
	// scenario fail for a reason of their own: printed before the plan.
	rootCauses []string
	// problems counts lesser findings (a classification mismatch).
	problems int
	// audit is the profile's audit source (nil for none), once checked.
	audit audit.Source
}

// rootCause records a run-wide problem.
func (pc *profileCheck) rootCause(format string, args ...any) {
	pc.rootCauses = append(pc.rootCauses, fmt.Sprintf(format, args...))
}

// profileChecks are the checks of `profile check`, in order. Each prints
// its findings and returns true when the later checks cannot run. A new
// check is one more function here.
func profileChecks() []func(context.Context, *profileCheck) (stop bool) {
	return []func(context.Context, *profileCheck) bool{
		checkProvision,
		checkPrimary,
		checkAuditSource,
		checkClassify,
	}
}

// checkProvision runs the profile's provisioner exactly as a run does, so
// that the later checks see the credential sets a run would use.
func checkProvision(ctx context.Context, pc *profileCheck) bool {
	w, p := pc.w, pc.p
	kind := ""
	if p.Provision != nil {
		kind = p.Provision.Kind
	}
	took, err := framework.Provision(ctx, p, pc.path)
	p.ApplyDefaults()
	fmt.Fprintf(w, "profile %s: valid (target %q, token endpoint %s)\n", pc.path, p.Name, p.Target.TokenURL)
	if kind == "" {
		return false
	}
	if err != nil {
		fmt.Fprintf(w, "provisioning (%s): FAILED\n", kind)
		pc.rootCause("the provisioner failed, so a run has no credentials: %v", err)
		return true
	}
	sets := make([]string, 0, len(p.Credentials))
	for name := range p.Credentials {
		sets = append(sets, name)
	}
	sort.Strings(sets)
	fmt.Fprintf(w, "provisioning (%s): OK in %s, %d credential set(s): %s\n", kind, took.Round(time.Millisecond), len(sets), strings.Join(sets, ", "))
	return false
}

// checkPrimary sends one good refresh with the primary credentials: a
// rejected credential is the root cause of every scenario's failure.
func checkPrimary(ctx context.Context, pc *profileCheck) bool {
	if !pc.probe {
		return false
	}
	w := pc.w
	ex, err := framework.ProbePrimary(ctx, pc.p)
	switch {
	case err != nil:
		fmt.Fprintf(w, "primary refresh: cannot run: %v\n", err)
		pc.rootCause("%v", err)
	case ex.Err != nil:
		fmt.Fprintf(w, "token endpoint: UNREACHABLE: %v\n", ex.Err)
		pc.rootCause("target.token_url %s cannot be reached: %v", pc.p.Target.TokenURL, ex.Err)
	case ex.Status == 200:
		fmt.Fprintf(w, "token endpoint: reachable; primary refresh: OK (HTTP 200, marker %s)\n", ex.Marker)
		pc.problems += checkRotation(ctx, w, pc.p, ex)
	default:
		e := ex.Field("error")
		fmt.Fprintf(w, "token endpoint: reachable; primary refresh: FAILED (HTTP %d, error %q): check credentials.primary\n", ex.Status, e)
		what := "credentials.primary"
		switch e {
		case "invalid_client":
			what = "credentials.primary's client (client_id / client_secret)"
		case "invalid_grant":
			what = "credentials.primary.refresh_token"
		}
		pc.rootCause("the target rejected %s (HTTP %d, error %q): every scenario that needs the primary set would fail with that error instead of its own", what, ex.Status, e)
	}
	return false
}

// checkAuditSource reads the audit source once: an unreadable source is
// the root cause of every audit assertion's failure.
func checkAuditSource(ctx context.Context, pc *profileCheck) bool {
	w, p := pc.w, pc.p
	src, err := audit.FromProfile(p)
	switch {
	case err != nil:
		fmt.Fprintf(w, "audit source: INVALID: %v\n", err)
		pc.rootCause("the audit source is invalid: %v", err)
		return false
	case src == nil:
		fmt.Fprintln(w, "audit source: none: audit codes will be reported as not judged")
		return false
	}
	qctx, cancel := context.WithTimeout(ctx, p.Timeouts.Request.Std())
	_, ferr := src.Fetch(qctx, audit.Query{Contains: "refreshconf-profile-check", Since: time.Now().Add(-time.Minute)})
	cancel()
	if ferr != nil {
		fmt.Fprintf(w, "audit source %s: ERROR: %v\n", src.Name(), ferr)
		pc.rootCause("the audit source %s cannot be read (%v): every audit assertion would fail", src.Name(), ferr)
		return false
	}
	fmt.Fprintf(w, "audit source %s: readable\n", src.Name())
	pc.audit = src
	return false
}

// checkClassify shows how the profile's audit.classify rules read the
// classification probes.
func checkClassify(ctx context.Context, pc *profileCheck) bool {
	if pc.probe && len(pc.p.Audit.Classify) > 0 && pc.audit != nil {
		pc.problems += checkClassification(ctx, pc.w, pc.p)
	}
	return false
}

// printPlan prints, for every scenario, its ID, level, expected code,
// whether it will run and its name, or why it will be skipped.
func (pc *profileCheck) printPlan(ctx context.Context) error {
	w := pc.w
	plan, err := framework.Plan(ctx, pc.p)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nID\tLEVEL\tEXPECTED CODE\tWILL\tSCENARIO / WHY SKIPPED")
	runs := 0
	for _, it := range plan {
		will, what := "run", it.Scenario.Name
		if !it.Run {
			will, what = "skip", it.Reason
		} else {
			runs++
		}
		code := string(it.Scenario.Code)
		if code == "" {
			code = "Success"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", it.Scenario.ID, it.Scenario.Level, code, will, what)
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "%d of %d scenarios will run, %d will be skipped\n", runs, len(plan), len(plan)-runs)
	return nil
}

// checkClassification sends the classification probes and prints, for
// each, the code the profile's classify rules made of the target's answer
// next to the code the catalogue expects. It returns the number of
// mismatches.
func checkClassification(ctx context.Context, w io.Writer, p *profile.Profile) int {
	probes, err := framework.ProbeClassification(ctx, p)
	if err != nil {
		fmt.Fprintf(w, "audit.classify: cannot probe: %v\n", err)
		return 1
	}
	fmt.Fprintf(w, "\naudit.classify: %d rule(s); how they read %d probe request(s):\n", len(p.Audit.Classify), len(probes))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PROBE\tHTTP\tERROR\tEXPECTED\tCLASSIFIED\tOK\tREASON")
	bad := 0
	for _, pr := range probes {
		ok := "yes"
		got := pr.Got
		switch {
		case pr.Problem != "":
			ok, got = "-", "("+pr.Problem+")"
		case pr.Got != pr.Expected:
			ok = "NO"
			bad++
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\n", pr.Name, pr.HTTPStatus, pr.Error, pr.Expected, got, ok, pr.Reason)
	}
	_ = tw.Flush()
	if bad > 0 {
		fmt.Fprintf(w, "%d probe(s) classified differently from what the catalogue expects: add or reorder audit.classify rules (first match wins)\n", bad)
	}
	return bad
}
