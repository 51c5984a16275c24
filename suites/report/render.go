package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"strings"
	ttemplate "text/template"

	"github.com/goccy/go-yaml"
	"github.com/onsi/ginkgo/v2/reporters"
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

// WriteAll writes the conformance report (YAML, Markdown, HTML), JUnit and
// the Ginkgo JSON report of r into dir (created if needed). withGinkgo
// false skips JUnit and JSON (when re-rendering from a JSON report). The
// files are rendered and written concurrently; the JSON report is compact
// (Ginkgo's own writer indents it, which doubles its cost and size).
func WriteAll(dir string, r types.Report, withGinkgo bool) (*Conformance, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the report folder: %w", err)
	}
	c := Build(r)
	render := map[string]func() ([]byte, error){
		FileYAML:     c.YAML,
		FileMarkdown: c.Markdown,
		FileHTML:     c.HTML,
	}
	var g errgroup.Group
	for name, fn := range render {
		g.Go(func() error {
			data, err := fn()
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
				return fmt.Errorf("writing %s: %w", name, err)
			}
			return nil
		})
	}
	if withGinkgo {
		g.Go(func() error {
			if err := reporters.GenerateJUnitReportWithConfig(r, filepath.Join(dir, FileJUnit), reporters.JunitReportConfig{OmitLeafNodeType: true, OmitTimelinesForSpecState: types.SpecStatePassed | types.SpecStateSkipped}); err != nil {
				return fmt.Errorf("writing %s: %w", FileJUnit, err)
			}
			return nil
		})
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
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
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
		head.WriteString("# " + strings.ReplaceAll(n, "\n", " ") + "\n")
	}
	return append(head.Bytes(), b...), nil
}

var funcs = map[string]any{
	"upper": strings.ToUpper,
	"join":  strings.Join,
	"firstLine": func(s string) string {
		s = strings.TrimSpace(s)
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			return s[:i]
		}
		return s
	},
	"cell": func(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "|", "\\|"), "\n", " ") },
}

const mdTemplate = `{{range .Notices}}> **{{cell .}}**
>
{{end}}# refreshconf conformance report: {{.Run.Target}}

**Result: {{upper .Result}}** · {{.Summary.Passed}} passed, {{.Summary.Failed}} failed, {{.Summary.Skipped}} skipped, {{.Summary.Unsupported}} not supported, {{.Summary.NotJudged}} not judged (of {{.Summary.Total}})
{{- if .Run.Stances}}

Non-default stances: {{join .Run.Stances "; "}}
{{- end}}

| | |
|---|---|
| Target | {{.Run.Target}} ({{.Run.TokenURL}}) |
| Implementation | {{.Run.Implementation.Organization}} {{.Run.Implementation.Project}} {{.Run.Implementation.Version}} |
| Mode | {{.Run.Mode}}{{if .Run.Certify}}, certification{{end}}{{if .Run.Defects}}, defects: {{join .Run.Defects ", "}}{{end}} |
| Audit source | {{.Run.AuditSource}} |
| Harness | refreshconf {{.Run.HarnessVersion}}, run {{.Run.RunID}} |
| Date | {{.Date.Format "2006-01-02 15:04:05 MST"}}, duration {{.Duration}} |

## Families

| Family | Result | Core passed/failed/skipped | Extended passed/failed/skipped/unsupported |
|---|---|---|---|
{{- range .Families}}
| {{.Family}} | {{.Result}} | {{.Core.Passed}}/{{.Core.Failed}}/{{.Core.Skipped}} | {{.Extended.Passed}}/{{.Extended.Failed}}/{{.Extended.Skipped}}/{{.Extended.Unsupported}} |
{{- end}}
{{if .HarnessErrors}}
## Harness errors
{{range .HarnessErrors}}
- {{cell .}}
{{- end}}
{{end}}
{{- if .Failed}}
## Failed scenarios

| ID | Scenario | Expected | Actual |
|---|---|---|---|
{{- range .Failed}}
| {{.ID}} | {{cell .Name}} | {{range .Steps}}{{cell .Expected}}<br>{{end}} | {{range .Steps}}HTTP {{.HTTPStatus}} {{.Error}}, audit {{.AuditCodes}}<br>{{end}} |
{{- end}}
{{range .Failed}}
### {{.ID}} {{.Name}}

` + "```" + `
{{.Reason}}
` + "```" + `
{{- end}}
{{end}}
{{- if .Skipped}}
## Skipped scenarios

| ID | Level | Reason |
|---|---|---|
{{- range .Skipped}}
| {{.ID}} | {{.Level}} | {{cell .Reason}} |
{{- end}}
{{end}}
{{- if .Unsupported}}
## Not supported (declared by the profile)

| ID | Reason |
|---|---|
{{- range .Unsupported}}
| {{.ID}} | {{cell .Reason}} |
{{- end}}
{{end}}
{{- if .NotJudged}}
## Not judged

{{range .NotJudged}}{{.ID}} {{end}}
{{end}}`

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

