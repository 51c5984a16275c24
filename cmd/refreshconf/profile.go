package main

import (
	"context"
	"fmt"
	"io"
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

// checkProfile prints what a run with the profile at path would do.
func checkProfile(ctx context.Context, w io.Writer, path string, probe bool) error {
	p, err := profile.Load(ctx, path, profile.LoadOptions{})
	if err != nil {
		return usageError{err}
	}
	p.ApplyDefaults()
	fmt.Fprintf(w, "profile %s: valid (target %q, token endpoint %s)\n", path, p.Name, p.Target.TokenURL)
	problems := 0
	if probe {
		ex, err := framework.ProbePrimary(ctx, p)
		switch {
		case err != nil:
			fmt.Fprintf(w, "primary refresh: cannot run: %v\n", err)
			problems++
		case ex.Err != nil:
			fmt.Fprintf(w, "token endpoint: UNREACHABLE: %v\n", ex.Err)
			problems++
		case ex.Status == 200:
			fmt.Fprintf(w, "token endpoint: reachable; primary refresh: OK (HTTP 200, marker %s)\n", ex.Marker)
		default:
			fmt.Fprintf(w, "token endpoint: reachable; primary refresh: FAILED (HTTP %d, error %q): check credentials.primary\n", ex.Status, ex.Field("error"))
			problems++
		}
	}
	src, srcErr := audit.FromProfile(p)
	switch err := srcErr; {
	case err != nil:
		fmt.Fprintf(w, "audit source: INVALID: %v\n", err)
		problems++
	case src == nil:
		fmt.Fprintln(w, "audit source: none: audit codes will be reported as not judged")
	default:
		qctx, cancel := context.WithTimeout(ctx, p.Timeouts.Request.Std())
		_, ferr := src.Fetch(qctx, audit.Query{Contains: "refreshconf-profile-check", Since: time.Now().Add(-time.Minute)})
		cancel()
		if ferr != nil {
			fmt.Fprintf(w, "audit source %s: ERROR: %v\n", src.Name(), ferr)
			problems++
		} else {
			fmt.Fprintf(w, "audit source %s: readable\n", src.Name())
		}
	}
	if probe && len(p.Audit.Classify) > 0 && src != nil {
		problems += checkClassification(ctx, w, p)
	}
	plan, err := framework.Plan(ctx, p)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nID\tLEVEL\tWILL\tREASON")
	runs := 0
	for _, it := range plan {
		will := "run"
		if !it.Run {
			will = "skip"
		} else {
			runs++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", it.Scenario.ID, it.Scenario.Level, will, it.Reason)
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "%d of %d scenarios will run, %d will be skipped\n", runs, len(plan), len(plan)-runs)
	if problems > 0 {
		return exitError{1}
	}
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
