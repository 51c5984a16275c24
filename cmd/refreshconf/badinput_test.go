package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// badInput is one bad command line or bad file, and what refreshconf must
// say about it.
type badInput struct {
	name string
	// args builds the command line; dir is a fresh folder, good a valid
	// profile's YAML text (token endpoint: a refusing loopback server).
	args func(t *testing.T, dir, good string) []string
	env  []string
	code int
	// want are fragments the output (stdout+stderr) must hold.
	want []string
}

// writeFile writes content to dir/name and returns the path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// withProfile returns args that run `refreshconf run` (plus extra flags) on
// the good profile edited by edit.
func withProfile(edit func(string) string, extra ...string) func(t *testing.T, dir, good string) []string {
	return func(t *testing.T, dir, good string) []string {
		p := writeFile(t, dir, "p.yaml", edit(good))
		return append([]string{"run", "--profile", p, "--report-dir", filepath.Join(dir, "out"), "--no-color", "--label-filter", "id:SEED-09"}, extra...)
	}
}

// checkWith is withProfile for `refreshconf profile check --no-probe`.
func checkWith(edit func(string) string) func(t *testing.T, dir, good string) []string {
	return func(t *testing.T, dir, good string) []string {
		return []string{"profile", "check", "--no-probe", "--profile", writeFile(t, dir, "p.yaml", edit(good))}
	}
}

func replaceIn(old, new string) func(string) string {
	return func(s string) string {
		if !strings.Contains(s, old) {
			panic(fmt.Sprintf("test bug: %q not in the profile", old))
		}
		return strings.Replace(s, old, new, 1)
	}
}

func fixed(args ...string) func(*testing.T, string, string) []string {
	return func(*testing.T, string, string) []string { return args }
}

func badInputs() []badInput {
	return []badInput{
		// Bad flags and arguments.
		{name: "unknown command", args: fixed("frobnicate"), code: 2, want: []string{`unknown command "frobnicate"`}},
		{name: "unknown flag", args: fixed("run", "--no-such-flag"), code: 2, want: []string{"unknown flag: --no-such-flag", "see --help"}},
		{name: "positional argument", args: fixed("run", "staging.yaml"), code: 2, want: []string{`unexpected argument "staging.yaml"`, "flags only"}},
		{name: "timeout not a duration", args: fixed("run", "--timeout", "banana"), code: 2, want: []string{`invalid argument "banana"`, "--timeout"}},
		{name: "timeout zero", args: fixed("run", "--timeout", "0s"), code: 2, want: []string{"--timeout must be positive"}},
		{name: "broken label filter", args: fixed("run", "--label-filter", "family:seed &&"), code: 2, want: []string{`--label-filter "family:seed &&"`}},
		{name: "key cache is a directory", args: func(t *testing.T, dir, _ string) []string { return []string{"run", "--key-cache", dir} }, code: 2, want: []string{"--key-cache", "is a directory", "rsa-keys-v1.pem", "'off'"}},
		{name: "negative audit latency", args: fixed("run", "--audit-latency", "-1s"), code: 2, want: []string{"--audit-latency", "must not be negative"}},
		{name: "defect with a profile", args: withProfile(func(s string) string { return s }, "--defect", "ignore-blocked"), code: 2, want: []string{"apply to the embedded reference target only"}},
		{name: "catalogue format", args: fixed("catalogue", "--format", "xml"), code: 2, want: []string{"xml"}},
		{name: "report without --from", args: fixed("report"), code: 2, want: []string{"--from is required"}},
		{name: "profile check without --profile", args: fixed("profile", "check"), code: 2, want: []string{"--profile is required", "profile init"}},
		{name: "serve unknown defect", args: fixed("serve", "--defect", "no-such-defect", "--listen", "127.0.0.1:0"), code: 2, want: []string{"no-such-defect", "--list-defects"}},

		// Unreadable and malformed profiles.
		{name: "profile missing", args: fixed("run", "--profile", "/nonexistent/refreshconf/p.yaml"), code: 2, want: []string{"/nonexistent/refreshconf/p.yaml", "no such file", "profile init"}},
		{name: "profile is a folder", args: func(_ *testing.T, dir, _ string) []string { return []string{"run", "--profile", dir} }, code: 2, want: []string{"is a folder"}},
		{name: "profile empty", args: withProfile(func(string) string { return "\n\n" }), code: 2, want: []string{"is empty", "profile init"}},
		{name: "profile not YAML", args: withProfile(func(string) string { return "name: [unclosed\n  target: {\n" }), code: 2, want: []string{"p.yaml:"}},
		{name: "profile is a list", args: withProfile(func(string) string { return "- a\n- b\n" }), code: 2, want: []string{"p.yaml:1"}},
		{name: "profile unknown key", args: withProfile(replaceIn("timeouts:", "timeout_s: {connect: 1s}\ntimeouts:")), code: 2, want: []string{"timeout_s", "timeouts"}},
		{name: "profile without token_url", args: withProfile(func(s string) string { return strings.Replace(s, "  token_url:", "  keys_url:", 1) }), code: 2, want: []string{"target.token_url is required"}},
		{name: "profile negative timeout", args: withProfile(replaceIn("request: 2s", "request: -2s")), code: 2, want: []string{"timeouts.request", "positive"}},
		{name: "profile duration garbage", args: withProfile(replaceIn("request: 2s", "request: soon")), code: 2, want: []string{"timeouts.request", "soon"}},
		{name: "profile unknown audit source", args: withProfile(replaceIn("source: none", "source: syslog")), code: 2, want: []string{"audit.source", "syslog"}},
		{name: "profile user agent without marker", args: withProfile(replaceIn("name: bad-input", "name: bad-input\nuser_agent: curl/8")), code: 2, want: []string{"user_agent", "{marker}"}},
		// A secret is resolved only when the run starts (its command runs
		// once): an unresolvable one fails the run (1), naming the field.
		{name: "profile secret from unset env", args: withProfile(replaceIn("client_secret: primary-secret-0123456789", "client_secret: ${REFRESHCONF_TEST_UNSET_VAR}")), code: 1, want: []string{"REFRESHCONF_TEST_UNSET_VAR", "credentials.primary.client_secret"}},
		{name: "profile secret command missing", args: withProfile(replaceIn("client_secret: primary-secret-0123456789", "client_secret: $(/nonexistent/vault read x)")), code: 1, want: []string{"credentials.primary.client_secret", "/nonexistent/vault"}},
		{name: "profile secret command fails", args: withProfile(replaceIn("client_secret: primary-secret-0123456789", "client_secret: $(false)")), code: 1, want: []string{"credentials.primary.client_secret", "false"}},
		{name: "profile public primary", args: withProfile(replaceIn("    client_id: primary-client", "    public: true\n    client_id: primary-client")), code: 2, want: []string{"credentials.primary", "confidential"}},
		{name: "certify without audit source", args: withProfile(func(s string) string { return s }, "--certify"), code: 2, want: []string{"--certify needs an audit source"}},
		{name: "profile check unknown key", args: checkWith(replaceIn("name: bad-input", "name: bad-input\nnmae: typo")), code: 2, want: []string{"nmae"}},

		// Audit sources that error or return garbage: the run fails (1) and
		// says what the source did.
		{name: "audit jsonl file missing", args: withProfile(replaceIn("{source: none}", "{source: jsonl, path: /nonexistent/refreshconf/audit.jsonl}")), code: 1, want: []string{"/nonexistent/refreshconf/audit.jsonl"}},
		{name: "audit exec prints garbage", args: withProfile(replaceIn("{source: none}", `{source: exec, command: [sh, -c, "echo this-is-not-json; echo '{\"rows\": 7'"]}`)), code: 1, want: []string{"audit source exec sh cannot be read", "not JSON"}},
		{name: "audit exec exits non-zero", args: withProfile(replaceIn("{source: none}", `{source: exec, command: [sh, -c, "echo broken audit backend >&2; exit 3"]}`)), code: 1, want: []string{"broken audit backend", "exit code 3"}},
		{name: "audit csv garbage", args: func(t *testing.T, dir, good string) []string {
			csv := writeFile(t, dir, "trail.csv", "\x00\x01 not,a\n\"csv")
			return withProfile(replaceIn("{source: none}", "{source: csv, path: "+csv+"}"))(t, dir, good)
		}, code: 1, want: []string{"trail.csv"}},

		// Bad report input.
		{name: "report from missing file", args: fixed("report", "--from", "/nonexistent/refreshconf/report.json"), code: 2, want: []string{"/nonexistent/refreshconf/report.json", "no such file"}},
		{name: "report from garbage", args: func(t *testing.T, dir, _ string) []string {
			return []string{"report", "--from", writeFile(t, dir, "report.json", "<html>not json</html>")}
		}, code: 2, want: []string{"is not a Ginkgo JSON report"}},
		{name: "report from empty list", args: func(t *testing.T, dir, _ string) []string {
			return []string{"report", "--from", writeFile(t, dir, "report.json", "[]")}
		}, code: 2, want: []string{"holds no suite report"}},
		{name: "report from wrong JSON shape", args: func(t *testing.T, dir, _ string) []string {
			return []string{"report", "--from", writeFile(t, dir, "report.json", `{"SuitePath": 7}`)}
		}, code: 2, want: []string{"is not a Ginkgo JSON report"}},
	}
}

