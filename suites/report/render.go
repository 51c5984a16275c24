package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
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
{{- if .Run.Dialect}}

Code dialect: {{.Run.Dialect}}{{if .Run.Pins}}; pinned codes: {{join .Run.Pins "; "}}{{end}}
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
| {{.ID}} | {{cell .Name}} | {{range .Steps}}{{cell .Expected}}{{if .Code}} (code {{.Code}}){{end}}<br>{{end}} | {{range .Steps}}HTTP {{.HTTPStatus}} {{.Error}}, audit {{.AuditCodes}}<br>{{end}} |
{{- end}}
{{range .Failed}}
### {{.ID}} {{.Name}}
{{range .Steps}}{{if .Provenance}}
- {{.Name}}: {{.Provenance}}{{end}}{{end}}

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
{{- if .Recorded}}
## Audit codes recorded, not judged (code dialect {{.Run.Dialect}})

NetSuite documents no code for these situations; each row was judged (exactly one, Status Failure, no secret). Pin a code with codes.pins to assert it.

| ID | Step | Reference code | Target wrote | Provenance |
|---|---|---|---|---|
{{- range .Recorded}}
| {{.ID}} | {{cell .Step}} | {{cell .Expected}} | {{cell .Wrote}} | {{cell .Provenance}} |
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
