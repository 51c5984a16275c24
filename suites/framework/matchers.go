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
)

// errorChars is the RFC 6749 §5.2 character set of error and
// error_description: %x20-21 / %x23-5B / %x5D-7E.
var errorChars = regexp.MustCompile(`^[\x20-\x21\x23-\x5B\x5D-\x7E]+$`)

// redactionMark matches what the redactor leaves where a secret or token
// was: its presence in a redacted body means the body held one.
var redactionMark = regexp.MustCompile(`<[A-Za-z0-9_.\-]+#[0-9a-f]{6}>|eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*`)

// BeOAuthResponse matches a *client.Exchange whose response is what want
// requires: a 200 token response (RFC 6749 §5.1) for a success, otherwise
// an RFC 6749 §5.2 error response with an allowed error value and clean
// hygiene (status, JSON, error characters, no-store, no token echoed).
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
	alts := m.want.AnyOf
	if len(alts) == 0 {
		alts = []catalogue.Expect{m.want}
	}
	m.problems = nil
	for _, alt := range alts {
		p := responseProblems(ex, alt)
		if len(p) == 0 {
			return true, nil
		}
		if len(alts) > 1 {
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

// responseProblems lists every way ex differs from want.
func responseProblems(ex *client.Exchange, want catalogue.Expect) []string {
	if ex.Err != nil {
		return []string{"the request failed: " + ex.Err.Error()}
	}
	var p []string
	if ex.Truncated {
		p = append(p, "the response body exceeded the size limit and was cut")
	}
	cc := strings.ToLower(ex.Header.Get("Cache-Control"))
	if !strings.Contains(cc, "no-store") {
		p = append(p, fmt.Sprintf("Cache-Control is %q, want no-store (RFC 6749 §5.1)", ex.Header.Get("Cache-Control")))
	}
	mt, _, _ := mime.ParseMediaType(ex.Header.Get("Content-Type"))
	if mt != "application/json" {
		p = append(p, fmt.Sprintf("Content-Type is %q, want application/json", ex.Header.Get("Content-Type")))
	}
	body, jerr := ex.JSON()
	if jerr != nil {
		p = append(p, "the body is not a JSON object: "+jerr.Error())
	}
	if want.IsSuccess() {
		if ex.Status != 200 {
			p = append(p, fmt.Sprintf("HTTP status is %d (error %q), want 200", ex.Status, ex.Field("error")))
			return p
		}
		if !strings.Contains(strings.ToLower(ex.Header.Get("Pragma")), "no-cache") {
			p = append(p, fmt.Sprintf("Pragma is %q, want no-cache (RFC 6749 §5.1)", ex.Header.Get("Pragma")))
		}
		if body != nil {
			if s, _ := body["access_token"].(string); s == "" {
				p = append(p, "access_token is missing or not a string")
			}
			if tt, _ := body["token_type"].(string); !strings.EqualFold(tt, "bearer") {
				p = append(p, fmt.Sprintf("token_type is %q, want bearer", body["token_type"]))
			}
			if _, ok := body["error"]; ok {
				p = append(p, "a 200 response carries an error field")
			}
		}
		return p
	}
	// An error response.
	errVal := ex.Field("error")
	switch {
	case ex.Status == 200:
		p = append(p, "HTTP status is 200 (the request was accepted), want an error")
	case errVal == codes.ErrInvalidClient:
		if ex.Status != 401 {
			p = append(p, fmt.Sprintf("HTTP status is %d for invalid_client, want 401 (RFC 6749 §5.2)", ex.Status))
		}
		if ex.Header.Get("WWW-Authenticate") == "" {
			p = append(p, "invalid_client without a WWW-Authenticate header (RFC 6749 §5.2)")
		}
	case ex.Status != 400:
		p = append(p, fmt.Sprintf("HTTP status is %d, want 400 (RFC 6749 §5.2)", ex.Status))
	}
	if !slices.Contains(want.Errors, errVal) {
		p = append(p, fmt.Sprintf("error is %q, want %s", errVal, strings.Join(quoteAll(want.Errors), " or ")))
	}
	if errVal != "" && !errorChars.MatchString(errVal) {
		p = append(p, fmt.Sprintf("error %q has characters outside RFC 6749 §5.2's set", errVal))
	}
	if d, ok := body["error_description"].(string); ok && d != "" && !errorChars.MatchString(d) {
		p = append(p, "error_description has characters outside RFC 6749 §5.2's set")
	}
	if ex.Status == 200 {
		return p // accepted: the body is a token response, not an error body
	}
	if m := redactionMark.FindAllString(string(ex.Body()), 3); len(m) > 0 {
		for i := range m {
			if strings.HasPrefix(m[i], "eyJ") {
				m[i] = "a compact JWS"
			}
		}
		p = append(p, fmt.Sprintf("the error body contains a token or secret (%s)", strings.Join(m, ", ")))
	}
	for _, f := range []string{"access_token", "refresh_token"} {
		if _, ok := body[f]; ok {
			p = append(p, fmt.Sprintf("the error body carries %s", f))
		}
	}
	return p
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
