package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/refreshconf/refreshconf/fixtures/codes"
	"github.com/refreshconf/refreshconf/fixtures/profile"
	"github.com/refreshconf/refreshconf/fixtures/provision"
	"github.com/refreshconf/refreshconf/fixtures/target"
	"github.com/refreshconf/refreshconf/suites/report"
)

// TestNetSuiteCodesWholeCatalogue runs the whole catalogue against the
// embedded target writing only NetSuite's documented codes, judged with the
// netsuite dialect: no failure, every code it wrote where the catalogue's
// code is the reference target's own is documented and shown in the report.
func TestNetSuiteCodesWholeCatalogue(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "report")
	res := runCLI(t, 3*time.Minute, nil, "run", "--codes", "netsuite", "--report-dir", dir, "--no-color", "--quiet-report-path")
	c := readReport(t, dir)
	if res.Code != 0 || c.Result != report.Success || len(c.Failed) != 0 {
		for _, f := range c.Failed {
			t.Errorf("%s failed: %s", f.ID, firstLine(f.Reason))
		}
		t.Fatalf("exit %d, result %s, summary %+v; want success", res.Code, c.Result, c.Summary)
	}
	if c.Run.Dialect != profile.DialectNetSuite {
		t.Errorf("run.dialect = %q", c.Run.Dialect)
	}
	if len(c.Recorded) < 20 {
		t.Errorf("only %d recorded steps: %+v", len(c.Recorded), c.Recorded)
	}
	for _, r := range c.Recorded {
		// (A concurrent-refresh step may succeed: "(Success)".)
		if r.Wrote != "(Success)" && (!codes.Documented(codes.Code(r.Wrote)) || r.Wrote == "") {
			t.Errorf("%s %s: the documented-codes target wrote %q", r.ID, r.Step, r.Wrote)
		}
		if !strings.Contains(r.Provenance, "reference: ") {
			t.Errorf("%s: recorded with provenance %q", r.ID, r.Provenance)
		}
	}
	md, err := os.ReadFile(filepath.Join(dir, report.FileMarkdown))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "CODES RECORDED, NOT JUDGED") || !strings.Contains(string(md), "| REQ-16 | refresh |") {
		t.Errorf("the Markdown report does not show the recorded codes:\n%s", md)
	}
}

// TestPinsAndDialectEndToEnd: against a target writing only documented
// codes, the reference dialect fails a reference-only scenario (the
// harness's own dialect), the netsuite dialect records it, and a pin is
// asserted exactly (a wrong pin fails) and listed at the top of the report.
func TestPinsAndDialectEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	running, err := target.Start(ctx, target.Config{Codes: target.CodesNetSuite}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		_ = running.Shutdown(sctx)
	})
	p, err := provision.Reference(ctx, running.URL, running.Server.AdminToken(), provision.ReferenceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	run := func(name, dialect string, pins map[string]string) *report.Conformance {
		p.Codes = profile.Codes{Dialect: dialect, Pins: pins}
		path := filepath.Join(dir, name+".yaml")
		if err := writeProfileFile(path, p); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, name)
		runCLI(t, 2*time.Minute, nil, "run", "--profile", path, "--label-filter", "id:REQ-08 || id:REQ-10 || id:REQ-11", "--report-dir", out, "--no-color")
		return readReport(t, out)
	}
	failed := func(c *report.Conformance) map[string]string {
		m := map[string]string{}
		for _, f := range c.Failed {
			m[f.ID] = f.Reason
		}
		return m
	}

	c := run("reference", profile.DialectReference, nil)
	if f := failed(c); len(f) != 3 || !strings.Contains(f["REQ-08"], "Detail is InvalidGrantType, want InvalidRequest") {
		t.Errorf("reference dialect against documented codes: failed %v, want REQ-08, REQ-10, REQ-11 on their codes", f)
	}

	c = run("netsuite", profile.DialectNetSuite, nil)
	if len(c.Failed) != 0 || c.Summary.Passed != 3 || len(c.Recorded) != 3 {
		t.Errorf("netsuite dialect: summary %+v, recorded %+v; want 3 passed, 3 recorded", c.Summary, c.Recorded)
	}

	c = run("pinned", profile.DialectNetSuite, map[string]string{"REQ-08": "InvalidGrantType", "REQ-10": "InvalidGrantType"})
	f := failed(c)
	if len(f) != 1 || !strings.Contains(f["REQ-10"], "Detail is InvalidRefreshToken, want InvalidGrantType") {
		t.Errorf("pins: failed %v; want REQ-10 only (its pin is wrong)", f)
	}
	if strings.Join(c.Run.Pins, ";") != "REQ-08: InvalidGrantType;REQ-10: InvalidGrantType" {
		t.Errorf("run.pins = %q", c.Run.Pins)
	}
	if len(c.Notices) == 0 || !strings.HasPrefix(c.Notices[0], "PINNED CODES") {
		t.Errorf("notices %q: the pins are not listed first", c.Notices)
	}
	if len(c.Recorded) != 1 || c.Recorded[0].ID != "REQ-11" {
		t.Errorf("recorded %+v, want REQ-11 only", c.Recorded)
	}
	for _, st := range c.Failed[0].Steps {
		if st.Code != report.CodePinned || !strings.HasPrefix(st.Provenance, "pinned by the profile") {
			t.Errorf("REQ-10 step %+v: want judgement pinned", st)
		}
	}
}