// TestBadInput runs every bad input in a child refreshconf and checks the
// exit status, the message, and that no Go stack trace leaks out.
func TestBadInput(t *testing.T) {
	// A target that refuses everything properly: runs that get that far
	// fail on the audit source, never on the network.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"error":"invalid_grant"}`)
	}))
	t.Cleanup(srv.Close)
	good := "name: bad-input\ntarget:\n  token_url: " + srv.URL + "/token\n" +
		"timeouts: {connect: 1s, request: 2s, audit: 2s, audit_poll: 100ms}\n" +
		"audit: {source: none}\n" +
		"credentials:\n  primary:\n    client_id: primary-client\n    client_secret: primary-secret-0123456789\n    refresh_token: primary-refresh-0123456789\n"
	cases := badInputs()
	if len(cases) < 25 {
		t.Fatalf("only %d bad inputs, want at least 25", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			args := tc.args(t, dir, good)
			// Any run that starts anyway writes its reports here, never
			// into the package folder.
			env := append([]string{"REFRESHCONF_REPORT_DIR=" + filepath.Join(dir, "out")}, tc.env...)
			res := runCLI(t, time.Minute, env, args...)
			out := res.Stdout + res.Stderr
			if res.Code != tc.code {
				t.Errorf("refreshconf %s: exit %d, want %d\n%s", strings.Join(args, " "), res.Code, tc.code, clipLog(out))
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("refreshconf %s: output lacks %q:\n%s", strings.Join(args, " "), w, clipLog(out))
				}
			}
			for _, bad := range []string{"goroutine ", "panic:", "[recovered]"} {
				if strings.Contains(out, bad) {
					t.Errorf("refreshconf %s: output holds a Go stack trace (%q):\n%s", strings.Join(args, " "), bad, clipLog(out))
				}
			}
			if strings.Contains(out, "primary-secret-0123456789") {
				t.Errorf("refreshconf %s printed the client secret", strings.Join(args, " "))
			}
		})
	}
}
