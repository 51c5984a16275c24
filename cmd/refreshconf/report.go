package main

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/refreshconf/refreshconf/suites/report"
)

func newReportCmd() *cobra.Command {
	var from, out string
	cmd := &cobra.Command{
		Use:   "report --from report.json [--out DIR]",
		Short: "Re-render the conformance report (YAML, Markdown, HTML, JUnit) from a Ginkgo JSON report",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if from == "" {
				return usageError{fmt.Errorf("--from is required: the report.json a run wrote")}
			}
			// A --from that is missing or not a run's report is bad input
			// (exit 2), like a bad flag.
			reports, err := readGinkgoJSON(from)
			if err != nil {
				return usageError{fmt.Errorf("--from %s: %w (give the report.json a refreshconf run wrote into its --report-dir)", from, err)}
			}
			if len(reports) == 0 {
				return usageError{fmt.Errorf("--from %s holds no suite report (give the report.json a refreshconf run wrote into its --report-dir)", from)}
			}
			if out == "" {
				out = filepath.Dir(from)
			}
			// The folder receives every file of one run: the JSON too,
			// unless it is the --from file itself.
			src, _ := filepath.Abs(filepath.Dir(from))
			dst, _ := filepath.Abs(out)
			c, err := report.WriteAll(out, reports[0], src != dst)
			if err != nil {
				return err
			}
			abs, _ := filepath.Abs(out)
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %s; written %s, %s, %s, %s in %s\n", c.Run.Target, c.Result, report.FileYAML, report.FileMarkdown, report.FileHTML, report.FileJUnit, abs)
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "Ginkgo JSON report of a refreshconf run")
	cmd.Flags().StringVar(&out, "out", "", "output folder (default: the folder of --from)")
	return cmd
}
