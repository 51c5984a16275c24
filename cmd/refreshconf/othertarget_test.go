package main

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/refreshconf/refreshconf/fixtures/othertarget"
	"github.com/refreshconf/refreshconf/fixtures/profile"
	"github.com/refreshconf/refreshconf/fixtures/provision"
	"github.com/refreshconf/refreshconf/suites/report"
)

// otherTargetRules classify the second target's log reasons (its own
// words, in its JSON-lines log) into audit codes.
const otherTargetRules = `    - {field: outcome, match: "^granted$", code: Success}
    - {field: reason, match: "^signature verification failed$", code: InvalidSignature}
    - {field: reason, match: "^foreign issuer$", code: InvalidSignature}
    - {field: reason, match: "^missing key id$", code: MissingKeyId}
    - {field: reason, match: "^unknown key id$", code: MissingKey}
    - {field: reason, match: "^token not parseable$", code: MalformedToken}
    - {field: reason, match: "^presented token is not a refresh token$", code: InvalidRefreshToken}
    - {field: reason, match: "^refresh token past its expiry$", code: RefreshTokenExpired}
    - {field: reason, match: "^token id unknown$", code: UnknownToken}
    - {field: reason, match: "^token revoked$", code: TokenRevoked}
    - {field: reason, match: "reuse detected", code: TokenReused}
    - {field: reason, match: "^token belongs to another client$", code: InvalidIntegration}
    - {field: reason, match: "^scope broadening refused$", code: ScopeExceedsGrant}
    - {field: reason, match: "^grant type ", code: InvalidGrantType}
    - {field: reason, match: "^(unknown client|client secret mismatch|no client credentials|client id mismatch between header and body|public client sent a secret)$", code: ClientAuthenticationFailed}
    - {field: reason, match: "^(wrong http method|wrong content type|parameters in query string|unparsable body|repeated parameter|two client authentication methods|refresh token missing)$", code: InvalidRequest}
`

// otherTarget is a started second target plus what a profile needs.
type otherTarget struct {
	url, logPath string
	env          []string
}

// startOtherTarget starts fixtures/othertarget in this process with the
// clients of the sets it can provide.
func startOtherTarget(t *testing.T) *otherTarget {
	t.Helper()
	dir := t.TempDir()
	logPath := filepath.Join(dir, "othertarget.jsonl")
	scope := []string{"openid", "offline_access", "profile"}
	type ci struct {
		ClientID     string   `json:"client_id"`
		ClientSecret string   `json:"client_secret,omitempty"`
		Public       bool     `json:"public,omitempty"`
		RedirectURI  string   `json:"redirect_uri"`
		Name         string   `json:"name"`
		Scope        []string `json:"scope"`
	}
	sets := map[string]ci{
		"primary":            {"app-primary", "primary-secret-0123456789", false, "https://app.example/cb", "Primary App", scope},
		"secondary":          {"app-secondary", "secondary-secret-0123456789", false, "https://app.example/cb", "Secondary App", scope},
		"revoked":            {"app-revoked", "revoked-secret-0123456789", false, "https://app.example/cb", "Revoked App", scope},
		"expired":            {"app-expired", "expired-secret-0123456789", false, "https://app.example/cb", "Short-lived App", scope},
		"public_client":      {"spa-public", "", true, "https://spa.example/cb", "Public SPA", scope},
		"public_client_race": {"spa-public", "", true, "https://spa.example/cb", "Public SPA", scope},
	}
	var clients []othertarget.Client
	seen := map[string]bool{}
	for name, s := range sets {
		if seen[s.ClientID] {
			continue
		}
		seen[s.ClientID] = true
		c := othertarget.Client{ID: s.ClientID, Secret: s.ClientSecret, Name: s.Name, Public: s.Public, RedirectURI: s.RedirectURI, Scopes: scope}
		if name == "expired" {
			c.RefreshTTL = time.Second
		}
		clients = append(clients, c)
	}
	ctx, cancel := context.WithCancel(context.Background())
	running, err := othertarget.Start(ctx, othertarget.Config{
		Clients: clients, Users: []othertarget.User{{Name: "alice", Password: "alice-password-42"}}, LogPath: logPath,
	}, "127.0.0.1:0")
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		_ = running.Shutdown(sctx)
		cancel()
	})
	js, err := json.Marshal(sets)
	if err != nil {
		t.Fatal(err)
	}
	return &otherTarget{url: running.URL, logPath: logPath, env: []string{
		"OTHERTARGET_URL=" + running.URL, "OTHERTARGET_USER=alice", "OTHERTARGET_PASSWORD=alice-password-42",
		"OTHERTARGET_CLIENTS=" + string(js),
	}}
}

