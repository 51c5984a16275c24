package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/refreshconf/refreshconf/fixtures/codes"
	"github.com/refreshconf/refreshconf/fixtures/target"
	"github.com/refreshconf/refreshconf/suites/catalogue"
	"github.com/refreshconf/refreshconf/suites/framework"
	"github.com/refreshconf/refreshconf/suites/report"
)

// matrixParallelEnv overrides how many matrix runs go at once (default
// matrixParallel).
const matrixParallelEnv = "REFRESHCONF_MATRIX_PARALLEL"

// matrixParallel runs three catalogue runs at a time: a run mostly waits
// on loopback I/O (about a third of a core each on the 2-core CI machine).
const matrixParallel = 3

// matrixAuditTimeout keeps the audit-fault runs short: a run that loses
// rows waits for the run-wide audit deadline once.
const matrixAuditTimeout = "3s"

// matrixShort is the -short subset: one per kind of fault.
var matrixShort = []string{
	"ignore-blocked",                   // a check skipped
	"swap:InvalidSignature=MissingKey", // an audit code swapped
	"echo-token",                       // a response fault
	"skip-client-auth",                 // the canary secret's scenario
	"duplicate-audit-row",              // an audit fault
	"refresh-race",                     // a rotation fault
	"no-confidential-family-revoke",    // a fault of rotate-everything mode
}

// matrixRun is what one catalogue run with one defect on produced.
type matrixRun struct {
	entry   target.MatrixEntry
	failed  map[string]report.ScenarioResult
	passed  map[string]bool
	warned  []string
	exit    int
	elapsed time.Duration
	err     string // the run itself went wrong
}

// TestDefectMatrix proves that the catalogue catches every defect of the
// reference target: for each entry of target.Matrix() it runs the whole
// catalogue against the embedded target with that defect on and compares
// the failed scenarios with the declared ones. It then checks coverage both
// ways: every defect is caught by a spec, and every scenario is broken by
// a targeted (non-hygiene) defect.
func TestDefectMatrix(t *testing.T) { defectMatrix(t, "") }

// TestDefectMatrixNetSuite is the defect matrix with the embedded target
// writing only NetSuite's documented codes (--codes netsuite), judged with
// the netsuite dialect: every defect that applies is still caught, and
// every scenario is still broken by a targeted defect. A swap of a code
// only the reference target defines does not apply (that mode never
// writes the code).
func TestDefectMatrixNetSuite(t *testing.T) { defectMatrix(t, framework.CodesNetSuite) }

// defectMatrix runs the matrix with the embedded target's code mode
// codesMode ("" or netsuite).
func defectMatrix(t *testing.T, codesMode string) {
	all := catalogueIDs()
	entries := target.Matrix()
	checkDeclaredMatrix(t, entries, all)
	if codesMode != "" {
		entries = slices.DeleteFunc(entries, func(e target.MatrixEntry) bool { return !appliesNetSuite(e) })
	}
	if testing.Short() {
		n := len(entries)
		entries = slices.DeleteFunc(entries, func(e target.MatrixEntry) bool { return !slices.Contains(matrixShort, e.Defect) })
		if len(entries) != len(matrixShort) && n == len(target.Matrix()) {
			t.Fatalf("the -short subset names defects without a matrix entry: %v", matrixShort)
		}
	}
	par := matrixParallel
	if v := os.Getenv(matrixParallelEnv); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("%s=%q: want a positive number of parallel runs", matrixParallelEnv, v)
		}
		par = n
	}

	start := time.Now()
	runs := make([]*matrixRun, len(entries))
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	for i, e := range entries {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			runs[i] = runMatrixEntry(t, e, all, codesMode)
		})
	}
	wg.Wait()
	total := time.Since(start)
	if slices.Contains(runs, nil) {
		t.Fatal("a matrix run could not be started (see above)")
	}

	var problems []string
	killedDefects, brokenByTargeted := 0, map[string]bool{}
	var slowest *matrixRun
	for _, r := range runs {
		if slowest == nil || r.elapsed > slowest.elapsed {
			slowest = r
		}
		problems = append(problems, r.problems(all)...)
		if len(r.failed) > 0 {
			killedDefects++
		}
		if r.entry.Hygiene == "" {
			for _, id := range r.entry.Breaks {
				if _, ok := r.failed[id]; ok {
					brokenByTargeted[id] = true
				}
			}
		}
	}
	if !testing.Short() {
		for _, id := range all {
			if !brokenByTargeted[id] {
				problems = append(problems, fmt.Sprintf("scenario %s is broken by no targeted defect: add a defect to fixtures/target that breaks what it checks, with its matrix entry", id))
			}
		}
	}
	checkFailureMessages(t, runs)

	t.Logf("defect matrix: %d defects (entries), %d scenarios; defects caught %d/%d (%.0f%%); scenarios broken by a targeted defect %d/%d (%.0f%%); %d runs, %d at a time, in %s (slowest %s: %s)",
		len(runs), len(all), killedDefects, len(runs), pct(killedDefects, len(runs)),
		len(brokenByTargeted), len(all), pct(len(brokenByTargeted), len(all)),
		len(runs), par, total.Round(100*time.Millisecond), slowest.entry.Defect, slowest.elapsed.Round(100*time.Millisecond))
	for _, p := range problems {
		t.Error(p)
	}
}

