package framework

import (
	"encoding/json"
	"fmt"
	"mime"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/onsi/gomega/types"

	"github.com/refreshconf/refreshconf/client"
	"github.com/refreshconf/refreshconf/client/audit"
	"github.com/refreshconf/refreshconf/fixtures/codes"
	"github.com/refreshconf/refreshconf/suites/catalogue"
	"github.com/refreshconf/refreshconf/suites/report"
)

// errorChars is the RFC 6749 §5.2 character set of error and
// error_description: %x20-21 / %x23-5B / %x5D-7E.
var errorChars = regexp.MustCompile(`^[\x20-\x21\x23-\x5B\x5D-\x7E]+$`)

// redactionMark matches what the redactor leaves where a secret or token
// was: its presence in a redacted body means the body held one.
var redactionMark = regexp.MustCompile(`<[A-Za-z0-9_.\-]+#[0-9a-f]{6}>|eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*`)

// BeOAuthResponse matches a *client.Exchange whose response meets every
// MUST-level requirement want implies: a 200 token response (RFC 6749
// §5.1) for a success, otherwise an RFC 6749 §5.2 error response with an
// allowed error value and clean hygiene (status, JSON, error characters,
// no token echoed). Every requirement names its clause. SHOULD-level and
// best-practice findings never fail it: ResponseWarnings lists them.
func BeOAuthResponse(want catalogue.Expect) types.GomegaMatcher {
	return &oauthMatcher{want: want}
}

type oauthMatcher struct {
	want     catalogue.Expect
	problems []string
}

func (m *oauthMatcher) Match(actual any) (bool, error) {
	ex, ok := actual.(*client.Exchange)
	if !ok || ex == nil {
		return false, fmt.Errorf("BeOAuthResponse expects a *client.Exchange, got %T", actual)
	}
	m.problems = nil
	for _, alt := range alternatives(m.want) {
		p := mustProblems(responseFindings(ex, alt))
		if len(p) == 0 {
			return true, nil
		}
		if len(m.want.AnyOf) > 1 {
			p = []string{fmt.Sprintf("as %s: %s", alt, strings.Join(p, "; "))}
		}
		m.problems = append(m.problems, p...)
	}
	return false, nil
}

func (m *oauthMatcher) FailureMessage(actual any) string {
	ex, _ := actual.(*client.Exchange)
	return fmt.Sprintf("Expected the response to be %s, but:\n  - %s\n\nRedacted exchange:\n%s",
		m.want, strings.Join(m.problems, "\n  - "), transcript(ex))
}

func (m *oauthMatcher) NegatedFailureMessage(actual any) string {
	return fmt.Sprintf("Expected the response not to be %s\n\nRedacted exchange:\n%s", m.want, transcript(actual.(*client.Exchange)))
}

func transcript(ex *client.Exchange) string {
	if ex == nil {
		return "(no exchange)"
	}
	return ex.Transcript()
}

// alternatives returns want's AnyOf outcomes, or want itself.
func alternatives(want catalogue.Expect) []catalogue.Expect {
	if len(want.AnyOf) > 0 {
		return want.AnyOf
	}
	return []catalogue.Expect{want}
}

// ResponseWarnings returns the SHOULD-level and best-practice findings of
// ex against want (of the first alternative whose MUSTs hold), each naming
// its clause; step names the request in the report.
func ResponseWarnings(ex *client.Exchange, want catalogue.Expect, step string) []report.Warning {
	if ex == nil {
		return nil
	}
	for _, alt := range alternatives(want) {
		f := responseFindings(ex, alt)
		if len(mustProblems(f)) > 0 {
			continue
		}
		var out []report.Warning
		for _, x := range f {
			if x.severity == report.SeverityShould {
				out = append(out, report.Warning{Step: step, Clause: x.clause, Message: x.message})
			}
		}
		return out
	}
	return nil
}

// finding is one requirement a response does not meet.
type finding struct {
	severity report.Severity
	// clause names the requirement ("RFC 6749 §5.2").
	clause  string
	message string
}