// buildProgram builds the Go program at pkg (a module path) into dir.
func buildProgram(t *testing.T, pkg, dir string) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go toolchain to build %s: %v", pkg, err)
	}
	out := filepath.Join(dir, filepath.Base(pkg))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if b, err := exec.CommandContext(ctx, goBin, "build", "-o", out, pkg).CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	return out
}

// otherTargetProfile is a profile for the second target: its log read as
// the audit source through a field map and classify rules, its sets filled
// by the exec provisioner.
func otherTargetProfile(ot *otherTarget, provisioner string) string {
	return `name: othertarget
implementation: {organization: refreshconf tests, project: othertarget, version: "1"}
target:
  token_url: ` + ot.url + othertarget.PathToken + `
  revoke_url: ` + ot.url + othertarget.PathRevoke + `
  keys_url: ` + ot.url + othertarget.PathJWKS + `
  issuer: ` + ot.url + `
timeouts: {audit: 10s, audit_poll: 50ms}
audit:
  source: jsonl
  path: ` + ot.logPath + `
  fields: {date: ts, user_agent: ua, application: client, user: sub, request_uri: path, ip_address: ip}
  classify:
` + otherTargetRules + `features: {revocation: true, rotation: true, public_clients: true, jwt_refresh_tokens: true, extended_codes: true}
provision:
  kind: exec
  command: [` + provisioner + `]
`
}

// readReport reads the conformance report a run wrote.
func readReport(t *testing.T, dir string) *report.Conformance {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, report.FileYAML))
	if err != nil {
		t.Fatal(err)
	}
	var c report.Conformance
	if err := yaml.Unmarshal(raw, &c); err != nil {
		t.Fatalf("the YAML report does not parse: %v", err)
	}
	return &c
}

// otherTargetSkips are the scenarios the second target cannot be given
// fixtures for: NetSuite states it does not have (blocked, role, entity,
// feature, scope changes, Authorization Code Grant box, rotation time) and
// its signing key, which it does not share.
var otherTargetSkips = []string{
	"SEED-02", "SEED-05", "SEED-06", "SEED-07", "SEED-08", "SEED-12", "SEED-13",
	"VAR-01", "VAR-02", "VAR-03", "VAR-04", "VAR-05", "VAR-06", "VAR-07",
	"EXT-03", "REQ-22", "ROT-05",
}

// runOther runs the catalogue against the second target with profile text
// and returns the report and the run.
func runOther(t *testing.T, ot *otherTarget, dir, name, profileText string) (*report.Conformance, cliResult) {
	t.Helper()
	profilePath := filepath.Join(dir, name+".yaml")
	if err := os.WriteFile(profilePath, []byte(profileText), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, name+"-report")
	res := runCLI(t, 3*time.Minute, ot.env, "run", "--profile", profilePath, "--report-dir", out, "--no-color")
	c := readReport(t, out)
	t.Logf("%s: refreshconf run exited %d in %s\n%s", name, res.Code, res.Elapsed.Round(time.Millisecond), res.Stdout[max(0, strings.LastIndex(res.Stdout, "\n\n")):])
	if len(c.HarnessErrors) > 0 {
		t.Fatalf("harness errors: %v\n%s", c.HarnessErrors, res.Stderr)
	}
	if c.Summary.Total != 91 {
		t.Errorf("the report covers %d scenarios, want the whole catalogue (91)", c.Summary.Total)
	}
	return c, res
}

