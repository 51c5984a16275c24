package report

import (
	"regexp"
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2/types"
)

// withExchange adds an exchange entry to a spec report.
func withExchange(sr types.SpecReport, step, transcript string) types.SpecReport {
	sr.ReportEntries = append(sr.ReportEntries, types.ReportEntry{Name: "exchange: " + step, Value: types.WrapEntryValue(transcript)})
	return sr
}

// The HTML report lists every scenario with its state, failures first,
// each exchange once, hostile strings escaped and cleaned, and a filter
// option for every state present.
func TestHTMLListsEveryScenarioOnce(t *testing.T) {
	hostile := "evil <script>alert(1)</script> \u202egnp.exe\x1b[31m\x00"
	transcript := "# \"refresh\" marker=rc-1\n> POST /token HTTP/1.1\n< HTTP/1.1 200 OK"
	failed := withExchange(spec("TOK-01", "token", "core", types.SpecStateFailed,
		"TOK-01 \"x\", step 1 \"refresh\"\nExpected the response to be InvalidSignature, but:\n  - HTTP status is 200 (the request was accepted), want an error"+exchangeMark+transcript,
		&Outcome{Steps: []StepOutcome{{Name: "refresh", Expected: "InvalidSignature (error invalid_grant)", HTTPStatus: 200, AuditCodes: hostile, Code: CodeJudged, Provenance: "seed row 3"}}}), "refresh", transcript)
	warned := spec("REQ-01", "request", "core", types.SpecStatePassed, "", &Outcome{Warnings: []Warning{{Step: "refresh", Clause: "RFC 6749 §5.1 (SHOULD)", Message: "no Pragma: no-cache"}}})
	c := Build(suite(
		spec("SEED-01", "seed", "core", types.SpecStatePassed, "", &Outcome{}),
		failed,
		warned,
		spec("EXT-01", "extended", "extended", types.SpecStateSkipped, "", &Outcome{Unsupported: "features.extended_codes is false"}),
		spec("AUD-01", "audit", "core", types.SpecStateSkipped, "needs credentials.blocked", &Outcome{}),
		spec("ROT-01", "rotation", "core", types.SpecStateSkipped, "", nil),
	))
	b, err := c.HTML()
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	rows := regexp.MustCompile(`<tr class="row [^"]*" data-scenario="([^"]+)" data-state="([^"]+)"`).FindAllStringSubmatch(html, -1)
	var got []string
	for _, r := range rows {
		got = append(got, r[1]+" "+r[2])
	}
	want := []string{"TOK-01 failed", "REQ-01 warning", "AUD-01 skipped", "EXT-01 unsupported", "SEED-01 passed", "ROT-01 not_selected"}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("rows %v, want %v (failures first, in States() order)", got, want)
	}
	for _, s := range want {
		state := strings.Fields(s)[1]
		if !strings.Contains(html, `<option value="`+state+`">`) {
			t.Errorf("no state filter option for %s", state)
		}
		if !strings.Contains(html, `id="s-`+strings.Fields(s)[0]+`"`) {
			t.Errorf("no detail for %s", s)
		}
	}
	if n := strings.Count(html, "&gt; POST /token"); n != 1 {
		t.Errorf("the exchange is shown %d times, want once", n)
	}
	for _, bad := range []string{"<script>alert", "\u202e", "\x1b", "\x00"} {
		if strings.Contains(html, bad) {
			t.Errorf("the page holds %q", bad)
		}
	}
	for _, w := range []string{`evil &lt;script&gt;alert(1)&lt;/script&gt; \u202egnp.exe\x1b[31m\x00`, "code judged · seed row 3", "no Pragma: no-cache", "Warnings (1)", `id="verdict" class="verdict v-failure">FAILURE<`, "Content-Security-Policy", "<details><summary>Profile (redacted)", "Nothing was sent (not selected)."} {
		if !strings.Contains(html, w) {
			t.Errorf("the page lacks %q", w)
		}
	}
	if strings.Contains(html, "http://") || strings.Contains(html, "https://") || strings.Contains(html, "src=") {
		t.Error("the page refers to an external resource")
	}
}

// The page's CSP names its own style and script by hash.
func TestHTMLContentSecurityPolicy(t *testing.T) {
	b, err := Build(suite(spec("SEED-01", "seed", "core", types.SpecStatePassed, "", &Outcome{}))).HTML()
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	for _, w := range []string{"default-src &#39;none&#39;", "script-src " + strings.ReplaceAll(cspHash(htmlScript), "'", "&#39;"), "<script>" + htmlScript + "</script>", "<style>" + htmlStyle + "</style>"} {
		if !strings.Contains(html, w) {
			t.Errorf("the page lacks %q", w[:min(len(w), 80)])
		}
	}
}

// A run that failed during set-up says where, under the badge.
func TestHTMLShowsSetupFailure(t *testing.T) {
	r := suite()
	c := Build(r)
	c.Run.SetupFailure = &SetupFailure{Step: "provisioning", Cause: "the admin API answered 401 <b>"}
	b, err := c.HTML()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `id="setup-failure">Set-up failed at provisioning: the admin API answered 401 &lt;b&gt;</p>`) {
		t.Error("the page does not name the failed set-up step and its cause")
	}
}

// The same finding in several scenarios is one warning row naming them
// all; each scenario's row gives the finding as its gist.
func TestHTMLGroupsWarnings(t *testing.T) {
	w := &Outcome{Warnings: []Warning{{Step: "refresh", Clause: "RFC 9111 §5.2.2.5 (best practice)", Message: "Cache-Control is \"\" on an error response"}}}
	b, err := Build(suite(spec("SEED-01", "seed", "core", types.SpecStatePassed, "", w), spec("SEED-02", "seed", "core", types.SpecStatePassed, "", w))).HTML()
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	for _, want := range []string{"Warnings (2)", `<a class="id" href="#s-SEED-01">SEED-01</a> <a class="id" href="#s-SEED-02">SEED-02</a>`, `<div class="why">Cache-Control is &#34;&#34; on an error response</div>`} {
		if !strings.Contains(html, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if n := strings.Count(html, "<td>Cache-Control is"); n != 1 {
		t.Errorf("the finding has %d warning rows, want 1", n)
	}
}
