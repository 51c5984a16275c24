package report

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2/types"
)

// withAuditSource sets the run's audit source in a suite report.
func withAuditSource(r types.Report, src string) types.Report {
	info, _ := json.Marshal(RunInfo{Target: "no-trail", Mode: "profile", AuditSource: src, HarnessVersion: "test"})
	r.SpecReports[0].ReportEntries[0].Value.AsJSON = string(info)
	return r
}

func firstLineOf(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\n")
	return s
}

func TestNoAuditSourceNoticeComesFirst(t *testing.T) {
	r := withAuditSource(suite(
		spec("REQ-01", "request", "core", types.SpecStatePassed, "", &Outcome{NotJudged: true}),
		spec("REQ-02", "request", "core", types.SpecStateFailed, "HTTP status is 200", &Outcome{}),
	), "none")
	c := Build(r)
	if c.Result != Failure || c.Summary.NotJudged != 1 || c.Summary.Passed != 0 {
		t.Fatalf("result %s summary %+v: a not-judged scenario must never count as passed", c.Result, c.Summary)
	}
	if len(c.Notices) != 1 || !strings.HasPrefix(c.Notices[0], NoAuditNotice) {
		t.Fatalf("notices = %q", c.Notices)
	}
	y, err := c.YAML()
	if err != nil {
		t.Fatal(err)
	}
	md, err := c.Markdown()
	if err != nil {
		t.Fatal(err)
	}
	html, err := c.HTML()
	if err != nil {
		t.Fatal(err)
	}
	if l := firstLineOf(y); !strings.HasPrefix(l, "# "+NoAuditNotice) {
		t.Errorf("YAML first line = %q", l)
	}
	if l := firstLineOf(md); !strings.HasPrefix(l, "> **"+NoAuditNotice) {
		t.Errorf("Markdown first line = %q", l)
	}
	// HTML: the notice is in the head's first lines and is the first thing
	// the body shows.
	head := strings.SplitN(string(html), "\n", 4)
	if !strings.Contains(head[2], `name="refreshconf-notice"`) || !strings.Contains(head[2], NoAuditNotice) {
		t.Errorf("HTML line 3 = %q, want the notice meta tag", head[2])
	}
	body := string(html)[strings.Index(string(html), "<body>"):]
	if i, j := strings.Index(body, NoAuditNotice), strings.Index(body, "<h1>"); i < 0 || i > j {
		t.Errorf("the HTML body does not show the notice before its title")
	}

	// With an audit source there is no such notice.
	if c := Build(suite(spec("REQ-01", "request", "core", types.SpecStatePassed, "", &Outcome{}))); len(c.Notices) != 0 {
		t.Errorf("notices with an audit source: %q", c.Notices)
	}
}

func TestUnclassifiedNotice(t *testing.T) {
	r := withAuditSource(suite(
		spec("SEED-03", "seed", "core", types.SpecStateFailed, "Detail is Unclassified", &Outcome{Steps: []StepOutcome{{Name: "refresh", AuditCodes: "Unclassified [reason=\"odd\"]"}}}),
		spec("SEED-04", "seed", "core", types.SpecStateFailed, "Detail is InvalidScope", &Outcome{Steps: []StepOutcome{{Name: "refresh", AuditCodes: "InvalidScope"}}}),
	), "jsonl")
	c := Build(r)
	if len(c.Notices) != 1 || !strings.Contains(c.Notices[0], "UNCLASSIFIED: 1 scenario(s)") || !strings.Contains(c.Notices[0], "SEED-03") || strings.Contains(c.Notices[0], "SEED-04") {
		t.Fatalf("notices = %q", c.Notices)
	}
	md, _ := c.Markdown()
	if !strings.Contains(string(md), `reason=\"odd\"`) && !strings.Contains(string(md), `reason="odd"`) {
		t.Errorf("the Markdown report does not show the unclassified reason:\n%s", md)
	}
}