func skippedIDs(c *report.Conformance) []string {
	var ids []string
	for _, s := range c.Skipped {
		ids = append(ids, s.ID)
	}
	slices.Sort(ids)
	return ids
}

func TestRunAgainstOtherTargetWithClassifyRules(t *testing.T) {
	ot := startOtherTarget(t)
	dir := t.TempDir()
	prov := buildProgram(t, "github.com/refreshconf/refreshconf/fixtures/othertarget/otprovision", dir)
	want := slices.Sorted(slices.Values(otherTargetSkips))

	t.Run("jsonl log with classify rules", func(t *testing.T) {
		c, res := runOther(t, ot, dir, "jsonl", otherTargetProfile(ot, prov))
		for _, f := range c.Failed {
			t.Errorf("%s failed: %s", f.ID, firstLine(f.Reason))
		}
		for _, n := range c.Notices {
			// Its profile names no code dialect: netsuite, so the codes
			// only the reference target defines are recorded, not judged.
			if !strings.HasPrefix(n, "CODES RECORDED, NOT JUDGED (code dialect netsuite)") {
				t.Errorf("unexpected notice: %s", n)
			}
		}
		// Exactly the scenarios whose fixtures it cannot have are skipped.
		for _, s := range c.Skipped {
			if !strings.Contains(s.Reason, "missing fixture") {
				t.Errorf("%s skipped for %q, want a missing fixture", s.ID, s.Reason)
			}
		}
		if got := skippedIDs(c); !slices.Equal(got, want) {
			t.Errorf("skipped %v, want %v", got, want)
		}
		if c.Summary.Passed != 91-len(want) {
			t.Errorf("%d scenarios passed, want %d", c.Summary.Passed, 91-len(want))
		}
		if c.Result != report.Partial || res.Code != 1 {
			t.Errorf("result %s, exit %d; want partial (skips) and exit 1", c.Result, res.Code)
		}
	})

	t.Run("failing scenarios show classified and unclassified reasons", func(t *testing.T) {
		// Without the signature rule, and expecting a broader scope to be
		// ignored (the target refuses it), scenarios fail; the report
		// names each one's code, or the raw reason no rule matched.
		rules := strings.Replace(otherTargetRules, "    - {field: reason, match: \"^signature verification failed$\", code: InvalidSignature}\n", "", 1)
		p := strings.Replace(otherTargetProfile(ot, prov), otherTargetRules, rules, 1) + "stances: {broader_scope: ignore}\n"
		c, res := runOther(t, ot, dir, "unclassified", p)
		if res.Code != 1 || c.Result != report.Failure {
			t.Errorf("result %s, exit %d; want failure, exit 1", c.Result, res.Code)
		}
		failed := map[string]report.ScenarioResult{}
		for _, f := range c.Failed {
			failed[f.ID] = f
			for _, st := range f.Steps {
				if st.AuditCodes == "" {
					t.Errorf("%s step %q has no audit code in the report", f.ID, st.Name)
				}
			}
		}
		rot := failed["ROT-04"]
		if len(rot.Steps) != 1 || rot.Steps[0].AuditCodes != "ScopeExceedsGrant" {
			t.Errorf("ROT-04 (stance broader_scope: ignore) should fail with the classified code ScopeExceedsGrant: %+v", rot)
		}
		seed := failed["SEED-03"]
		if len(seed.Steps) != 1 || !strings.HasPrefix(seed.Steps[0].AuditCodes, "Unclassified [") || !strings.Contains(seed.Steps[0].AuditCodes, `reason="signature verification failed"`) {
			t.Errorf("SEED-03 should fail as Unclassified with the target's reason: %+v", seed)
		}
		if !strings.Contains(seed.Reason, "add a rule") {
			t.Errorf("SEED-03's failure does not tell the user to add a rule:\n%s", seed.Reason)
		}
		if len(c.Notices) == 0 || !strings.HasPrefix(c.Notices[0], "UNCLASSIFIED:") || !strings.Contains(c.Notices[0], "SEED-03") {
			t.Errorf("notices = %q", c.Notices)
		}
		if !strings.HasPrefix(strings.TrimLeft(res.Stdout[strings.LastIndex(res.Stdout, "\n\nNOTICE")+1:], "\n"), "NOTICE  UNCLASSIFIED:") {
			t.Errorf("the run summary does not start with the notice:\n%s", res.Stdout)
		}
		if !slices.ContainsFunc(c.Run.Stances, func(s string) bool { return strings.HasPrefix(s, "broader_scope: ignore") }) {
			t.Errorf("the report does not list the non-default stance: %v", c.Run.Stances)
		}
	})

	t.Run("response source with error_description rules", func(t *testing.T) {
		// The same server judged by what its responses say, without its log.
		p := otherTargetProfile(ot, prov)
		start, end := strings.Index(p, "audit:\n"), strings.Index(p, "features:")
		p = p[:start] + `audit:
  source: response
  classify:
    - {status: 200, code: Success}
    - {error: unsupported_grant_type, code: InvalidGrantType}
    - {error: invalid_request, description: "'grant_type' parameter is missing", code: InvalidGrantType}
    - {error: invalid_request, code: InvalidRequest}
    - {status: 401, error: invalid_client, code: ClientAuthenticationFailed}
    - {error: invalid_scope, code: ScopeExceedsGrant}
    - {error: invalid_grant, description: "Hint: The token signature is invalid", code: InvalidSignature}
    - {error: invalid_grant, description: "Hint: The token was issued by another issuer", code: InvalidSignature}
    - {error: invalid_grant, description: "has no 'kid'", code: MissingKeyId}
    - {error: invalid_grant, description: "No key matches", code: MissingKey}
    - {error: invalid_grant, description: "is malformed", code: MalformedToken}
    - {error: invalid_grant, description: "not a refresh token", code: InvalidRefreshToken}
    - {error: invalid_grant, description: "refresh token expired", code: RefreshTokenExpired}
    - {error: invalid_grant, description: "never issued", code: UnknownToken}
    - {error: invalid_grant, description: "already used", code: TokenReused}
    - {error: invalid_grant, description: "has been revoked", code: TokenRevoked}
    - {error: invalid_grant, description: "does not match the ID during the initial token issuance", code: InvalidIntegration}
` + p[end:]
		c, _ := runOther(t, ot, dir, "response", p)
		for _, f := range c.Failed {
			t.Errorf("%s failed: %s", f.ID, f.Reason)
		}
		if got := skippedIDs(c); !slices.Equal(got, want) {
			t.Errorf("skipped %v, want %v", got, want)
		}
		// AUD-02 and AUD-03 check audit-trail columns a response does not
		// carry: their codes pass, their columns are not judged. AUD-01
		// and AUD-04 judge the trail itself (one row per request, no
		// secret), which the harness made: they cannot fail, so they are
		// not judged either.
		var notJudged []string
		for _, n := range c.NotJudged {
			notJudged = append(notJudged, n.ID)
			want := "audit columns not judged"
			if n.ID == "AUD-01" || n.ID == "AUD-04" {
				want = "audit trail integrity not judged"
			}
			if !strings.Contains(n.Reason, want) {
				t.Errorf("%s not judged for %q, want %q", n.ID, n.Reason, want)
			}
		}
		wantNJ := []string{"AUD-01", "AUD-02", "AUD-03", "AUD-04"}
		if c.Run.AuditSource != "response" || c.Summary.Passed != 91-len(want)-len(wantNJ) || !slices.Equal(notJudged, wantNJ) {
			t.Errorf("audit source %q, %d passed, not judged %v; want response, %d, %v", c.Run.AuditSource, c.Summary.Passed, notJudged, 91-len(want)-len(wantNJ), wantNJ)
		}
	})
}