const htmlTemplate = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
{{range .Notices}}<meta name="refreshconf-notice" content="{{.}}">
{{end}}
<title>refreshconf conformance report: {{.Run.Target}}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:72em;color:#1b1f24;padding:0 1em}
h1{font-size:1.6em}h2{border-bottom:1px solid #d0d7de;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;width:100%;margin:.6em 0}th,td{border:1px solid #d0d7de;padding:.35em .6em;text-align:left;vertical-align:top}
th{background:#f6f8fa}.badge{display:inline-block;padding:.15em .7em;border-radius:1em;font-weight:600;color:#fff}
.success{background:#1a7f37}.partial{background:#9a6700}.failure{background:#cf222e}
pre{background:#f6f8fa;padding:.8em;overflow:auto;white-space:pre-wrap;font-size:12px}
details{margin:.4em 0}summary{cursor:pointer;font-weight:600}.muted{color:#57606a}
.notice{border:2px solid #9a6700;background:#fff8c5;padding:.6em 1em;font-weight:600}
</style></head><body>
{{range .Notices}}<p class="notice">{{.}}</p>
{{end}}<h1>refreshconf conformance report: {{.Run.Target}}</h1>
<p><span class="badge {{.Result}}">{{upper .Result}}</span>
 {{.Summary.Passed}} passed · {{.Summary.Failed}} failed · {{.Summary.Skipped}} skipped · {{.Summary.Unsupported}} not supported · {{.Summary.NotJudged}} not judged (of {{.Summary.Total}})</p>
{{if .Run.Stances}}<p>Non-default stances: {{join .Run.Stances "; "}}</p>{{end}}
<table>
<tr><th>Target</th><td>{{.Run.Target}} <span class="muted">{{.Run.TokenURL}}</span></td></tr>
<tr><th>Implementation</th><td>{{.Run.Implementation.Organization}} {{.Run.Implementation.Project}} {{.Run.Implementation.Version}}</td></tr>
<tr><th>Mode</th><td>{{.Run.Mode}}{{if .Run.Certify}}, certification{{end}}{{if .Run.Defects}}, defects: {{join .Run.Defects ", "}}{{end}}</td></tr>
<tr><th>Audit source</th><td>{{.Run.AuditSource}}</td></tr>
<tr><th>Harness</th><td>refreshconf {{.Run.HarnessVersion}}, run {{.Run.RunID}}</td></tr>
<tr><th>Date</th><td>{{.Date.Format "2006-01-02 15:04:05 MST"}}, duration {{.Duration}}</td></tr>
</table>
<h2>Families</h2>
<table><tr><th>Family</th><th>Result</th><th>Core passed / failed / skipped</th><th>Extended passed / failed / skipped / not supported</th></tr>
{{range .Families}}<tr><td>{{.Family}}</td><td><span class="badge {{.Result}}">{{.Result}}</span></td><td>{{.Core.Passed}} / {{.Core.Failed}} / {{.Core.Skipped}}</td><td>{{.Extended.Passed}} / {{.Extended.Failed}} / {{.Extended.Skipped}} / {{.Extended.Unsupported}}</td></tr>
{{end}}</table>
{{if .HarnessErrors}}<h2>Harness errors</h2>{{range .HarnessErrors}}<pre>{{.}}</pre>{{end}}{{end}}
{{if .Failed}}<h2>Failed scenarios</h2>
<table><tr><th>ID</th><th>Scenario</th><th>Expected</th><th>Actual</th></tr>
{{range .Failed}}<tr><td>{{.ID}}</td><td>{{.Name}}</td><td>{{range .Steps}}{{.Expected}}<br>{{end}}</td><td>{{range .Steps}}HTTP {{.HTTPStatus}} {{.Error}}, audit {{.AuditCodes}}<br>{{end}}</td></tr>
{{end}}</table>
{{range .Failed}}<details><summary>{{.ID}} {{.Name}}</summary><pre>{{.Reason}}</pre>{{if .Transcript}}<pre>{{.Transcript}}</pre>{{end}}</details>
{{end}}{{end}}
{{if .Skipped}}<h2>Skipped scenarios</h2>
<table><tr><th>ID</th><th>Level</th><th>Reason</th></tr>
{{range .Skipped}}<tr><td>{{.ID}}</td><td>{{.Level}}</td><td>{{.Reason}}</td></tr>
{{end}}</table>{{end}}
{{if .Unsupported}}<h2>Not supported (declared by the profile)</h2>
<table><tr><th>ID</th><th>Reason</th></tr>
{{range .Unsupported}}<tr><td>{{.ID}}</td><td>{{.Reason}}</td></tr>
{{end}}</table>{{end}}
{{if .NotJudged}}<h2>Not judged</h2><p>{{range .NotJudged}}{{.ID}} {{end}}</p>{{end}}
<h2>Profile (redacted)</h2><pre>{{.Run.Profile}}</pre>
</body></html>
`

// HTML renders the report as one self-contained HTML page.
func (c *Conformance) HTML() ([]byte, error) {
	t, err := template.New("html").Funcs(funcs).Parse(htmlTemplate)
	if err != nil {
		return nil, fmt.Errorf("parsing the HTML template: %w", err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, c); err != nil {
		return nil, fmt.Errorf("rendering the HTML report: %w", err)
	}
	return b.Bytes(), nil
}