// Clauses of the response checks.
const (
	clauseTokenResponse = "RFC 6749 §5.1"
	clauseErrorResponse = "RFC 6749 §5.2"
	clauseConfidential  = "RFC 6749 §10.3, §10.4 (tokens and credentials stay confidential)"
	clauseNoStoreError  = "RFC 6749 §5.1 demands no-store on responses carrying tokens; on an error response it is best practice (RFC 9111 §5.2.2.5)"
	clauseChallenge     = "RFC 6749 §5.2 demands WWW-Authenticate only when the client used the Authorization header; RFC 9110 §15.5.2 asks every 401 for a challenge"
	clausePreciseError  = "RFC 6749 §5.2 (the more precise of the error values it admits)"
	clauseHarness       = "refreshconf limits.max_body_bytes"
)

// mustProblems renders the MUST-level findings as failure lines.
func mustProblems(f []finding) []string {
	var out []string
	for _, x := range f {
		if x.severity == report.SeverityMust {
			out = append(out, x.message+" ("+x.clause+")")
		}
	}
	return out
}

// responseFindings lists every way ex differs from want, MUST and SHOULD.
func responseFindings(ex *client.Exchange, want catalogue.Expect) []finding {
	var f []finding
	must := func(clause, format string, args ...any) {
		f = append(f, finding{report.SeverityMust, clause, fmt.Sprintf(format, args...)})
	}
	should := func(clause, format string, args ...any) {
		f = append(f, finding{report.SeverityShould, clause, fmt.Sprintf(format, args...)})
	}
	if ex.Err != nil {
		must("RFC 6749 §3.2 (the token endpoint answers over HTTP)", "the request failed: %s", ex.Err.Error())
		return f
	}
	if audit.IsTargetError(ex.Status) {
		must("RFC 6749 §5.2 (a refusal is a 400 or 401 error response; a 5xx is the server failing)", "HTTP status is %d: a target error (the server failed; not a refusal and not a classification gap), want %s", ex.Status, want)
	}
	if ex.Truncated {
		must(clauseHarness, "the response body exceeded the size limit and was cut")
	}
	cc := strings.ToLower(ex.Header.Get("Cache-Control"))
	noStore := strings.Contains(cc, "no-store")
	mt, _, _ := mime.ParseMediaType(ex.Header.Get("Content-Type"))
	if mt != "application/json" {
		must(clauseTokenResponse+", "+clauseErrorResponse, "Content-Type is %q, want application/json", ex.Header.Get("Content-Type"))
	}
	body, jerr := ex.JSON()
	if jerr != nil {
		must(clauseTokenResponse+", "+clauseErrorResponse, "the body is not a JSON object: %s", jerr.Error())
	}
	if want.IsSuccess() {
		if ex.Status != 200 {
			must(clauseTokenResponse, "HTTP status is %d (error %q), want 200", ex.Status, ex.Field("error"))
			return f
		}
		if !noStore {
			must(clauseTokenResponse, "Cache-Control is %q, want no-store", ex.Header.Get("Cache-Control"))
		}
		if !strings.Contains(strings.ToLower(ex.Header.Get("Pragma")), "no-cache") {
			must(clauseTokenResponse, "Pragma is %q, want no-cache", ex.Header.Get("Pragma"))
		}
		if body != nil {
			if s, _ := body["access_token"].(string); s == "" {
				must(clauseTokenResponse, "access_token is missing or not a string")
			}
			if tt, _ := body["token_type"].(string); !strings.EqualFold(tt, "bearer") {
				must(clauseTokenResponse+", §7.1", "token_type is %q, want bearer", body["token_type"])
			}
			if _, ok := body["error"]; ok {
				must(clauseTokenResponse, "a 200 response carries an error field")
			}
		}
		return f
	}
	// An error response.
	errVal := ex.Field("error")
	switch {
	case ex.Status == 200:
		must(clauseErrorResponse, "HTTP status is 200 (the request was accepted), want an error")
	case errVal == codes.ErrInvalidClient && ex.SentHeader("Authorization"):
		if ex.Status != 401 {
			must(clauseErrorResponse, "HTTP status is %d for invalid_client after HTTP authentication, want 401", ex.Status)
		}
		if ex.Header.Get("WWW-Authenticate") == "" {
			must(clauseErrorResponse, "invalid_client after HTTP authentication without a WWW-Authenticate header")
		}
	case errVal == codes.ErrInvalidClient:
		// No Authorization header was sent: 400 or 401 (RFC 6749 §5.2 MAY).
		if ex.Status != 400 && ex.Status != 401 {
			must(clauseErrorResponse, "HTTP status is %d for invalid_client, want 400 or 401", ex.Status)
		}
		if ex.Status == 401 && ex.Header.Get("WWW-Authenticate") == "" {
			should(clauseChallenge, "a 401 invalid_client without a WWW-Authenticate header")
		}
	case ex.Status != 400:
		must(clauseErrorResponse, "HTTP status is %d, want 400", ex.Status)
	}
	if ex.Status != 200 && !noStore {
		should(clauseNoStoreError, "Cache-Control is %q on an error response; no-store keeps it out of caches", ex.Header.Get("Cache-Control"))
	}
	switch {
	case !slices.Contains(want.Errors, errVal):
		must(clauseErrorResponse, "error is %q, want %s", errVal, strings.Join(quoteAll(want.Errors), " or "))
	case len(want.Prefer) > 0 && !slices.Contains(want.Prefer, errVal):
		should(clausePreciseError, "error is %q, which the RFC admits here; %s names the situation precisely", errVal, strings.Join(quoteAll(want.Prefer), " or "))
	}
	if errVal != "" && !errorChars.MatchString(errVal) {
		must(clauseErrorResponse, "error %q has characters outside the allowed set", errVal)
	}
	if d, ok := body["error_description"].(string); ok && d != "" && !errorChars.MatchString(d) {
		must(clauseErrorResponse, "error_description has characters outside the allowed set")
	}
	if ex.Status == 200 {
		return f // accepted: the body is a token response, not an error body
	}
	if m := redactionMark.FindAllString(string(ex.Body()), 3); len(m) > 0 {
		for i := range m {
			if strings.HasPrefix(m[i], "eyJ") {
				m[i] = "a compact JWS"
			}
		}
		must(clauseConfidential, "the error body contains a token or secret (%s)", strings.Join(m, ", "))
	}
	for _, k := range []string{"access_token", "refresh_token"} {
		if _, ok := body[k]; ok {
			must(clauseConfidential, "the error body carries %s", k)
		}
	}
	return f
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = fmt.Sprintf("%q", v)
	}
	return out
}