func TestRunWithoutAuditSource(t *testing.T) {
	ot := startOtherTarget(t)
	dir := t.TempDir()
	prov := buildProgram(t, "github.com/refreshconf/refreshconf/fixtures/othertarget/otprovision", dir)
	p := otherTargetProfile(ot, prov)
	start, end := strings.Index(p, "audit:\n"), strings.Index(p, "features:")
	p = p[:start] + p[end:] // no audit section at all

	t.Run("certify refuses before firing", func(t *testing.T) {
		path := filepath.Join(dir, "certify.yaml")
		if err := os.WriteFile(path, []byte(p), 0o600); err != nil {
			t.Fatal(err)
		}
		before, _ := os.ReadFile(ot.logPath)
		res := runCLI(t, time.Minute, ot.env, "run", "--profile", path, "--certify", "--report-dir", filepath.Join(dir, "certify-report"))
		if res.Code != 2 || !strings.Contains(res.Stderr, "--certify needs an audit source") {
			t.Errorf("exit %d, stderr %q; want 2 and a message", res.Code, res.Stderr)
		}
		after, _ := os.ReadFile(ot.logPath)
		if len(after) != len(before) {
			t.Errorf("a refused certification run still sent %d bytes of requests' log lines", len(after)-len(before))
		}
		if _, err := os.Stat(filepath.Join(dir, "certify-report")); err == nil {
			t.Error("a refused certification run wrote a report")
		}
	})

	t.Run("every audit assertion is not judged", func(t *testing.T) {
		c, res := runOther(t, ot, dir, "none", p)
		if c.Run.AuditSource != "none" {
			t.Errorf("audit source %q, want none", c.Run.AuditSource)
		}
		if c.Summary.Passed != 0 || c.Summary.Failed != 0 || c.Summary.NotJudged != 91-len(otherTargetSkips) {
			t.Errorf("summary %+v: with no audit source nothing may pass; every response check that held is not judged", c.Summary)
		}
		if c.Result != report.Partial || res.Code != 1 {
			t.Errorf("result %s, exit %d; want partial, exit 1", c.Result, res.Code)
		}
		// The notice comes first: in the run summary and in every report.
		summary := res.Stdout[strings.LastIndex(res.Stdout, "\n\nNOTICE")+2:]
		if !strings.HasPrefix(summary, "NOTICE  "+report.NoAuditNotice) {
			t.Errorf("the run summary does not start with the notice:\n%s", res.Stdout)
		}
		for _, f := range []string{report.FileYAML, report.FileMarkdown} {
			b, err := os.ReadFile(filepath.Join(dir, "none-report", f))
			if err != nil {
				t.Fatal(err)
			}
			if first, _, _ := strings.Cut(string(b), "\n"); !strings.Contains(first, report.NoAuditNotice) {
				t.Errorf("%s first line = %q", f, first)
			}
		}
		html, _ := os.ReadFile(filepath.Join(dir, "none-report", report.FileHTML))
		if lines := strings.SplitN(string(html), "\n", 4); len(lines) < 3 || !strings.Contains(lines[2], report.NoAuditNotice) {
			t.Errorf("the HTML report does not carry the notice in its first lines")
		}
		// JUnit: no scenario whose audit was not judged is a pass.
		for _, tc := range readJUnitCases(t, filepath.Join(dir, "none-report")) {
			if tc.passed && tc.state != "" {
				t.Errorf("JUnit passes %q (state %s) although its audit code was not judged", tc.name, tc.state)
			}
		}
	})

	t.Run("responses only, opted in by the profile", func(t *testing.T) {
		c, res := runOther(t, ot, dir, "responses-only", p+"gating: responses_only\n")
		if res.Code != 1 || c.Result != report.Partial {
			t.Errorf("result %s, exit %d; want partial (the fixtures it cannot have are skipped), exit 1", c.Result, res.Code)
		}
		if c.Summary.NotJudged != 0 || c.Summary.Passed != 91-len(otherTargetSkips) {
			t.Errorf("summary %+v: with the opt-in every response check that held passes", c.Summary)
		}
		checkResponsesOnly(t, filepath.Join(dir, "responses-only-report"), res)
	})

	t.Run("responses only, opted in by the flag", func(t *testing.T) {
		path := filepath.Join(dir, "flag.yaml")
		if err := os.WriteFile(path, []byte(p), 0o600); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, "flag-report")
		res := runCLI(t, 3*time.Minute, ot.env, "run", "--profile", path, "--responses-only", "--label-filter", "family:request && !id:REQ-22", "--report-dir", out, "--no-color")
		if c := readReport(t, out); res.Code != 0 || c.Result != report.Success {
			t.Errorf("result %s, exit %d, want success, 0\n%s", c.Result, res.Code, res.Stdout)
		}
		checkResponsesOnly(t, out, res)
	})

	t.Run("the Ginkgo path exits as run does", func(t *testing.T) {
		path := filepath.Join(dir, "ginkgo.yaml")
		if err := os.WriteFile(path, []byte(p), 0o600); err != nil {
			t.Fatal(err)
		}
		filter := "-ginkgo.label-filter=family:request && !id:REQ-22"
		out := filepath.Join(dir, "ginkgo-none")
		g := runSuite(t, ot.env, filter, "--profile", path, "--report-dir", out)
		if c := readReport(t, out); g.Code == 0 || c.Result != report.Partial {
			t.Errorf("no audit source, no opt-in: exit %d, verdict %s; want non-zero, partial\n%s", g.Code, c.Result, lastLines(g.Stdout, 20))
		}
		for _, tc := range readJUnitCases(t, out) {
			if tc.passed {
				t.Errorf("JUnit passes %q although its audit code was not judged", tc.name)
			}
		}
		out = filepath.Join(dir, "ginkgo-responses-only")
		g = runSuite(t, ot.env, filter, "--profile", path, "--responses-only", "--report-dir", out)
		if c := readReport(t, out); g.Code != 0 || c.Result != report.Success {
			t.Errorf("--responses-only: exit %d, verdict %s; want 0, success\n%s", g.Code, c.Result, lastLines(g.Stdout, 20))
		}
		checkResponsesOnly(t, out, cliResult{Stdout: "responses only"})
	})
}

