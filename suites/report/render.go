package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	ttemplate "text/template"

	"github.com/goccy/go-yaml"
	"github.com/onsi/ginkgo/v2/types"
	"golang.org/x/sync/errgroup"
)

// File names written by WriteAll.
const (
	FileYAML     = "conformance-report.yaml"
	FileMarkdown = "conformance-report.md"
	FileHTML     = "conformance-report.html"
	FileJUnit    = "junit.xml"
	FileJSON     = "report.json"
)

// WriteAll writes the conformance report (YAML, Markdown, HTML), its JUnit
// rendering and the Ginkgo JSON report of r into dir (created if needed),
// after removing an earlier run's files from dir. withGinkgo false skips
// the JSON (when re-rendering from that JSON report in its own folder). The
// files are rendered and written concurrently; the JSON report is compact
// (Ginkgo's own writer indents it, which doubles its cost and size).
func WriteAll(dir string, r types.Report, withGinkgo bool) (*Conformance, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the report folder: %w", err)
	}
	// A report folder holds exactly one run: remove an earlier run's
	// files first, so that no file of it survives beside this run's.
	stale := []string{FileYAML, FileMarkdown, FileHTML, FileJUnit}
	if withGinkgo {
		stale = append(stale, FileJSON)
	}
	for _, name := range stale {
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("removing the earlier run's %s from the report folder: %w", name, err)
		}
	}
	c := Build(r)
	render := map[string]func() ([]byte, error){
		FileYAML:     c.YAML,
		FileMarkdown: c.Markdown,
		FileHTML:     c.HTML,
		FileJUnit:    c.JUnit,
	}
	var g errgroup.Group
	for name, fn := range render {
		g.Go(func() error {
			data, err := fn()
			if err != nil {
				return err
			}
			if err := writeFile(filepath.Join(dir, name), data, 0o644); err != nil {
				return fmt.Errorf("writing %s: %w", name, err)
			}
			return nil
		})
	}
	if withGinkgo {
		g.Go(func() error { return writeGinkgoJSON(filepath.Join(dir, FileJSON), r) })
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return c, nil
}

// writeGinkgoJSON writes r as Ginkgo's JSON report (a one-element array of
// types.Report, as `ginkgo --json-report` writes), without indentation.
func writeGinkgoJSON(path string, r types.Report) error {
	data, err := ginkgoJSON(r)
	if err != nil {
		return fmt.Errorf("encoding %s: %w", filepath.Base(path), err)
	}
	if err := writeFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", filepath.Base(path), err)
	}
	return nil
}

