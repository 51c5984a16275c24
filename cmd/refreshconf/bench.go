package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

// benchLatencies returns the audit latencies of the latency-hiding figures.
func benchLatencies() []time.Duration { return []time.Duration{0, time.Second, 2 * time.Second} }

// benchReport is everything `refreshconf bench` measured; every figure
// carries its unit in its name, and every median is over Runs runs.
type benchReport struct {
	Runs        int    `json:"runs"`
	CPUs        int    `json:"cpus"`
	Platform    string `json:"platform"`
	Scenarios   int    `json:"scenarios"`
	Requests    int    `json:"requests"`
	Concurrency int    `json:"concurrency"`
	// FloorMs is the bare net/http replay of the catalogue's requests.
	FloorMs float64 `json:"floor_ms"`
	// FloorStatusMismatches counts replayed answers whose status differed
	// from the one the catalogue got (median; races make a few legitimate).
	FloorStatusMismatches float64 `json:"floor_status_mismatches"`
	// CatalogueFireMs is the catalogue's own firing, crafting included
	// (measured once, while recording the requests).
	CatalogueFireMs float64 `json:"catalogue_fire_ms"`
	// HarnessMs is `refreshconf run` with no audit latency, start to exit.
	HarnessMs float64 `json:"harness_ms"`
	// Ratio is HarnessMs/FloorMs, the median of the per-run ratios.
	Ratio float64 `json:"ratio"`
	// HarnessPeakRSSMiB is the peak resident set of the `run` child.
	HarnessPeakRSSMiB float64 `json:"harness_peak_rss_mib"`
	// BenchPeakRSSMiB is the peak resident set of the bench process itself.
	BenchPeakRSSMiB float64            `json:"bench_peak_rss_mib"`
	Latency         []latencyFigure    `json:"latency_hiding"`
	Throughput      []throughputResult `json:"throughput"`
	// ThroughputSecondsPerLevel is how long each throughput level ran.
	ThroughputSecondsPerLevel float64 `json:"throughput_seconds_per_level"`
}

// latencyFigure is the catalogue's wall time at one audit latency.
type latencyFigure struct {
	AuditLatencyMs float64 `json:"audit_latency_ms"`
	WallMs         float64 `json:"wall_ms"`
	// FloorPlusLatencyMs is the run's floor plus the audit latency.
	FloorPlusLatencyMs float64 `json:"floor_plus_latency_ms"`
	// Ratio is WallMs/FloorPlusLatencyMs (median of per-run ratios).
	Ratio float64 `json:"ratio"`
	// PeakRSSMiB is the `run` child's peak resident set.
	PeakRSSMiB float64 `json:"peak_rss_mib"`
}

// benchOptions are the flags of `refreshconf bench`.
type benchOptions struct {
	runs   int
	quick  bool
	format string
}