// HaveAuditRow matches the audit rows of one request: exactly one row,
// with the expected Detail and Status, the expected columns, and no secret
// (registered with red) in any column.
func HaveAuditRow(want catalogue.Expect, red *client.Redactor, ex *client.Exchange) types.GomegaMatcher {
	return &auditMatcher{want: want, red: red, ex: ex}
}

type auditMatcher struct {
	want     catalogue.Expect
	red      *client.Redactor
	ex       *client.Exchange
	problems []string
}

func (m *auditMatcher) Match(actual any) (bool, error) {
	rows, ok := actual.([]audit.Entry)
	if !ok {
		return false, fmt.Errorf("HaveAuditRow expects []audit.Entry, got %T", actual)
	}
	m.problems = nil
	if len(rows) != 1 {
		m.problems = append(m.problems, fmt.Sprintf("found %d audit rows for this request, want exactly 1", len(rows)))
	}
	for _, r := range rows {
		for _, col := range []struct{ name, v string }{
			{"Date", ""}, {"User", r.User}, {"Role", r.Role}, {"IP Address", r.IPAddress}, {"Request URI", r.RequestURI},
			{"Detail", r.Detail}, {"Status", r.Status}, {"Token-based Application Name", r.Application}, {"User Agent", r.UserAgent}, {"Email", r.Email},
		} {
			if red := m.red.Redact(col.v); red != col.v {
				m.problems = append(m.problems, fmt.Sprintf("the %s column holds a secret: %s", col.name, red))
			}
		}
	}
	if len(rows) == 0 {
		return false, nil
	}
	alts := m.want.AnyOf
	if len(alts) == 0 {
		alts = []catalogue.Expect{m.want}
	}
	var codeProblems []string
	matched := false
	for _, alt := range alts {
		p := rowProblems(rows[0], alt)
		if len(p) == 0 {
			matched = true
			break
		}
		codeProblems = append(codeProblems, p...)
	}
	if !matched {
		m.problems = append(m.problems, codeProblems...)
	}
	return len(m.problems) == 0, nil
}