// ginkgoJSON returns exactly json.Marshal([]types.Report{r}), faster: the
// spec reports, nearly all of the bytes, are encoded in two halves at once
// and spliced into the report's own encoding, so that encoding/json does
// not re-scan every spec's bytes (it compacts what a MarshalJSON method
// returns, and SpecReport has one).
func ginkgoJSON(r types.Report) ([]byte, error) {
	specs := r.SpecReports
	if len(specs) == 0 {
		return json.Marshal([]types.Report{r})
	}
	r.SpecReports = nil
	head, err := json.Marshal([]types.Report{r})
	if err != nil {
		return nil, err
	}
	const field = `"SpecReports":null`
	at := bytes.Index(head, []byte(field))
	if at < 0 {
		return nil, errors.New("the Ginkgo report encodes without a SpecReports field")
	}
	half := len(specs) / 2
	parts := [2][]byte{}
	var g errgroup.Group
	for i, chunk := range [][]types.SpecReport{specs[:half], specs[half:]} {
		g.Go(func() error {
			var b []byte
			for j, sp := range chunk {
				sb, err := sp.MarshalJSON()
				if err != nil {
					return err
				}
				if j > 0 {
					b = append(b, ',')
				}
				b = append(b, sb...)
			}
			parts[i] = b
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(head)+len(parts[0])+len(parts[1])+2)
	out = append(out, head[:at]...)
	out = append(out, `"SpecReports":[`...)
	out = append(out, parts[0]...)
	if len(parts[0]) > 0 && len(parts[1]) > 0 {
		out = append(out, ',')
	}
	out = append(out, parts[1]...)
	out = append(out, ']')
	return append(out, head[at+len(field):]...), nil
}

// YAML renders the report as YAML; its first lines are comments holding
// the notices (also in the notices field).
func (c *Conformance) YAML() ([]byte, error) {
	b, err := yaml.MarshalWithOptions(c, yaml.UseLiteralStyleIfMultiline(true))
	if err != nil {
		return nil, fmt.Errorf("rendering the YAML report: %w", err)
	}
	var head bytes.Buffer
	for _, n := range c.Notices {
		head.WriteString("# " + CleanLine(n) + "\n")
	}
	return append(head.Bytes(), b...), nil
}

var funcs = map[string]any{
	"upper": func(v any) string { return strings.ToUpper(fmt.Sprint(v)) },
	"join":  strings.Join,
	"firstLine": func(s string) string {
		s = strings.TrimSpace(s)
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			return s[:i]
		}
		return s
	},
	"cell":   MarkdownCell,
	"fence":  markdownFence,
	"title":  func(s State) string { return s.Info().Title },
	"states": States,
	"count":  func(c Counts, s State) int { return c.Of(s) },
	"dict": func(kv ...any) map[string]any {
		m := make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			m[fmt.Sprint(kv[i])] = kv[i+1]
		}
		return m
	},
}

