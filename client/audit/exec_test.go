package audit

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestExecSource(t *testing.T) {
	// The script echoes its environment into rows so the test can check it.
	ok := `printf '{"id":1,"detail":"InvalidSignature","status":"Failure","user_agent":"x (+%s000001)","user":"%s"}\n' "$REFRESHCONF_MARKER" "$REFRESHCONF_SINCE"
printf '\n{"detail":"Foreign","user_agent":"curl"}\n'
printf '{"date":"2026-11-28T12:00:00Z","detail":"NoID","user_agent":"%s000002"}\n' "$REFRESHCONF_MARKER"
printf '{"date":"2020-01-01T00:00:00Z","detail":"Old","user_agent":"%s000003"}\n' "$REFRESHCONF_MARKER"`
	s, err := NewExec([]string{"sh", "-c", ok}, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if s.Name() != "exec sh" {
		t.Fatalf("name = %q", s.Name())
	}
	since := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	q := Query{Contains: "rc-1a2b3c4d-", Since: since}
	b, err := s.Fetch(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	if got := details(b.Entries); got != "InvalidSignature,NoID" {
		t.Fatalf("details = %q", got)
	}
	if e := b.Entries[0]; e.UserAgent != "x (+rc-1a2b3c4d-000001)" || e.User != "2026-01-01T00:00:00Z" || e.ID != "1" || e.Source != "exec sh" {
		t.Fatalf("entry = %+v", e)
	}
	if b.Entries[1].ID == "" {
		t.Fatal("row without id got no synthetic id")
	}
	// Same output again: nothing new.
	q.Cursor = b.Cursor
	b2, err := s.Fetch(context.Background(), q)
	if err != nil || len(b2.Entries) != 0 {
		t.Fatalf("second fetch = %+v, %v", b2.Entries, err)
	}
}

func TestExecSourceFailures(t *testing.T) {
	tests := []struct {
		name    string
		script  string
		timeout time.Duration
		want    []string
		leak    []string
	}{
		{name: "exit code", script: `echo "auth failed: Bearer ` + adminToken + ` token=` + testJWT + `" >&2; exit 3`, timeout: 5 * time.Second,
			want: []string{"exit code 3", "auth failed"}, leak: []string{adminToken, "eyJzdWIi"}},
		{name: "long stderr truncated", script: `i=0; while [ $i -lt 100 ]; do printf 'abcdefghij' >&2; i=$((i+1)); done; exit 1`, timeout: 5 * time.Second,
			want: []string{"exit code 1", "..."}},
		{name: "bad json", script: `echo '{"detail":"A","user_agent":"rc-1"}'; echo 'not json'`, timeout: 5 * time.Second,
			want: []string{"output line 2", "not JSON", "one JSON object per line"}},
		{name: "wrong type", script: `echo '{"detail":["A"],"user_agent":"rc-1"}'`, timeout: 5 * time.Second,
			want: []string{"output line 1", `field "detail": want string, got array`}},
		{name: "timeout", script: `sleep 5`, timeout: 200 * time.Millisecond,
			want: []string{"did not finish within 200ms"}},
		{name: "timeout kills children", script: `sleep 5 | cat; echo '{}'`, timeout: 200 * time.Millisecond,
			want: []string{"did not finish within 200ms"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewExec([]string{"sh", "-c", tc.script}, tc.timeout)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			_, err = s.Fetch(context.Background(), Query{Contains: "rc-"})
			if err == nil {
				t.Fatal("no error")
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Fatalf("took %v", d)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			for _, l := range tc.leak {
				if strings.Contains(err.Error(), l) {
					t.Errorf("error leaks %q: %v", l, err)
				}
			}
			if len(err.Error()) > 400 {
				t.Errorf("error too long (%d bytes)", len(err.Error()))
			}
		})
	}
}

func TestNewExecValidation(t *testing.T) {
	tests := []struct {
		argv []string
		want string
	}{
		{nil, "command is empty"},
		{[]string{""}, "command is empty"},
		{[]string{"/nonexistent/refreshconf-audit"}, "not found or not executable"},
		{[]string{"refreshconf-no-such-program-xyz"}, "not found or not executable"},
	}
	for _, tc := range tests {
		if _, err := NewExec(tc.argv, 0); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewExec(%q) error = %v, want %q", tc.argv, err, tc.want)
		}
	}
}
