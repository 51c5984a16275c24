package audit

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/refreshconf/refreshconf/fixtures/profile"
)

func responseRules() []profile.ClassifyRule {
	return []profile.ClassifyRule{
		{Status: 401, Error: "invalid_client", Code: "ClientAuthenticationFailed"},
		{Error: "invalid_grant", Description: `(?i)token is expired`, Code: "RefreshTokenExpired"},
		{Header: "x-reason", Match: `^bad-signature$`, Code: "InvalidSignature"},
		{Field: "detail.kind", Match: `^reuse$`, Code: "TokenReused"},
		{Error: "invalid_grant", Code: "InvalidGrant"}, // a catch-all after the specific rules
		{Status: 200, Code: "Success"},
	}
}

func TestClassifierResponse(t *testing.T) {
	c, err := NewClassifier(responseRules())
	if err != nil {
		t.Fatal(err)
	}
	hdr := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}
	tests := []struct {
		name       string
		status     int
		header     http.Header
		body       string
		wantDetail string
		wantStatus string
		wantRule   int
	}{
		{"status and error", 401, nil, `{"error":"invalid_client"}`, "ClientAuthenticationFailed", StatusFailure, 0},
		{"status must match too", 400, nil, `{"error":"invalid_client"}`, Unclassified, StatusFailure, -1},
		{"description regexp", 400, nil, `{"error":"invalid_grant","error_description":"The Token is expired."}`, "RefreshTokenExpired", StatusFailure, 1},
		{"header", 400, hdr("X-Reason", "bad-signature"), `{"error":"invalid_request"}`, "InvalidSignature", StatusFailure, 2},
		{"nested body field", 400, nil, `{"error":"invalid_request","detail":{"kind":"reuse"}}`, "TokenReused", StatusFailure, 3},
		{"first match wins", 400, hdr("X-Reason", "bad-signature"), `{"error":"invalid_grant","error_description":"token is expired"}`, "RefreshTokenExpired", StatusFailure, 1},
		{"catch-all", 400, nil, `{"error":"invalid_grant","error_description":"something else"}`, "InvalidGrant", StatusFailure, 4},
		{"success", 200, nil, `{"access_token":"x","token_type":"Bearer"}`, "", StatusSuccess, 5},
		{"unclassified HTML", 400, nil, `<html>oops</html>`, Unclassified, StatusFailure, -1},
		{"5xx is a target error", 500, nil, `<html>oops</html>`, TargetError, StatusFailure, -1},
		{"5xx even with a matching error", 503, nil, `{"error":"invalid_grant","error_description":"The Token is expired."}`, TargetError, StatusFailure, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := c.Response(tc.status, tc.header, []byte(tc.body))
			if v.Detail != tc.wantDetail || v.Status != tc.wantStatus || v.Rule != tc.wantRule {
				t.Errorf("verdict = %+v, want detail %q status %q rule %d", v, tc.wantDetail, tc.wantStatus, tc.wantRule)
			}
			if !strings.Contains(v.Reason, "HTTP ") {
				t.Errorf("reason %q lacks the status", v.Reason)
			}
		})
	}
	// The reason of an unclassified response keeps what the target said,
	// minus any token it echoed.
	jwt := "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
	v := c.Response(400, hdr("X-Reason", "weird"), []byte(`{"error":"invalid_request","error_description":"token `+jwt+` rejected"}`))
	if v.Detail != Unclassified {
		t.Fatalf("detail = %q", v.Detail)
	}
	if strings.Contains(v.Reason, jwt) || strings.Contains(v.Reason, "c2lnbmF0dXJl") {
		t.Errorf("reason leaks the token: %q", v.Reason)
	}
	for _, want := range []string{`error="invalid_request"`, "rejected", `X-Reason="weird"`} {
		if !strings.Contains(v.Reason, want) {
			t.Errorf("reason %q lacks %q", v.Reason, want)
		}
	}
}

func TestClassifierRejectsBadRules(t *testing.T) {
	for _, rules := range [][]profile.ClassifyRule{
		{{Error: "invalid_grant", Code: "NoSuchCode"}},
		{{Code: "InvalidSignature"}},
		{{Field: "x", Code: "InvalidSignature"}},
		{{Description: "(", Code: "InvalidSignature"}},
	} {
		if _, err := NewClassifier(rules); err == nil || !strings.Contains(err.Error(), "audit.classify[0]") {
			t.Errorf("NewClassifier(%+v) err = %v, want one naming audit.classify[0]", rules, err)
		}
	}
	if c, err := NewClassifier(nil); c != nil || err != nil {
		t.Errorf("NewClassifier(nil) = %v, %v", c, err)
	}
}