// MarkdownCell makes s safe inside one Markdown table cell (or any inline
// Markdown text): control characters cleaned (see Clean), line breaks
// joined, and every character Markdown or HTML would interpret escaped, so
// that a target-derived string cannot end the cell, start a line, a
// heading or an HTML element, or add emphasis or links.
func MarkdownCell(s string) string {
	s = CleanLine(s)
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\\', '`', '*', '_', '[', ']', '|', '~', '#', '!', '{', '}':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// markdownFence returns s as a fenced code block whose fence is longer
// than any backtick run in s, so that s cannot close it.
func markdownFence(s string) string {
	s = Clean(s)
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", max(3, longest+1))
	return fence + "\n" + strings.TrimRight(s, "\n") + "\n" + fence
}

const mdTemplate = `{{range .Notices}}> **{{cell .}}**
>
{{end}}# refreshconf conformance report: {{cell .Run.Target}}

**Result: {{upper .Result}}**: {{cell .VerdictReason}}

{{range states}}{{if count $.Summary .State}}{{count $.Summary .State}} {{.Title}} · {{end}}{{end}}of {{.Summary.Total}} selected
{{- if .Run.Stances}}

Non-default stances: {{cell (join .Run.Stances "; ")}}
{{- end}}
{{- if .Run.Dialect}}

Code dialect: {{.Run.Dialect}}{{if .Run.Pins}}; pinned codes: {{join .Run.Pins "; "}}{{end}}
{{- end}}

| | |
|---|---|
| Target | {{cell .Run.Target}} ({{cell .Run.TokenURL}}) |
| Implementation | {{cell .Run.Implementation.Organization}} {{cell .Run.Implementation.Project}} {{cell .Run.Implementation.Version}} |
| Mode | {{.Run.Mode}}{{if .Run.Certify}}, certification{{end}}{{if .Run.Defects}}, defects: {{cell (join .Run.Defects ", ")}}{{end}} |
| Audit source | {{cell .Run.AuditSource}}{{if .Run.Gating}} (gating: {{.Run.Gating}}){{end}} |
| Selection | {{if .Selection}}{{cell .Selection}}{{else}}the whole catalogue{{end}} |
| Harness | refreshconf {{cell .Run.HarnessVersion}}, run {{cell .Run.RunID}} |
| Date | {{.Date.Format "2006-01-02 15:04:05 MST"}}, duration {{.Duration}} |

## Families

| Family | Result | Core passed/failed/skipped/not judged | Extended passed/failed/skipped/not judged/unsupported |
|---|---|---|---|
{{- range .Families}}
| {{.Family}} | {{.Result}} | {{.Core.Passed}}/{{.Core.Failed}}/{{.Core.Skipped}}/{{.Core.NotJudged}} | {{.Extended.Passed}}/{{.Extended.Failed}}/{{.Extended.Skipped}}/{{.Extended.NotJudged}}/{{.Extended.Unsupported}} |
{{- end}}
{{if .HarnessErrors}}
## Set-up errors
{{range .HarnessErrors}}
{{fence .}}
{{end}}
{{end}}
{{- if .Failed}}
## Failed scenarios

| ID | Scenario | Expected | Actual |
|---|---|---|---|
{{- range .Failed}}
| {{.ID}} | {{cell .Name}} | {{range .Steps}}{{cell .Expected}}{{if .Code}} (code {{.Code}}){{end}}<br>{{end}} | {{range .Steps}}HTTP {{.HTTPStatus}} {{cell .Error}}, audit {{cell .AuditCodes}}<br>{{end}} |
{{- end}}
{{range .Failed}}
### {{.ID}} {{cell .Name}}
{{range .Steps}}{{if .Provenance}}
- {{cell .Name}}: {{cell .Provenance}}{{end}}{{end}}

{{fence .Reason}}
{{- end}}
{{end}}
{{- template "list" (dict "Title" "Stale known deviations (declared, but they passed)" "L" .StaleDeviations)}}
{{- template "list" (dict "Title" "Harness errors (not the target's failures)" "L" .Errored)}}
{{- template "list" (dict "Title" "Interrupted" "L" .Interrupted)}}
{{- template "list" (dict "Title" "Known deviations (declared by the profile)" "L" .KnownDeviations)}}
{{- template "list" (dict "Title" "Not judged" "L" .NotJudged)}}
{{- template "list" (dict "Title" "Skipped scenarios" "L" .Skipped)}}
{{- template "list" (dict "Title" "Not supported (declared by the profile)" "L" .Unsupported)}}
{{- if .Warnings}}
## Warnings (SHOULD-level; they do not fail the run)

| ID | Scenario | Warning |
|---|---|---|
{{- range .Warnings}}{{$s := .}}{{range .Warnings}}
| {{$s.ID}} | {{cell $s.Name}} | {{cell .Clause}}: {{if .Step}}{{cell .Step}}: {{end}}{{cell .Message}} |
{{- end}}{{end}}
{{end}}
{{- if .Recorded}}
## Audit codes recorded, not judged (code dialect {{.Run.Dialect}})

NetSuite documents no code for these situations; each row was judged (exactly one, Status Failure, no secret). Pin a code with codes.pins to assert it.

| ID | Step | Reference code | Target wrote | Provenance |
|---|---|---|---|---|
{{- range .Recorded}}
| {{.ID}} | {{cell .Step}} | {{cell .Expected}} | {{cell .Wrote}} | {{cell .Provenance}} |
{{- end}}
{{end}}
{{- if .NotSelected}}
## Not selected

{{len .NotSelected}} scenario(s) were left out by the selection and are not counted.
{{end}}
{{- define "list"}}{{if .L}}
## {{.Title}}

| ID | Level | Reason |
|---|---|---|
{{- range .L}}
| {{.ID}} | {{.Level}} | {{cell .Reason}} |
{{- end}}
{{end}}{{end}}`

// Markdown renders the report as Markdown.
func (c *Conformance) Markdown() ([]byte, error) {
	t, err := ttemplate.New("md").Funcs(funcs).Parse(mdTemplate)
	if err != nil {
		return nil, fmt.Errorf("parsing the Markdown template: %w", err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, c); err != nil {
		return nil, fmt.Errorf("rendering the Markdown report: %w", err)
	}
	return b.Bytes(), nil
}
