package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/refreshconf/refreshconf/client"
	"github.com/refreshconf/refreshconf/client/audit"
	"github.com/refreshconf/refreshconf/client/mutate"
	"github.com/refreshconf/refreshconf/fixtures/profile"
)

// fuzzer sends mutations and tallies their outcomes.
type fuzzer struct {
	p            *profile.Profile
	c            *client.Client
	red          *client.Redactor
	gen          *mutate.Generator
	src          audit.Source // nil: audit rows not checked
	tokenURL     string
	concurrency  int
	auditTimeout time.Duration
}

func (f *fuzzer) auditName() string {
	if f.src == nil {
		return "none (audit rows not checked)"
	}
	return f.src.Name() + " (one row per request checked)"
}

// fuzzResult is the tally of a run. Counts are per request; a request can
// break two invariants (a bad body and a missing row), so the outcome
// counts may add up to more than requests.
type fuzzResult struct {
	mu         sync.Mutex
	requests   int
	violations int // requests that broke at least one invariant
	counts     map[string]int
	families   map[string][2]int // family -> requests, violations
	examples   map[string][]string
	elapsed    time.Duration
	audited    bool
}

func newFuzzResult(audited bool) *fuzzResult {
	return &fuzzResult{counts: map[string]int{}, families: map[string][2]int{}, examples: map[string][]string{}, audited: audited}
}

// verdict is one broken invariant of one request.
type verdict struct{ outcome, reason string }

// record tallies one finished request.
func (r *fuzzResult) record(m mutate.Mutation, summary string, vs []verdict, note *verdict, rateLimited bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests++
	fam := r.families[m.Family]
	fam[0]++
	switch {
	case len(vs) > 0:
		r.violations++
		fam[1]++
		for _, v := range vs {
			r.counts[v.outcome]++
			if len(r.examples[v.outcome]) < fuzzExamples {
				r.examples[v.outcome] = append(r.examples[v.outcome], fmt.Sprintf("%s: %s\n      %s", m.Name, v.reason, summary))
			}
		}
	case rateLimited:
		r.counts[mutate.OutcomeRateLimited]++
	case note != nil:
		r.counts[note.outcome]++
		if len(r.examples[note.outcome]) < fuzzExamples {
			r.examples[note.outcome] = append(r.examples[note.outcome], fmt.Sprintf("%s: %s\n      %s", m.Name, note.reason, summary))
		}
	default:
		r.counts[mutate.OutcomeOK]++
	}
	r.families[m.Family] = fam
}

// line is the one-line tally of the progress display.
func (r *fuzzResult) line() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	parts := make([]string, 0, 8)
	for _, o := range mutate.Outcomes() {
		if o == mutate.OutcomeRateLimited && r.counts[o] == 0 {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %d", o, r.counts[o]))
	}
	return fmt.Sprintf("%d requests: %s", r.requests, strings.Join(parts, ", "))
}

// print writes the summary table, the per-family counts and the examples.
func (r *fuzzResult) print(w io.Writer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rate := 0.0
	if r.elapsed > 0 {
		rate = float64(r.requests) / r.elapsed.Seconds()
	}
	fmt.Fprintf(w, "\n%d requests in %s (%.0f/s)\n", r.requests, r.elapsed.Round(time.Millisecond), rate)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "outcome\trequests\t")
	for _, o := range mutate.Outcomes() {
		n := fmt.Sprint(r.counts[o])
		switch {
		case (o == mutate.OutcomeMissingRow || o == mutate.OutcomeDuplicateRow) && !r.audited:
			n = "not checked"
		case o == mutate.OutcomeRateLimited && r.counts[o] == 0:
			continue
		case o == mutate.OutcomeRateLimited:
			n += " (429, not judged)"
		}
		fmt.Fprintf(tw, "%s\t%s\t\n", o, n)
	}
	_ = tw.Flush()
	var fams []string
	for _, fam := range mutate.Families() {
		c := r.families[fam]
		fams = append(fams, fmt.Sprintf("%s %d (%d broke)", fam, c[0], c[1]))
	}
	fmt.Fprintf(w, "by family: %s\n", strings.Join(fams, ", "))
	if r.violations == 0 {
		fmt.Fprintf(w, "result: pass, no invariant (MUST) broke; %d warning(s) (SHOULD), %d acceptable mutation(s) accepted\n", r.counts[mutate.OutcomeWarning], r.counts[mutate.OutcomeAllowed])
	} else {
		fmt.Fprintf(w, "result: FAIL, %d of %d requests broke an invariant (MUST); %d warning(s) (SHOULD) apart\n", r.violations, r.requests, r.counts[mutate.OutcomeWarning])
	}
	for _, o := range mutate.Outcomes() {
		ex := r.examples[o]
		if len(ex) == 0 {
			continue
		}
		fmt.Fprintf(w, "examples of %s (%d of %d):\n", o, len(ex), r.counts[o])
		for _, e := range ex {
			fmt.Fprintf(w, "  - %s\n", e)
		}
	}
}

