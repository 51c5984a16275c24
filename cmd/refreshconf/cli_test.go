package main

import (
	"bytes"
	"os"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

// inProcess runs the command line in this process with output captured.
func inProcess(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

func TestVersionFlagAndCommand(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}} {
		res := runCLI(t, time.Minute, nil, args...)
		if res.Code != 0 {
			t.Errorf("refreshconf %s: exit %d\n%s%s", args[0], res.Code, res.Stdout, res.Stderr)
		}
		for _, want := range []string{"refreshconf 0.1.0 ", "module ", "revision ", "go1."} {
			if !strings.Contains(res.Stdout, want) {
				t.Errorf("refreshconf %s printed %q, which lacks %q", args[0], res.Stdout, want)
			}
		}
	}
}

func TestVersionLineReadsBuildInfo(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/refreshconf/refreshconf", Version: "v1.2.3"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123abcd"}, {Key: "vcs.modified", Value: "true"}}}
	got := versionLine(bi, true)
	for _, want := range []string{"module v1.2.3", "revision 0123abcd+dirty", "go1.26.8"} {
		if !strings.Contains(got, want) {
			t.Errorf("versionLine = %q, lacks %q", got, want)
		}
	}
	if got := versionLine(nil, false); !strings.Contains(got, "revision unknown") {
		t.Errorf("without build info: %q", got)
	}
}

func TestEveryCommandHasExamples(t *testing.T) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		generated := c.Name() == "help" || c.Parent() != nil && c.Parent().Name() == "completion"
		if !generated {
			if strings.TrimSpace(c.Example) == "" {
				t.Errorf("%s has no Examples section", c.CommandPath())
			}
		}
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(newRootCmd())
	out, err := inProcess(t, "run", "--help")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "Examples:") {
		t.Errorf("run --help shows no examples:\n%s", out)
	}
}

func TestRunHelpStatesTheRealDefaults(t *testing.T) {
	out, err := inProcess(t, "run", "--help")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "--") {
			continue // not a flag's help line
		}
		switch {
		case strings.Contains(line, "--report-dir"):
			if !strings.Contains(line, "default ./refreshconf-report") || strings.Contains(line, "temp dir") {
				t.Errorf("run --help states a wrong report-dir default: %s", line)
			}
		case strings.Contains(line, "--audit-timeout"), strings.Contains(line, "--audit-latency"):
			if n := strings.Count(line, "default"); n != 1 {
				t.Errorf("run --help states %d defaults: %s", n, line)
			}
		}
	}
}

func TestCompletionOffersValues(t *testing.T) {
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"run", "--defect", ""}, []string{"status-200-on-error", "allow-get"}},
		{[]string{"serve", "--defect", ""}, []string{"status-200-on-error"}},
		{[]string{"fuzz", "--defect", ""}, []string{"status-200-on-error"}},
		{[]string{"catalogue", "--format", ""}, []string{"table", "markdown", "json"}},
		{[]string{"bench", "--format", ""}, []string{"table", "json"}},
		{[]string{"run", "--label-filter", ""}, []string{"id:SEED-03", "family:seed", "level:core", "code:InvalidSignature", "seed"}},
		{[]string{"catalogue", "--label-filter", ""}, []string{"id:SEED-03"}},
	}
	for _, c := range cases {
		out, err := inProcess(t, append([]string{cobra.ShellCompRequestCmd}, c.args...)...)
		if err != nil {
			t.Fatalf("%v: %v", c.args, err)
		}
		lines := map[string]bool{}
		for _, l := range strings.Split(out, "\n") {
			name, _, _ := strings.Cut(l, "\t")
			lines[name] = true
		}
		for _, w := range c.want {
			if !lines[w] {
				t.Errorf("completion of %v lacks %q:\n%s", c.args, w, out)
			}
		}
	}
}

func TestCatalogueLabelFilterPreviewsTheSelection(t *testing.T) {
	out, err := inProcess(t, "catalogue", "--label-filter", "id:SEED-03 || id:TOK-01")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "SEED-03") || !strings.Contains(out, "2 of ") || strings.Contains(out, "SEED-04") {
		t.Errorf("catalogue --label-filter printed:\n%s", out)
	}
	out, err = inProcess(t, "catalogue", "--format", "json", "--label-filter", "family:seed")
	if err != nil || strings.Count(out, `"id":`) != 13 {
		t.Errorf("catalogue --format json --label-filter family:seed: %v, %d rows", err, strings.Count(out, `"id":`))
	}
	if _, err := inProcess(t, "catalogue", "--label-filter", "((("); exitCode(err) != 2 {
		t.Errorf("a bad label filter: %v (exit %d), want exit 2", err, exitCode(err))
	}
}

// TestRunToAFileWritesNoEscapeCodes: `refreshconf run > log 2>&1` (no
// terminal, no --no-color) leaves no ANSI escape code in the log.
func TestRunToAFileWritesNoEscapeCodes(t *testing.T) {
	res := runCLI(t, 3*time.Minute, []string{"NO_COLOR="}, "run", "--label-filter", "id:SEED-03", "--report-dir", t.TempDir())
	if res.Code > 1 || !strings.Contains(res.Stdout, "reports: ") {
		t.Fatalf("exit %d\n%s\n%s", res.Code, res.Stdout, res.Stderr)
	}
	if i := strings.IndexByte(res.Stdout+res.Stderr, 0x1b); i >= 0 {
		t.Errorf("the log holds an escape code:\n%q", (res.Stdout + res.Stderr)[max(0, i-40):])
	}
	res = runCLI(t, time.Minute, []string{"NO_COLOR="}, "catalogue", "--label-filter", "(((")
	if res.Code != 2 || strings.IndexByte(res.Stderr, 0x1b) >= 0 {
		t.Errorf("a label-filter error: exit %d, stderr %q", res.Code, res.Stderr)
	}
}

func TestColourOnlyOnATerminal(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if colorOn(f, false) {
		t.Error("colour on for a file")
	}
	if colorOn(&bytes.Buffer{}, false) {
		t.Error("colour on for a buffer")
	}
	tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0)
	if err != nil {
		t.Logf("no terminal to check the positive case (%v)", err)
		return
	}
	defer tty.Close()
	t.Setenv("NO_COLOR", "")
	t.Setenv("TERM", "xterm")
	if !colorOn(tty, false) {
		t.Error("colour off on a terminal")
	}
	if colorOn(tty, true) {
		t.Error("colour on with --no-color")
	}
	t.Setenv("NO_COLOR", "1")
	if colorOn(tty, false) {
		t.Error("colour on with NO_COLOR")
	}
}
