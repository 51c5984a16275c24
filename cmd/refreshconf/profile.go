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
	src, err := audit.FromProfile(p)
	switch {
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
