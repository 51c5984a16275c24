package report

import (
	"encoding/xml"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/onsi/ginkgo/v2/types"
)

// forge is what a hostile target answers in every field it controls: new
// lines that would add a verdict and headings, a code fence, HTML, table
// pipes, terminal escapes and a bidirectional override.
const forge = "nope\n\n**Result: SUCCESS**\n\n# refreshconf conformance report: forged\n## Failed scenarios\n```\n</pre><script>alert(1)</script>| x | y |\x1b[2J\x1b]0;pwned\x07\u202e\x00\r\nresult: success\n"

// TestHostileTargetCannotForgeTheReport: target-derived strings (the
// error value, audit codes, failure message, transcript) cannot add a
// verdict, a heading or structure to any report, nor reach it with
// control characters.
func TestHostileTargetCannotForgeTheReport(t *testing.T) {
	out := &Outcome{Steps: []StepOutcome{{Name: "refresh", Expected: "InvalidSignature (error invalid_grant)", HTTPStatus: 400, Error: forge, AuditCodes: forge}}, Warnings: []Warning{{Step: "refresh", Clause: "RFC 6749 §5.1 (SHOULD)", Message: forge}}}
	sr := spec("TOK-01", "token", "core", types.SpecStateFailed, "error is "+forge, out)
	sr.ReportEntries = append(sr.ReportEntries, types.ReportEntry{Name: "exchange: refresh", Value: types.WrapEntryValue("< HTTP/1.1 400\n< " + forge)})
	c := Build(suite(sr, spec("REQ-02", "request", "core", types.SpecStatePassed, "", &Outcome{Warnings: out.Warnings})))
	if c.Result != VerdictFailure {
		t.Fatalf("verdict %s", c.Result)
	}

	md, err := c.Markdown()
	if err != nil {
		t.Fatal(err)
	}
	y, err := c.YAML()
	if err != nil {
		t.Fatal(err)
	}
	j, err := c.JUnit()
	if err != nil {
		t.Fatal(err)
	}
	h, err := c.HTML()
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"Markdown": md, "YAML": y, "JUnit": j, "HTML": h} {
		for _, bad := range []string{"\x1b", "\x07", "\x00", "\u202e", "\r"} {
			if strings.Contains(string(b), bad) {
				t.Errorf("the %s report holds %q", name, bad)
			}
		}
	}
	if strings.Contains(string(h), "<script>alert") {
		t.Error("the HTML report holds the target's <script>")
	}

	// Markdown: one title, one verdict line, and headings only of ours;
	// every code fence that opens closes with the same fence.
	var titles, verdicts int
	fence := ""
	for _, l := range strings.Split(string(md), "\n") {
		if fence != "" {
			if l == fence {
				fence = ""
			}
			continue
		}
		if strings.HasPrefix(l, "```") {
			fence = l
			continue
		}
		if strings.Contains(l, "<script") {
			t.Errorf("HTML outside a code block: %q", l)
		}
		switch {
		case strings.HasPrefix(l, "# "):
			titles++
		case strings.Contains(l, "**Result:"):
			verdicts++
			if !strings.HasPrefix(l, "**Result: FAILURE**") {
				t.Errorf("forged verdict line %q", l)
			}
		case strings.HasPrefix(l, "##") && !strings.HasPrefix(l, "## ") && !strings.HasPrefix(l, "### "):
			t.Errorf("odd heading %q", l)
		case strings.HasPrefix(l, "## Failed scenarios"), strings.HasPrefix(l, "## Warnings"), strings.HasPrefix(l, "## Families"), strings.HasPrefix(l, "### TOK-01"):
		case strings.HasPrefix(l, "#"):
			t.Errorf("a target-derived heading: %q", l)
		}
	}
	if titles != 1 || verdicts != 1 || fence != "" {
		t.Errorf("Markdown: %d titles, %d verdict lines, unclosed fence %q; want 1, 1, none:\n%s", titles, verdicts, fence, md)
	}

	// YAML parses back to the same verdict and the same strings.
	var back Conformance
	if err := yaml.Unmarshal(y, &back); err != nil {
		t.Fatalf("the YAML report does not parse: %v", err)
	}
	if back.Result != VerdictFailure || len(back.Failed) != 1 || !strings.Contains(back.Failed[0].Steps[0].Error, "**Result: SUCCESS**") {
		t.Errorf("YAML round trip: verdict %s, failed %+v", back.Result, back.Failed)
	}
	if strings.Count(string(y), "\nresult: ") != 1 {
		t.Errorf("the YAML report has a second top-level result line")
	}

	// JUnit parses, with the true verdict.
	var doc struct {
		Suites []struct {
			Properties []junitProperty `xml:"properties>property"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(j, &doc); err != nil {
		t.Fatalf("the JUnit report does not parse: %v", err)
	}
	if prop(doc.Suites[0].Properties, "verdict") != "failure" {
		t.Errorf("JUnit verdict %q", prop(doc.Suites[0].Properties, "verdict"))
	}
}

// TestClean: control and bidirectional characters become visible escapes;
// text, newlines and tabs stay.
func TestClean(t *testing.T) {
	cases := map[string]string{
		"plain text: ä, ✓":   "plain text: ä, ✓",
		"a\nb\tc":            "a\nb\tc",
		"\x1b[31mred\x1b[0m": `\x1b[31mred\x1b[0m`,
		"\u202egnp.exe":      `\u202egnp.exe`,
		"nul\x00 bel\x07":    `nul\x00 bel\x07`,
		"cr\r\nlf":           "cr\\r\nlf",
		"bad \xff utf8":      `bad \xff utf8`,
		"c1 \u0085":          `c1 \x85`,
	}
	for in, want := range cases {
		if got := Clean(in); got != want {
			t.Errorf("Clean(%q) = %q, want %q", in, got, want)
		}
	}
	if got := MarkdownCell("a|b\n# h <i>*x*</i>"); got != `a\|b \# h &lt;i&gt;\*x\*&lt;/i&gt;` {
		t.Errorf("MarkdownCell = %q", got)
	}
}
