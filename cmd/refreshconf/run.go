package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"text/tabwriter"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
	"github.com/onsi/gomega"
	"github.com/spf13/cobra"

	"github.com/refreshconf/refreshconf/suites/framework"
	"github.com/refreshconf/refreshconf/suites/report"

	_ "github.com/refreshconf/refreshconf/suites/all" // the catalogue's specs
)

// defaultReportDir is where `refreshconf run` writes its reports when
// neither --report-dir nor REFRESHCONF_REPORT_DIR is given.
const defaultReportDir = "refreshconf-report"

// runT receives Ginkgo's verdict when the suite runs outside `go test`.
type runT struct{ failed bool }

func (t *runT) Fail() { t.failed = true }

func newRunCmd() *cobra.Command {
	var (
		cfg         framework.Config
		labelFilter string
		timeout     time.Duration
		verbose     bool
		noColor     bool
		cpuProfile  string
	)
	cmd := &cobra.Command{
		Use:   "run [--profile FILE] [--report-dir DIR] [--label-filter EXPR]",
		Short: "Run the whole catalogue (against the embedded reference target when no profile is given)",
		Long: `Run executes every scenario of the catalogue with Ginkgo, exactly as
'go tool ginkgo ./suites' does, and needs no Go toolchain. It exits 0 only
when the conformance result is success; 1 on failure or partial; 2 on a
usage error.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cfg.ReportDir == "" {
				cfg.ReportDir = defaultReportDir
			}
			cfg = cfg.Resolve(framework.InvocationDir())
			if timeout <= 0 {
				return usageError{fmt.Errorf("--timeout must be positive, got %s", timeout)}
			}
			if _, err := types.ParseLabelFilter(labelFilter); err != nil {
				return usageError{fmt.Errorf("--label-filter %q: %w", labelFilter, err)}
			}
			if err := framework.Preflight(cfg); err != nil {
				return usageError{err}
			}
			if err := framework.CheckSelection(labelFilter, nil, cfg.Certify); err != nil {
				return usageError{err}
			}
			if cpuProfile != "" {
				stop, err := startCPUProfile(cpuProfile)
				if err != nil {
					return usageError{err}
				}
				defer func() {
					if err := stop(); err != nil {
						fmt.Fprintln(cmd.ErrOrStderr(), "refreshconf: "+err.Error())
					}
				}()
			}
			if err := cmd.Context().Err(); err != nil {
				fmt.Fprintln(cmd.ErrOrStderr(), "refreshconf: interrupted before the run started: nothing was sent")
				return exitError{framework.ExitInterrupted}
			}
			muter := newStdoutMuter()
			defer muter.close()
			interrupt := framework.NewInterrupter(muter.mute)
			defer interrupt.Release()
			cfg.Interrupt = interrupt
			framework.SetConfig(cfg)
			framework.TuneGC()
			sc, rc := ginkgo.GinkgoConfiguration()
			sc.LabelFilter = labelFilter
			sc.Timeout = timeout
			rc.Verbose = verbose
			rc.NoColor = !colorOn(os.Stdout, noColor)
			gomega.RegisterFailHandler(ginkgo.Fail)
			t := &runT{}
			ginkgo.RunSpecs(t, "refreshconf conformance", sc, rc)
			if sig := interrupt.Signal(); sig != nil {
				fmt.Fprintf(muter.original(), "refreshconf: interrupted by %s: the reports gathered so far, marked interrupted, are in %s\n", framework.SignalName(sig), cfg.ReportDir)
				return exitError{framework.ExitInterrupted}
			}
			c := framework.LastConformance()
			if c == nil {
				// The report hook did not finish; the JSON report says why.
				var err error
				if c, err = readConformance(cfg.ReportDir); err != nil {
					return fmt.Errorf("reading the run's report: %w", err)
				}
			}
			printSummary(cmd.OutOrStdout(), c, cfg.ReportDir)
			if t.failed || c.Result != report.Success {
				return exitError{1}
			}
			return nil
		},
	}
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	framework.RegisterFlags(fs, &cfg)
	cmd.Flags().AddGoFlagSet(fs)
	fixRunFlagHelp(cmd)
	cmd.Flags().StringVar(&labelFilter, "label-filter", "", "Ginkgo label filter `EXPR`, e.g. 'family:seed', 'level:core && !family:rotation', 'code:InvalidSignature', 'id:SEED-03'")
	cmd.Flags().DurationVar(&timeout, "timeout", 20*time.Minute, "abort the run after this long")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "print every spec as it runs")
	cmd.Flags().BoolVar(&noColor, "no-color", false, "no ANSI colours (there are none unless standard output is a terminal; also env NO_COLOR)")
	cmd.Flags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the run to `FILE` (read it with go tool pprof)")
	return cmd
}

// fixRunFlagHelp states the defaults `refreshconf run` really has where
// they differ from the Ginkgo suite's (shared flag definitions), and
// keeps pflag from appending a second "(default 0s)" to durations whose
// help states their default.
func fixRunFlagHelp(cmd *cobra.Command) {
	if f := cmd.Flags().Lookup("report-dir"); f != nil {
		f.Usage = "`DIR` for the conformance report, JUnit and JSON (default ./" + defaultReportDir + ", relative to the current folder); env REFRESHCONF_REPORT_DIR"
	}
	for _, name := range []string{"audit-timeout", "audit-latency"} {
		if f := cmd.Flags().Lookup(name); f != nil {
			f.DefValue = ""
		}
	}
	if f := cmd.Flags().Lookup("audit-latency"); f != nil {
		f.Usage += " (default: none)"
	}
}

// startCPUProfile starts a CPU profile into path and returns what stops
// and closes it.
func startCPUProfile(path string) (func() error, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("--cpuprofile %s: %w", path, err)
	}
	return func() error {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			return fmt.Errorf("writing the CPU profile %s: %w", path, err)
		}
		return nil
	}, nil
}

// readConformance rebuilds the conformance report from the run's JSON.
func readConformance(dir string) (*report.Conformance, error) {
	reports, err := readGinkgoJSON(filepath.Join(dir, report.FileJSON))
	if err != nil {
		return nil, err
	}
	if len(reports) == 0 {
		return nil, fmt.Errorf("%s holds no suite report", filepath.Join(dir, report.FileJSON))
	}
	return report.Build(reports[0]), nil
}

func readGinkgoJSON(path string) ([]types.Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening the Ginkgo JSON report: %w", err)
	}
	defer f.Close()
	var reports []types.Report
	if err := json.NewDecoder(io.LimitReader(f, 512<<20)).Decode(&reports); err != nil {
		return nil, fmt.Errorf("%s is not a Ginkgo JSON report: %w", path, err)
	}
	return reports, nil
}

// printSummary prints the per-family table and where the reports are.
func printSummary(w io.Writer, c *report.Conformance, dir string) {
	fmt.Fprintln(w)
	for _, n := range c.Notices {
		fmt.Fprintf(w, "NOTICE  %s\n", n)
	}
	fmt.Fprintf(w, "refreshconf %s against %s: %s\n", c.Run.HarnessVersion, c.Run.Target, c.Result)
	fmt.Fprintf(w, "verdict: %s: %s\n", c.Result, c.VerdictReason)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FAMILY\tRESULT\tPASSED\tFAILED\tSKIPPED\tUNSUPPORTED\tNOT JUDGED")
	for _, f := range c.Families {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\n", f.Family, f.Result,
			f.Core.Passed+f.Extended.Passed, f.Core.Failed+f.Extended.Failed, f.Core.Skipped+f.Extended.Skipped,
			f.Core.Unsupported+f.Extended.Unsupported, f.Core.NotJudged+f.Extended.NotJudged)
	}
	s := c.Summary
	fmt.Fprintf(tw, "total\t%s\t%d\t%d\t%d\t%d\t%d\n", c.Result, s.Passed, s.Failed, s.Skipped, s.Unsupported, s.NotJudged)
	_ = tw.Flush()
	for _, f := range c.Failed {
		fmt.Fprintf(w, "FAILED  %s %s\n", f.ID, f.Name)
	}
	for _, l := range []struct {
		tag string
		l   []report.ScenarioResult
	}{{"STALE DEVIATION", c.StaleDeviations}, {"HARNESS ERROR", c.Errored}, {"INTERRUPTED", c.Interrupted}, {"KNOWN DEVIATION", c.KnownDeviations}} {
		for _, f := range l.l {
			fmt.Fprintf(w, "%s  %s %s: %s\n", l.tag, f.ID, f.Name, firstLine(f.Reason))
		}
	}
	if f := c.Run.SetupFailure; f != nil {
		fmt.Fprintf(w, "SET-UP FAILED  at step %q: %s\n", f.Step, firstLine(f.Cause))
	}
	for _, e := range c.HarnessErrors {
		fmt.Fprintf(w, "HARNESS ERROR  %s\n", firstLine(e))
	}
	abs, _ := filepath.Abs(dir)
	fmt.Fprintf(w, "reports: %s (%s, %s, %s, %s, %s)\n", abs, report.FileHTML, report.FileYAML, report.FileMarkdown, report.FileJUnit, report.FileJSON)
}

func firstLine(s string) string {
	for i, r := range s {
		if r == '\n' {
			return s[:i]
		}
	}
	return s
}

// noArgs rejects positional arguments as a usage error.
func noArgs(_ *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageError{fmt.Errorf("unexpected argument %q (this command takes flags only; see --help)", args[0])}
	}
	return nil
}