func TestJSONLClassified(t *testing.T) {
	path := filepath.Join(t.TempDir(), "target.jsonl")
	lines := `{"ts":"2026-11-28T12:00:00Z","ua":"rc (+rc-1-000001)","outcome":"ok"}
{"ts":"2026-11-28T12:00:01Z","ua":"rc (+rc-1-000002)","outcome":"denied","reason":"token signature is invalid"}
{"ts":"2026-11-28T12:00:02Z","ua":"rc (+rc-1-000003)","outcome":"denied","reason":"the moon is full"}
{"ts":"2026-11-28T12:00:03Z","ua":"rc (+rc-1-000004)","outcome":"denied","reason":"client authentication failed","http_status":401}
`
	if err := os.WriteFile(path, []byte(lines), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := NewClassifier([]profile.ClassifyRule{
		{Field: "outcome", Match: "^ok$", Code: "Success"},
		{Field: "reason", Match: "(?i)signature", Code: "InvalidSignature"},
		{Field: "http_status", Match: "^401$", Code: "ClientAuthenticationFailed"},
		{Status: 400, Code: "InvalidRequest"}, // response-only: never matches a log line
	})
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewJSONLClassified(path, map[string]string{"user_agent": "ua", "date": "ts"}, c)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Fetch(context.Background(), Query{Contains: "rc-1-"})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Entries) != 4 {
		t.Fatalf("entries = %+v", b.Entries)
	}
	want := []struct{ detail, status, reason string }{
		{"", StatusSuccess, `outcome="ok"`},
		{"InvalidSignature", StatusFailure, `reason="token signature is invalid"`},
		{Unclassified, "", `reason="the moon is full"`},
		{"ClientAuthenticationFailed", StatusFailure, `http_status="401"`},
	}
	for i, w := range want {
		e := b.Entries[i]
		if e.Detail != w.detail || e.Status != w.status || !strings.Contains(e.Reason, w.reason) {
			t.Errorf("entry %d = detail %q status %q reason %q, want %q %q containing %q", i, e.Detail, e.Status, e.Reason, w.detail, w.status, w.reason)
		}
		if e.Date.IsZero() {
			t.Errorf("entry %d: the mapped date field was not read", i)
		}
	}
}

func TestExecClassified(t *testing.T) {
	script := `printf '{"ua":"%s01","why":"expired"}\n{"ua":"%s02","why":"?"}\n' "$REFRESHCONF_MARKER" "$REFRESHCONF_MARKER"`
	c, err := NewClassifier([]profile.ClassifyRule{{Field: "why", Match: "^expired$", Code: "RefreshTokenExpired"}})
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewExecClassified([]string{"sh", "-c", script}, 5*time.Second, map[string]string{"user_agent": "ua"}, c)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Fetch(context.Background(), Query{Contains: "m-"})
	if err != nil {
		t.Fatal(err)
	}
	if got := details(b.Entries); got != "RefreshTokenExpired,Unclassified" {
		t.Fatalf("details = %q", got)
	}
	if _, err := NewExecClassified([]string{"sh"}, time.Second, map[string]string{"nope": "x"}, nil); err == nil {
		t.Error("an unknown field-map key was accepted")
	}
}

func TestResponseSourceClassifyAndRecord(t *testing.T) {
	c, err := NewClassifier(responseRules())
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewResponseClassified("", "", c)
	if err != nil {
		t.Fatal(err)
	}
	e := s.Classify("m-1", 400, nil, []byte(`{"error":"invalid_grant","error_description":"token is expired"}`))
	if e.Detail != "RefreshTokenExpired" || e.Status != StatusFailure || e.UserAgent != "m-1" {
		t.Fatalf("classified entry = %+v", e)
	}
	// Classify records nothing; Record does.
	if b, _ := s.Fetch(context.Background(), Query{}); len(b.Entries) != 0 {
		t.Fatalf("Classify recorded an entry: %+v", b.Entries)
	}
	s.Record(e)
	s.Observe("m-2", 418, nil, []byte(`teapot`))
	b, err := s.Fetch(context.Background(), Query{Contains: "m-"})
	if err != nil {
		t.Fatal(err)
	}
	if got := details(b.Entries); got != "RefreshTokenExpired,Unclassified" || b.Entries[1].ID != "2" {
		t.Fatalf("entries = %+v", b.Entries)
	}
	// A header code wins over the rules.
	h, err := NewResponseClassified("X-Audit-Code", "", c)
	if err != nil {
		t.Fatal(err)
	}
	hd := http.Header{}
	hd.Set("X-Audit-Code", "MissingKey")
	if e := h.Classify("m", 400, hd, []byte(`{"error":"invalid_grant"}`)); e.Detail != "MissingKey" {
		t.Errorf("header code lost to the rules: %+v", e)
	}
	if _, err := NewResponseClassified("", "", nil); err == nil {
		t.Error("a response source with neither header, field nor rules was accepted")
	}
}

func TestRowFieldsAgreeWithProfile(t *testing.T) {
	if strings.Join(rowFields, ",") != strings.Join(profile.AuditRowFields, ",") {
		t.Errorf("client/audit rowFields %v and profile.AuditRowFields %v differ: keep them in step", rowFields, profile.AuditRowFields)
	}
}

// TestReasonKeptWhole: a long error_description is kept whole (redacted)
// up to MaxReason, so the part that tells cases apart survives; longer
// ones are cut at the bound.
func TestReasonKeptWhole(t *testing.T) {
	c, err := NewClassifier([]profile.ClassifyRule{{Status: 200, Code: "Success"}})
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("the grant is invalid because ", 40) + "DISTINCTIVE-TAIL" // ~1.2 KB
	v := c.Response(400, nil, []byte(`{"error":"invalid_grant","error_description":"`+long+`"}`))
	if !strings.Contains(v.Reason, "DISTINCTIVE-TAIL") {
		t.Errorf("a %d-byte reason lost its tail: %q", len(long), v.Reason[len(v.Reason)-60:])
	}
	huge := strings.Repeat("x", 3*MaxReason)
	v = c.Response(400, nil, []byte(`{"error":"invalid_grant","error_description":"`+huge+`"}`))
	if len(v.Reason) > MaxReason+8 {
		t.Errorf("reason of %d bytes, want at most about %d", len(v.Reason), MaxReason)
	}
}