func pct(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return 100 * float64(n) / float64(of)
}

// catalogueIDs returns every scenario ID, sorted.
func catalogueIDs() []string {
	var out []string
	for _, s := range catalogue.All() {
		out = append(out, s.ID)
	}
	slices.Sort(out)
	return out
}

// checkDeclaredMatrix checks the matrix against the catalogue before
// anything runs: every ID exists, and every scenario is declared broken by
// some targeted entry.
func checkDeclaredMatrix(t *testing.T, entries []target.MatrixEntry, all []string) {
	t.Helper()
	declared := map[string]bool{}
	for _, e := range entries {
		for _, id := range slices.Concat(e.Breaks, e.Collateral, e.AllBut) {
			if !slices.Contains(all, id) {
				t.Errorf("matrix entry %s names %s, which is not in the catalogue", e.Defect, id)
			}
		}
		if e.Hygiene == "" {
			for _, id := range e.Breaks {
				declared[id] = true
			}
		}
	}
	for _, id := range all {
		if !declared[id] {
			t.Errorf("scenario %s is in no targeted matrix entry's Breaks: add a defect that breaks it (fixtures/target/matrix.go)", id)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}

// runMatrixEntry runs the catalogue with e's defect on, in a child process.
func runMatrixEntry(t *testing.T, e target.MatrixEntry, all []string, codesMode string) *matrixRun {
	dir := filepath.Join(t.TempDir(), "report")
	args := []string{"run", "--defect", e.Defect, "--audit-timeout", matrixAuditTimeout, "--report-dir", dir, "--no-color", "--quiet-report-path"}
	if codesMode != "" {
		args = append(args, "--codes", codesMode)
	}
	if e.RotateAll {
		args = append(args, "--rotate-all")
	}
	res := runCLI(t, 5*time.Minute, nil, args...)
	r := &matrixRun{entry: e, exit: res.Code, elapsed: res.Elapsed, failed: map[string]report.ScenarioResult{}, passed: map[string]bool{}}
	c, err := readConformance(dir)
	if err != nil {
		r.err = fmt.Sprintf("no report (exit %d): %v\n%s", res.Code, err, lastLines(res.Stdout+res.Stderr, 20))
		return r
	}
	if len(c.HarnessErrors) > 0 {
		r.err = "harness errors: " + strings.Join(c.HarnessErrors, "; ")
	}
	for _, f := range c.Failed {
		r.failed[f.ID] = f
	}
	for _, w := range c.Warnings {
		r.warned = append(r.warned, w.ID)
	}
	slices.Sort(r.warned)
	notRun := map[string]bool{}
	for _, l := range [][]report.ScenarioResult{c.Skipped, c.Unsupported, c.NotJudged} {
		for _, s := range l {
			notRun[s.ID] = true
		}
	}
	for _, id := range all {
		if _, f := r.failed[id]; !f && !notRun[id] {
			r.passed[id] = true
		}
	}
	if c.Summary.Total != len(all) {
		r.err += fmt.Sprintf(" the run judged %d scenarios, the catalogue has %d", c.Summary.Total, len(all))
	}
	return r
}

// problems compares one run with its entry.
func (r *matrixRun) problems(all []string) []string {
	d := r.entry.Defect
	if r.err != "" {
		return []string{fmt.Sprintf("defect %s: the run went wrong: %s", d, r.err)}
	}
	var p []string
	want := r.entry.Expected(all)
	if len(r.failed) == 0 {
		p = append(p, fmt.Sprintf("defect %s: caught by no spec (every scenario passed); declared: %s", d, strings.Join(want, ",")))
	}
	if r.exit != 1 {
		p = append(p, fmt.Sprintf("defect %s: refreshconf run exited %d, want 1", d, r.exit))
	}
	for _, id := range want {
		if r.passed[id] {
			p = append(p, fmt.Sprintf("defect %s: declared scenario %s passed", d, id))
		} else if _, ok := r.failed[id]; !ok {
			p = append(p, fmt.Sprintf("defect %s: declared scenario %s did not run (skipped or not judged)", d, id))
		}
	}
	for id, f := range r.failed {
		if !slices.Contains(want, id) {
			p = append(p, fmt.Sprintf("defect %s: scenario %s failed unexpectedly: %s", d, id, firstLine(f.Reason)))
		}
	}
	// A SHOULD-level fault shows as warnings, exactly where declared.
	if warns := r.entry.ExpectedWarnings(all); !slices.Equal(r.warned, warns) {
		p = append(p, fmt.Sprintf("defect %s: scenarios in state warning %v, declared %v", d, r.warned, warns))
	}
	slices.Sort(p)
	return p
}

// markRE matches the redactor's marks, e.g. <primary.refresh_token#a1b2c3>.
var markRE = regexp.MustCompile(`<[A-Za-z0-9_.\-]+#[0-9a-f]{6}>`)

// checkFailureMessages reads representative failures as a person would:
// each names the scenario, the expected and the actual code, carries the
// redacted exchange, and no secret.
func checkFailureMessages(t *testing.T, runs []*matrixRun) {
	t.Helper()
	cases := []struct {
		defect, id, expected, actual string
		inReason                     bool // the actual code is in the reason itself
	}{
		{"swap:InvalidSignature=MissingKey", "SEED-03", "InvalidSignature", "MissingKey", true},
		{"ignore-blocked", "SEED-13", "IntegrationBlocked", "(Success)", false},
		{"echo-token", "SEED-03", "InvalidSignature", "InvalidSignature", false},
		{"skip-client-auth", "AUD-04", "ClientAuthenticationFailed", "(Success)", false},
		{"duplicate-audit-row", "REQ-01", "Success", "(Success),(Success)", false},
	}
	for _, c := range cases {
		i := slices.IndexFunc(runs, func(r *matrixRun) bool { return r.entry.Defect == c.defect })
		if i < 0 {
			continue // not in this (-short) selection
		}
		f, ok := runs[i].failed[c.id]
		if !ok {
			continue // reported by the comparison
		}
		where := fmt.Sprintf("the report's failure of %s under defect %s", c.id, c.defect)
		if !strings.Contains(f.Reason, c.id) {
			t.Errorf("%s does not name the scenario: %s", where, f.Reason)
		}
		if !strings.Contains(f.Reason, c.expected) {
			t.Errorf("%s does not name the expected code %s:\n%s", where, c.expected, f.Reason)
		}
		var actual []string
		for _, s := range f.Steps {
			actual = append(actual, s.AuditCodes)
		}
		if !slices.Contains(actual, c.actual) {
			t.Errorf("%s: steps' actual audit codes are %q, want %q", where, actual, c.actual)
		}
		if c.inReason && !strings.Contains(f.Reason, c.actual) {
			t.Errorf("%s does not name the actual code %s:\n%s", where, c.actual, f.Reason)
		}
		if !strings.Contains(f.Transcript, "> POST ") || !strings.Contains(f.Transcript, "< HTTP/1.1 ") {
			t.Errorf("%s carries no redacted exchange:\n%s", where, f.Transcript)
		}
		if !markRE.MatchString(f.Transcript) {
			t.Errorf("%s: the exchange shows no redaction mark although it sent a credential:\n%s", where, f.Transcript)
		}
		for _, text := range []string{f.Reason, f.Transcript} {
			bare := markRE.ReplaceAllString(text, "")
			if strings.Contains(bare, "eyJ") {
				t.Errorf("%s shows a JWT outside a redaction mark:\n%s", where, text)
			}
			if strings.Contains(bare, catalogue.CanaryWrongSecret) {
				t.Errorf("%s shows the canary wrong secret:\n%s", where, text)
			}
		}
	}
}

// appliesNetSuite reports whether e's defect can show with the target
// writing only documented codes: a swap of a code NetSuite does not
// document cannot (the target never writes that code).
func appliesNetSuite(e target.MatrixEntry) bool {
	rest, ok := strings.CutPrefix(e.Defect, "swap:")
	if !ok {
		return true
	}
	from, _, _ := strings.Cut(rest, "=")
	return codes.Documented(codes.Code(from))
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