// rowProblems lists how row differs from want.
func rowProblems(r audit.Entry, want catalogue.Expect) []string {
	var p []string
	wantStatus := codes.StatusFailure
	if want.Code == codes.Success {
		wantStatus = codes.StatusSuccess
	}
	accepted := slices.ContainsFunc(want.Codes(), func(c codes.Code) bool { return r.Detail == string(c) })
	switch {
	case r.Detail == audit.TargetError:
		p = append(p, fmt.Sprintf("Detail is %s: the target failed (HTTP 5xx, a server fault, not a classification gap: %s), want %s", audit.TargetError, r.Reason, showCodes(want)))
	case want.Judge == catalogue.JudgeRecord:
		// The code is recorded for the reviewer, not judged (netsuite
		// dialect, a code only the reference target defines).
	case r.Detail == audit.Unclassified:
		p = append(p, fmt.Sprintf("Detail is Unclassified (no audit.classify rule matched the target's reason: %s), want %s: add a rule for this reason to the profile", r.Reason, showCodes(want)))
	case !accepted:
		p = append(p, fmt.Sprintf("Detail is %s, want %s", show(r.Detail), showCodes(want)))
	}
	if !strings.EqualFold(r.Status, wantStatus) {
		p = append(p, fmt.Sprintf("Status is %q, want %q", r.Status, wantStatus))
	}
	if w := want.Row; w != nil {
		if w.Application != "" && r.Application != w.Application {
			p = append(p, fmt.Sprintf("Token-based Application Name is %q, want %q", r.Application, w.Application))
		}
		if w.User != "" && r.User != w.User {
			p = append(p, fmt.Sprintf("User is %q, want %q", r.User, w.User))
		}
		if w.Role != "" && r.Role != w.Role {
			p = append(p, fmt.Sprintf("Role is %q, want %q", r.Role, w.Role))
		}
		if w.RequestPath != "" && uriPath(r.RequestURI) != w.RequestPath {
			p = append(p, fmt.Sprintf("Request URI is %q, want the token endpoint path %q", r.RequestURI, w.RequestPath))
		}
		if w.IPAddress && net.ParseIP(r.IPAddress) == nil {
			p = append(p, fmt.Sprintf("IP Address is %q, want an IP address", r.IPAddress))
		}
	}
	return p
}

func uriPath(u string) string {
	if pu, err := url.Parse(u); err == nil {
		return pu.Path
	}
	return u
}

// showCodes names the codes want accepts.
func showCodes(want catalogue.Expect) string {
	names := make([]string, 0, 1+len(want.Accept))
	for _, c := range want.Codes() {
		names = append(names, show(string(c)))
	}
	return strings.Join(names, " or ")
}

func show(detail string) string {
	if detail == "" {
		return "(empty: Success)"
	}
	return detail
}

func (m *auditMatcher) FailureMessage(actual any) string {
	rows, _ := actual.([]audit.Entry)
	var b strings.Builder
	fmt.Fprintf(&b, "Expected the audit trail to hold exactly one row %s for marker %s, but:\n  - %s\n\nRows found:\n",
		m.want, m.ex.Marker, strings.Join(m.problems, "\n  - "))
	for _, r := range rows {
		j, _ := json.Marshal(r)
		fmt.Fprintf(&b, "  %s\n", m.red.Redact(string(j)))
	}
	if len(rows) == 0 {
		b.WriteString("  (none)\n")
	}
	fmt.Fprintf(&b, "\nRedacted exchange:\n%s", transcript(m.ex))
	return b.String()
}

func (m *auditMatcher) NegatedFailureMessage(any) string {
	return fmt.Sprintf("Expected the audit rows not to match %s", m.want)
}
