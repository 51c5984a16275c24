package report

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
)

// htmlTemplate is the HTML report's page (report.html.tmpl), rendered with
// html/template so that every string taken from the target is escaped.
//
//go:embed report.html.tmpl
var htmlTemplate string

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