// checkResponsesOnly checks that a responses-only run says so first in
// every report, in its verdict, and in its JUnit.
func checkResponsesOnly(t *testing.T, dir string, res cliResult) {
	t.Helper()
	c := readReport(t, dir)
	if !strings.Contains(c.VerdictReason, "responses only") || c.Summary.NotJudged != 0 {
		t.Errorf("result %s (%s), summary %+v; want the verdict to say responses only, nothing not judged", c.Result, c.VerdictReason, c.Summary)
	}
	for _, f := range []string{report.FileYAML, report.FileMarkdown} {
		b, _ := os.ReadFile(filepath.Join(dir, f))
		if first, _, _ := strings.Cut(string(b), "\n"); !strings.Contains(first, report.ResponsesOnlyNotice) {
			t.Errorf("%s first line = %q, want the responses-only notice", f, first)
		}
	}
	for _, f := range []string{report.FileHTML, report.FileJUnit} {
		if b, _ := os.ReadFile(filepath.Join(dir, f)); !strings.Contains(strings.ToLower(string(b)), "responses only") {
			t.Errorf("%s does not say responses only", f)
		}
	}
	if !strings.Contains(res.Stdout, "responses only") {
		t.Errorf("the run summary does not say responses only:\n%s", res.Stdout)
	}
}

