package main

import (
	"io"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/refreshconf/refreshconf/fixtures/target"
	"github.com/refreshconf/refreshconf/suites/catalogue"
)

// examples holds each command's Examples section, by command path.
var examples = map[string]string{
	"refreshconf": `  refreshconf run                                  # whole catalogue, embedded reference target
  refreshconf profile check --profile staging.yaml  # what a run against staging would do
  refreshconf --version`,
	"refreshconf run": `  refreshconf run                                   # embedded reference target; reports in ./refreshconf-report
  refreshconf run --profile staging.yaml --report-dir out
  refreshconf run --label-filter 'family:token && level:core'
  refreshconf run --defect status-200-on-error      # prove the harness catches a fault
  refreshconf run --profile vendor.yaml --certify --report-dir report`,
	"refreshconf serve": `  refreshconf serve --profile-out target.yaml      # then: refreshconf run --profile target.yaml
  refreshconf serve --listen 127.0.0.1:0 --defect status-200-on-error
  refreshconf serve --list-defects`,
	"refreshconf catalogue": `  refreshconf catalogue
  refreshconf catalogue --format markdown > catalogue.md
  refreshconf catalogue --label-filter 'family:seed || code:InvalidSignature'`,
	"refreshconf profile": `  refreshconf profile init --out staging.yaml
  refreshconf profile check --profile staging.yaml`,
	"refreshconf profile init": `  refreshconf profile init --out staging.yaml
  refreshconf profile init > staging.yaml`,
	"refreshconf profile check": `  refreshconf profile check --profile staging.yaml
  refreshconf profile check --profile staging.yaml --no-probe   # send nothing to the token endpoint`,
	"refreshconf report": `  refreshconf report --from out/report.json
  refreshconf report --from out/report.json --out rendered`,
	"refreshconf version": `  refreshconf version
  refreshconf --version`,
	"refreshconf fuzz": `  refreshconf fuzz --duration 10s
  refreshconf fuzz --profile staging.yaml --duration 60s --concurrency 4 --seed 42`,
	"refreshconf bench": `  refreshconf bench --quick
  refreshconf bench --format json > bench.json`,
	"refreshconf completion": `  source <(refreshconf completion bash)
  refreshconf completion zsh > "${fpath[1]}/_refreshconf"`,
}

// formats lists each command's --format values.
var formats = map[string][]string{
	"refreshconf catalogue": {"table", "markdown", "json"},
	"refreshconf bench":     {"table", "json"},
}

// decorate gives every command of root its Examples section and the
// completions of its --defect, --format and --label-filter flags.
func decorate(root *cobra.Command) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if ex, ok := examples[c.CommandPath()]; ok && c.Example == "" {
			c.Example = ex
		}
		if f := c.Flags().Lookup("defect"); f != nil {
			_ = c.RegisterFlagCompletionFunc("defect", completeDefects)
		}
		if vals, ok := formats[c.CommandPath()]; ok {
			_ = c.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(vals, cobra.ShellCompDirectiveNoFileComp))
		}
		if f := c.Flags().Lookup("label-filter"); f != nil {
			_ = c.RegisterFlagCompletionFunc("label-filter", completeLabels)
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// completeDefects offers the reference target's defect names.
func completeDefects(_ *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
	var out []string
	for _, d := range target.ListDefects() {
		out = append(out, d.Name+"\t"+d.Description)
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeLabels offers every label of the catalogue (id:, family:,
// level:, code:, seed).
func completeLabels(_ *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
	return catalogueLabels(), cobra.ShellCompDirectiveNoFileComp
}

// catalogueLabels lists the distinct labels of the catalogue, sorted.
func catalogueLabels() []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range catalogue.All() {
		for _, l := range s.Labels() {
			if !seen[l] {
				seen[l] = true
				out = append(out, l)
			}
		}
	}
	sort.Strings(out)
	return out
}

// colorOn reports whether output to w may carry ANSI colours: only on a
// terminal, and never with --no-color (noColor) or NO_COLOR set
// (https://no-color.org: any non-empty value).
func colorOn(w io.Writer, noColor bool) bool {
	if noColor || os.Getenv("NO_COLOR") != "" || strings.EqualFold(os.Getenv("TERM"), "dumb") {
		return false
	}
	return isTerminal(w)
}

// ansiEscape matches an ANSI SGR escape sequence (a colour or style).
var ansiEscape = regexp.MustCompile("\x1b\\[[0-9;]*m")

// stripANSI removes colour and style escape sequences from s.
func stripANSI(s string) string { return ansiEscape.ReplaceAllString(s, "") }