func newBenchCmd() *cobra.Command {
	var o benchOptions
	cmd := &cobra.Command{
		Use:   "bench [--runs N] [--quick] [--format table|json]",
		Short: "Measure the harness against its floor on the embedded reference target",
		Long: `Bench measures, side by side in one run, against the embedded reference
target: the floor (the catalogue's crafted requests replayed by a bare
net/http loop at the same concurrency, against a fresh copy of a
provisioned target), the harness (the whole catalogue through the suites,
reports included, as a child 'refreshconf run'), their ratio, the
harness's peak memory, latency hiding (the catalogue with an audit latency
of 0, 1 and 2 s, each divided by floor + latency) and the reference
target's refresh throughput (good and crafted, p50/p99) at concurrency 1,
8 and 64. Figures are medians of --runs runs.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.quick && !cmd.Flags().Changed("runs") {
				o.runs = 1
			}
			if o.runs < 1 {
				return usageError{fmt.Errorf("--runs must be at least 1, got %d", o.runs)}
			}
			if o.format != "table" && o.format != "json" {
				return usageError{fmt.Errorf("--format %q: want table or json", o.format)}
			}
			rep, err := runBench(cmd.Context(), o, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			if o.format == "json" {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			return writeBenchTable(cmd.OutOrStdout(), rep)
		},
	}
	cmd.Flags().IntVar(&o.runs, "runs", 5, "measured runs; figures are their medians")
	cmd.Flags().BoolVar(&o.quick, "quick", false, "one run, throughput at concurrency 1 and 8 only, shorter levels")
	cmd.Flags().StringVar(&o.format, "format", "table", "table or json")
	return cmd
}

// runBench measures everything; progress goes to log.
func runBench(ctx context.Context, o benchOptions, log io.Writer) (*benchReport, error) {
	dir, err := os.MkdirTemp("", "refreshconf-bench-")
	if err != nil {
		return nil, fmt.Errorf("creating a scratch folder for the bench: %w", err)
	}
	defer func() { _ = os.RemoveAll(dir) }()

	fmt.Fprintln(log, "bench: provisioning a target and crafting the catalogue's requests")
	fs, err := prepareFloor(ctx, dir)
	if err != nil {
		return nil, err
	}
	rep := &benchReport{Runs: o.runs, CPUs: runtime.NumCPU(), Platform: runtime.GOOS + "/" + runtime.GOARCH + " " + runtime.Version(),
		Scenarios: fs.scenarios, Requests: len(fs.reqs), Concurrency: fs.concurrency, CatalogueFireMs: ms(fs.fire)}

	var floor, mism, harness, ratio, rss []float64
	latencies := benchLatencies()
	lat := make([]struct{ wall, fpl, ratio, rss []float64 }, len(latencies))
	for run := range o.runs {
		fmt.Fprintf(log, "bench: run %d/%d\n", run+1, o.runs)
		f, err := fs.measureFloor(ctx, run)
		if err != nil {
			return nil, err
		}
		floor, mism = append(floor, ms(f.wall)), append(mism, float64(f.mismatches))
		for i, l := range latencies {
			h, err := measureHarness(ctx, filepath.Join(dir, fmt.Sprintf("report-%d-%d", run, i)), l)
			if err != nil {
				return nil, err
			}
			fpl := ms(f.wall) + ms(l)
			lat[i].wall = append(lat[i].wall, ms(h.wall))
			lat[i].fpl = append(lat[i].fpl, fpl)
			lat[i].ratio = append(lat[i].ratio, ms(h.wall)/fpl)
			lat[i].rss = append(lat[i].rss, mib(h.peakRSS))
			if l == 0 {
				harness, rss = append(harness, ms(h.wall)), append(rss, mib(h.peakRSS))
				ratio = append(ratio, ms(h.wall)/ms(f.wall))
			}
		}
	}
	rep.FloorMs, rep.FloorStatusMismatches = median(floor), median(mism)
	rep.HarnessMs, rep.Ratio, rep.HarnessPeakRSSMiB = median(harness), median(ratio), median(rss)
	for i, l := range latencies {
		rep.Latency = append(rep.Latency, latencyFigure{AuditLatencyMs: ms(l), WallMs: median(lat[i].wall),
			FloorPlusLatencyMs: median(lat[i].fpl), Ratio: median(lat[i].ratio), PeakRSSMiB: median(lat[i].rss)})
	}

	levels, per := []int{1, 8, 64}, time.Second
	if o.quick {
		levels, per = []int{1, 8}, 300*time.Millisecond
	}
	fmt.Fprintln(log, "bench: reference target throughput")
	if rep.Throughput, err = measureThroughput(ctx, levels, per); err != nil {
		return nil, err
	}
	rep.ThroughputSecondsPerLevel = per.Seconds()
	rep.BenchPeakRSSMiB = mib(selfPeakRSS())
	return rep, nil
}

// writeBenchTable prints the report for people, every figure with its unit.
func writeBenchTable(w io.Writer, r *benchReport) error {
	fmt.Fprintf(w, "refreshconf bench: medians of %d run(s); %d CPUs, %s\n", r.Runs, r.CPUs, r.Platform)
	fmt.Fprintf(w, "catalogue: %d scenarios, %d requests to the target, concurrency %d\n\n", r.Scenarios, r.Requests, r.Concurrency)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FIGURE\tVALUE")
	fmt.Fprintf(tw, "floor: bare net/http replay of the catalogue's requests\t%.1f ms\n", r.FloorMs)
	fmt.Fprintf(tw, "floor: replayed answers with another status than recorded\t%.0f\n", r.FloorStatusMismatches)
	fmt.Fprintf(tw, "catalogue firing, crafting included (once)\t%.1f ms\n", r.CatalogueFireMs)
	fmt.Fprintf(tw, "harness: refreshconf run, whole catalogue + reports\t%.1f ms\n", r.HarnessMs)
	fmt.Fprintf(tw, "ratio harness/floor\t%.2f x\n", r.Ratio)
	fmt.Fprintf(tw, "harness peak RSS\t%.1f MiB\n", r.HarnessPeakRSSMiB)
	fmt.Fprintf(tw, "bench process peak RSS\t%.1f MiB\n", r.BenchPeakRSSMiB)
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nlatency hiding (catalogue wall time / (floor + audit latency)):")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "AUDIT LATENCY\tWALL\tFLOOR+LATENCY\tRATIO\tPEAK RSS")
	for _, l := range r.Latency {
		fmt.Fprintf(tw, "%.0f ms\t%.1f ms\t%.1f ms\t%.2f x\t%.1f MiB\n", l.AuditLatencyMs, l.WallMs, l.FloorPlusLatencyMs, l.Ratio, l.PeakRSSMiB)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nreference target refresh throughput (%.1f s per level, in-process target):\n", r.ThroughputSecondsPerLevel)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tCONCURRENCY\tRATE\tP50\tP99\tREQUESTS")
	for _, t := range r.Throughput {
		fmt.Fprintf(tw, "%s\t%d\t%.0f req/s\t%.2f ms\t%.2f ms\t%d\n", t.Kind, t.Concurrency, t.PerSecond, t.P50Ms, t.P99Ms, t.Requests)
	}
	return tw.Flush()
}

// median returns the median of v (0 for none).
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// mib converts bytes to MiB.
func mib(b int64) float64 { return float64(b) / (1 << 20) }

// randomHex returns n random bytes in hex.
func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generating a random token: %w", err)
	}
	return hex.EncodeToString(b), nil
}