// run fires mutations from f.concurrency workers for d, then awaits the
// audit rows of the answered ones.
func (f *fuzzer) run(ctx context.Context, d time.Duration, pr *progress) *fuzzResult {
	res := newFuzzResult(f.src != nil)
	var poller *audit.Poller
	var rs *audit.ResponseSource
	pctx, stopPoller := context.WithCancel(ctx)
	defer stopPoller()
	if f.src != nil {
		rs, _ = f.src.(*audit.ResponseSource)
		poller = audit.NewPoller(f.src, audit.PollerOptions{
			Contains: f.c.MarkerPrefix(), Interval: f.p.Timeouts.AuditPoll.Std(), ClockSkew: f.p.Timeouts.ClockSkew.Std(),
			Start: time.Now(), FetchTimeout: f.p.Timeouts.Request.Std(),
		})
		poller.Start(pctx)
	}
	start := time.Now()
	deadline := start.Add(d)
	stopProgress := pr.start(res, start, d)
	var fire, awaits sync.WaitGroup
	for range f.concurrency {
		fire.Go(func() {
			for ctx.Err() == nil && time.Now().Before(deadline) {
				m := f.gen.Next()
				ex := f.c.Do(ctx, m.Request)
				if ctx.Err() != nil {
					return // interrupted: not judged
				}
				outcome, reason := mutate.Check(m, ex, f.red)
				var vs []verdict
				var note *verdict // a warning, or an allowed acceptance
				switch {
				case mutate.Violation(outcome):
					vs = append(vs, verdict{outcome, reason})
				case outcome == mutate.OutcomeWarning || outcome == mutate.OutcomeAllowed:
					note = &verdict{outcome, reason}
				}
				rateLimited := outcome == mutate.OutcomeRateLimited
				if poller == nil || ex.Err != nil {
					res.record(m, ex.Summary(), vs, note, rateLimited)
					continue
				}
				if rs != nil {
					rs.Observe(ex.Marker, ex.Status, ex.Header, ex.Body())
				}
				awaits.Go(func() {
					vs := append(vs, f.auditVerdict(ctx, poller, ex.Marker)...)
					if ctx.Err() == nil {
						res.record(m, ex.Summary(), vs, note, rateLimited)
					}
				})
			}
		})
	}
	fire.Wait()
	res.mu.Lock()
	res.elapsed = time.Since(start)
	res.mu.Unlock()
	stopProgress()
	if poller != nil {
		pr.note(fmt.Sprintf("awaiting the audit rows (at most %s)...", f.auditTimeout))
	}
	awaits.Wait()
	return res
}

// auditVerdict awaits marker's audit rows: none is a missing row, more
// than one a duplicate.
func (f *fuzzer) auditVerdict(ctx context.Context, poller *audit.Poller, marker string) []verdict {
	entries, err := poller.Await(ctx, marker, f.auditTimeout)
	var te *audit.TimeoutError
	switch {
	case err == nil && len(entries) == 1:
		return nil
	case err == nil || (errors.As(err, &te) && len(entries) > 1):
		if len(entries) > 1 {
			return []verdict{{mutate.OutcomeDuplicateRow, fmt.Sprintf("%d audit rows for one request", len(entries))}}
		}
		return []verdict{{mutate.OutcomeMissingRow, "no audit row"}}
	case errors.As(err, &te):
		if te.Seen {
			return nil // one row seen, no further poll confirmed it before the timeout
		}
		why := fmt.Sprintf("no audit row within %s", f.auditTimeout)
		if te.LastError != "" {
			why += " (last audit query error: " + f.red.Redact(te.LastError) + ")"
		}
		return []verdict{{mutate.OutcomeMissingRow, why}}
	default:
		if ctx.Err() != nil {
			return nil
		}
		return []verdict{{mutate.OutcomeMissingRow, "awaiting the audit row: " + f.red.Redact(err.Error())}}
	}
}

// progress prints the tally every second on stderr: in place on a
// terminal, one plain line per second otherwise.
type progress struct {
	w      io.Writer
	mode   string // auto, plain, off
	inline bool
	mu     sync.Mutex
}

func newProgress(w io.Writer, mode string) *progress {
	return &progress{w: w, mode: mode, inline: mode == "auto" && isTerminal(w)}
}

// start prints a line every second until the returned stop is called,
// which prints the final line.
func (p *progress) start(res *fuzzResult, started time.Time, d time.Duration) (stop func()) {
	if p.mode == "off" {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				p.print(fmt.Sprintf("fuzz %s/%s  %s", time.Since(started).Round(time.Second), d, res.line()), false)
			}
		}
	}()
	return func() {
		close(done)
		<-finished
		p.print(fmt.Sprintf("fuzz done after %s  %s", time.Since(started).Round(time.Millisecond), res.line()), true)
	}
}

func (p *progress) print(s string, final bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.inline {
		fmt.Fprintf(p.w, "\r\033[K%s", s)
		if final {
			fmt.Fprintln(p.w)
		}
		return
	}
	fmt.Fprintln(p.w, s)
}

// note prints one message line.
func (p *progress) note(s string) {
	if p.mode == "off" {
		return
	}
	p.print(s, true)
}