// junitCase is one testcase of a JUnit report: its name, its state
// property, and whether it passed.
type junitCase struct {
	name, state string
	passed      bool
}

// readJUnitCases reads the scenario testcases of dir's junit.xml.
func readJUnitCases(t *testing.T, dir string) []junitCase {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, report.FileJUnit))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Suites []struct {
			Cases []struct {
				Name       string `xml:"name,attr"`
				Properties []struct {
					Name  string `xml:"name,attr"`
					Value string `xml:"value,attr"`
				} `xml:"properties>property"`
				Skipped *struct{} `xml:"skipped"`
				Failure *struct{} `xml:"failure"`
				Error   *struct{} `xml:"error"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("junit.xml does not parse: %v", err)
	}
	var out []junitCase
	for _, s := range doc.Suites {
		for _, tc := range s.Cases {
			c := junitCase{name: tc.Name, passed: tc.Skipped == nil && tc.Failure == nil && tc.Error == nil}
			for _, p := range tc.Properties {
				if p.Name == "state" {
					c.state = p.Value
				}
			}
			if c.state == "" {
				continue // not a scenario (set-up, verdict)
			}
			if c.passed && c.state != "passed" && c.state != "warning" {
				t.Errorf("JUnit testcase %q passes in state %s", c.name, c.state)
			}
			out = append(out, c)
		}
	}
	return out
}

func TestProfileCheckShowsClassification(t *testing.T) {
	ot := startOtherTarget(t)
	dir := t.TempDir()
	prov := buildProgram(t, "github.com/refreshconf/refreshconf/fixtures/othertarget/otprovision", dir)
	for _, kv := range ot.env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	// profile check does not provision: fill the sets first, then check a
	// profile holding them.
	ctx := context.Background()
	path := filepath.Join(dir, "provisioned.yaml")
	if err := os.WriteFile(path, []byte(otherTargetProfile(ot, prov)), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := profile.Load(ctx, path, profile.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := provision.Run(ctx, p); err != nil {
		t.Fatal(err)
	}
	p.Provision = nil

	check := func(name string, edit func(*profile.Profile)) (string, error) {
		q := *p
		q.Audit.Classify = slices.Clone(p.Audit.Classify)
		edit(&q)
		b, err := q.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name+".yaml")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		var out strings.Builder
		err = checkProfile(ctx, &out, path, true)
		return out.String(), err
	}

	out, err := check("good", func(*profile.Profile) {})
	t.Logf("profile check output:\n%s", out[strings.Index(out, "\naudit.classify"):strings.Index(out, "\nID")])
	if err != nil {
		t.Fatalf("profile check: %v\n%s", err, out)
	}
	for _, want := range []string{
		"audit.classify: 16 rule(s); how they read 5 probe request(s)",
		"good refresh", "bit-flipped signature", "wrong client secret", "grant_type password", "no refresh_token",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("profile check output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, " NO ") || strings.Count(out, " yes ") != 5 {
		t.Errorf("every probe should be classified as expected:\n%s", out)
	}

	// A rule that reads the signature failure as something else is shown.
	out, err = check("wrong", func(q *profile.Profile) {
		q.Audit.Classify = append([]profile.ClassifyRule{{Field: "reason", Match: "signature", Code: "MalformedToken"}}, q.Audit.Classify...)
	})
	if err == nil || exitCode(err) != 1 {
		t.Errorf("a misclassifying profile passed the check (err %v)", err)
	}
	if !regexp.MustCompile(`bit-flipped signature\s+400\s+invalid_grant\s+InvalidSignature\s+MalformedToken\s+NO`).MatchString(out) {
		t.Errorf("the misclassified probe is not shown:\n%s", out)
	}
}
