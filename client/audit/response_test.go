package audit

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/refreshconf/refreshconf/fixtures/profile"
)

func TestResponseSource(t *testing.T) {
	tests := []struct {
		name       string
		header     string
		field      string
		status     int
		respHeader http.Header
		body       string
		wantDetail string
		wantStatus string
	}{
		{"header", "x-audit-code", "", 400, http.Header{"X-Audit-Code": {"InvalidSignature"}}, `{"error":"invalid_grant"}`, "InvalidSignature", StatusFailure},
		{"field", "", "audit_code", 400, nil, `{"error":"invalid_grant","audit_code":"RefreshTokenExpired"}`, "RefreshTokenExpired", StatusFailure},
		{"nested field", "", "error.code", 401, nil, `{"error":{"code":"ClientAuthenticationFailed"}}`, "ClientAuthenticationFailed", StatusFailure},
		{"header wins over field", "X-Code", "code", 400, http.Header{"X-Code": {"A"}}, `{"code":"B"}`, "A", StatusFailure},
		{"field fallback", "X-Code", "code", 400, http.Header{}, `{"code":"B"}`, "B", StatusFailure},
		{"success", "X-Code", "", 200, http.Header{}, `{"access_token":"x"}`, "", StatusSuccess},
		{"garbage body", "", "code", 400, nil, `<html>`, "", StatusFailure},
		{"5xx is a target error", "", "code", 502, nil, `<html>`, TargetError, StatusFailure},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewResponse(tc.header, tc.field)
			if err != nil {
				t.Fatal(err)
			}
			s.Observe("rc-1a2b3c4d-000001", tc.status, tc.respHeader, []byte(tc.body))
			b, err := s.Fetch(context.Background(), Query{Contains: "rc-1a2b3c4d-"})
			if err != nil || len(b.Entries) != 1 {
				t.Fatalf("fetch = %+v, %v", b, err)
			}
			e := b.Entries[0]
			if e.Detail != tc.wantDetail || e.Status != tc.wantStatus || e.UserAgent != "rc-1a2b3c4d-000001" || e.Date.IsZero() {
				t.Fatalf("entry = %+v", e)
			}
		})
	}
	if _, err := NewResponse(" ", ""); err == nil {
		t.Fatal("NewResponse without header and field accepted")
	}
}

func TestResponseSourceCursor(t *testing.T) {
	s, err := NewResponse("X-Code", "")
	if err != nil {
		t.Fatal(err)
	}
	h := func(c string) http.Header { return http.Header{"X-Code": {c}} }
	s.Observe("rc-a-1", 400, h("A"), nil)
	s.Observe("other", 400, h("O"), nil)
	b, _ := s.Fetch(context.Background(), Query{Contains: "rc-a-"})
	if details(b.Entries) != "A" || b.Cursor != "2" {
		t.Fatalf("first = %q cursor %q", details(b.Entries), b.Cursor)
	}
	s.Observe("rc-a-2", 400, h("B"), nil)
	b, _ = s.Fetch(context.Background(), Query{Contains: "rc-a-", Cursor: b.Cursor})
	if details(b.Entries) != "B" || b.Cursor != "3" {
		t.Fatalf("second = %q cursor %q", details(b.Entries), b.Cursor)
	}
	if _, err := s.Fetch(context.Background(), Query{Cursor: "x"}); err == nil {
		t.Fatal("bad cursor accepted")
	}
}

func TestFromProfile(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "rows.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho '{}'\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		audit    profile.Audit
		wantName string
		wantNil  bool
		wantErr  string
	}{
		{name: "http", audit: profile.Audit{Source: "http", URL: "http://127.0.0.1:8787/audit/rows", Headers: map[string]profile.Secret{"Authorization": profile.NewSecret("Bearer " + adminToken)}}, wantName: "http http://127.0.0.1:8787/audit/rows"},
		{name: "http no url", audit: profile.Audit{Source: "http"}, wantErr: "URL is empty"},
		{name: "jsonl relative", audit: profile.Audit{Source: "jsonl", Path: "logs/audit.jsonl"}, wantName: "jsonl " + filepath.Join(dir, "logs/audit.jsonl")},
		{name: "jsonl absolute", audit: profile.Audit{Source: "JSONL", Path: "/var/log/a.jsonl"}, wantName: "jsonl /var/log/a.jsonl"},
		{name: "jsonl no path", audit: profile.Audit{Source: "jsonl"}, wantErr: "audit.path is empty"},
		{name: "csv", audit: profile.Audit{Source: "csv", Path: "export.csv"}, wantName: "csv " + filepath.Join(dir, "export.csv")},
		{name: "exec relative", audit: profile.Audit{Source: "exec", Command: []string{"./rows.sh", "--x"}}, wantName: "exec " + script},
		{name: "exec PATH", audit: profile.Audit{Source: "exec", Command: []string{"sh", "-c", "true"}}, wantName: "exec sh"},
		{name: "exec empty", audit: profile.Audit{Source: "exec"}, wantErr: "audit.command is empty"},
		{name: "response", audit: profile.Audit{Source: "response", Header: "X-Audit-Code"}, wantName: "response"},
		{name: "response empty", audit: profile.Audit{Source: "response"}, wantErr: "neither header nor field"},
		{name: "none", audit: profile.Audit{Source: "none"}, wantNil: true},
		{name: "unset means none", audit: profile.Audit{}, wantNil: true},
		{name: "unknown", audit: profile.Audit{Source: "splunk"}, wantErr: `unknown audit.source "splunk"; valid kinds: http, jsonl, csv, exec, response, none`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := &profile.Profile{Dir: dir, Audit: tc.audit}
			s, err := FromProfile(p)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantNil {
				if s != nil {
					t.Fatalf("source = %v, want nil", s)
				}
				return
			}
			if s.Name() != tc.wantName {
				t.Fatalf("name = %q, want %q", s.Name(), tc.wantName)
			}
		})
	}
	if _, err := FromProfile(&profile.Profile{Dir: dir, Audit: profile.Audit{Source: "http", URL: "https://127.0.0.1/x"}, TLS: profile.TLS{CAFile: "missing.pem"}}); err == nil || !strings.Contains(err.Error(), "tls.ca_file") {
		t.Fatalf("missing CA file error = %v", err)
	}
}
