package report

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"slices"
	"strings"
)

// The HTML report's page, style and script, rendered with html/template so
// that every string taken from the target is escaped. The page is one
// self-contained file; its Content-Security-Policy allows only its own
// style and script (by hash) and no fetch of any kind.
var (
	//go:embed report.html.tmpl
	htmlTemplate string
	//go:embed report.css
	htmlStyle string
	//go:embed report.js
	htmlScript string
)

// htmlPage is what the HTML template renders.
type htmlPage struct {
	C *Conformance
	// Verdict is the run's verdict (the badge at the top).
	Verdict string
	// States lists every state of States() with its count in this run.
	States []htmlState
	// Families lists the families present, in report order, and
	// FamilyRows their results.
	Families   []string
	FamilyRows []htmlFamily
	// Rows is every scenario, failures first.
	Rows []htmlRow
	// Warnings groups every warning of every scenario by clause and
	// message; WarningCount counts them one by one.
	Warnings     []htmlWarning
	WarningCount int
	// Style and Script are the page's own style and script, and CSP its
	// Content-Security-Policy naming them by hash.
	Style  template.CSS
	Script template.JS
	CSP    string
}

// htmlState is one state with its count.
type htmlState struct {
	State, Title, Class string
	Count               int
}

// htmlFamily is one family's result with its counts by state.
type htmlFamily struct {
	Family, Result string
	Core, Extended []htmlState
}

// htmlRow is one scenario as the page shows it; every string is cleaned.
type htmlRow struct {
	ID, Name, Family, Level, Code string
	State, StateTitle, Class      string
	// RowClass tints the scenario table's row by JUnit category.
	RowClass string
	// Reason is the failure or skip message without the exchange (shown
	// once, under Exchanges); Why is its gist for the scenario table.
	Reason, Why string
	Deviation   string
	Steps       []htmlStep
	Warnings    []Warning
	Exchanges   []Exchange
	// Search is the lower-cased text the search box matches.
	Search string
}

// htmlStep is one step's expected and actual outcome.
type htmlStep struct {
	Name, Expected, Judgement, Provenance string
	Status                                int
	Error, Audit, Marker                  string
}

// htmlWarning is one finding (clause and message) and the scenarios it
// was found in.
type htmlWarning struct {
	IDs             []string
	Clause, Message string
}

// exchangeMark starts the transcript a failure message repeats (the
// framework's matchers append it); the page shows each exchange once.
const exchangeMark = "\n\nRedacted exchange:\n"

// stateClass is the CSS class of a state: its own, plus its JUnit
// category, so that a new state is coloured without a new style.
func stateClass(info StateInfo) string {
	return "st-" + string(info.State) + " j-" + junitClass(info)
}

// junitClass is the JUnit category of a state, for CSS ("none" for a
// state JUnit does not write).
func junitClass(info StateInfo) string {
	if info.JUnit == "" {
		return "none"
	}
	return info.JUnit
}

// page builds the view of c.
func (c *Conformance) page() *htmlPage {
	p := &htmlPage{C: c, Verdict: string(c.Result)}
	counts := map[string]int{}
	for _, sc := range c.Scenarios {
		counts[string(sc.State)]++
		if !slices.Contains(p.Families, sc.Family) {
			p.Families = append(p.Families, sc.Family)
		}
	}
	for _, info := range States() {
		p.States = append(p.States, htmlState{State: string(info.State), Title: info.Title, Class: stateClass(info), Count: counts[string(info.State)]})
	}
	nonZero := func(c Counts) []htmlState {
		var out []htmlState
		for _, info := range States() {
			if n := c.Of(info.State); n > 0 {
				out = append(out, htmlState{State: string(info.State), Title: info.Title, Class: stateClass(info), Count: n})
			}
		}
		return out
	}
	for _, f := range c.Families {
		p.FamilyRows = append(p.FamilyRows, htmlFamily{Family: Clean(f.Family), Result: string(f.Result), Core: nonZero(f.Core), Extended: nonZero(f.Extended)})
	}
	for _, sc := range c.Scenarios {
		info := State(sc.State).Info()
		r := htmlRow{
			ID: Clean(sc.ID), Name: Clean(sc.Name), Family: Clean(sc.Family), Level: Clean(sc.Level), Code: Clean(sc.Code),
			State: Clean(string(sc.State)), StateTitle: Clean(info.Title), Class: stateClass(info), RowClass: "r-" + junitClass(info),
			Reason: Clean(sc.Reason), Deviation: Clean(sc.Deviation),
		}
		if len(sc.Exchanges) > 0 {
			r.Reason, _, _ = strings.Cut(r.Reason, exchangeMark)
		}
		r.Why = why(r.Reason)
		search := []string{r.ID, r.Name, r.Family, r.Level, r.Code, r.StateTitle, r.Reason}
		for _, st := range sc.Steps {
			s := htmlStep{Name: Clean(st.Name), Expected: Clean(st.Expected), Judgement: Clean(string(st.Code)), Provenance: Clean(st.Provenance),
				Status: st.HTTPStatus, Error: Clean(st.Error), Audit: Clean(strings.ReplaceAll(st.AuditCodes, ",", ", ")), Marker: Clean(st.Marker)}
			r.Steps = append(r.Steps, s)
			search = append(search, s.Expected, s.Error, s.Audit, s.Marker)
		}
		for _, w := range sc.Warnings {
			w = Warning{Step: Clean(w.Step), Clause: Clean(w.Clause), Message: Clean(w.Message)}
			r.Warnings = append(r.Warnings, w)
			p.addWarning(r.ID, w)
			search = append(search, w.Clause, w.Message)
		}
		for _, e := range sc.Exchanges {
			r.Exchanges = append(r.Exchanges, Exchange{Step: Clean(e.Step), Transcript: Clean(strings.TrimRight(e.Transcript, "\n"))})
		}
		if r.Why == "" && len(r.Warnings) > 0 {
			r.Why = r.Warnings[0].Message
			if n := len(r.Warnings) - 1; n > 0 {
				r.Why += fmt.Sprintf(" (and %d more warning(s))", n)
			}
		}
		r.Search = strings.ToLower(strings.Join(search, " "))
		p.Rows = append(p.Rows, r)
	}
	slices.SortStableFunc(p.Rows, func(a, b htmlRow) int { return stateRank(a.State) - stateRank(b.State) })
	p.Style, p.Script = template.CSS(htmlStyle), template.JS(htmlScript)
	p.CSP = "default-src 'none'; style-src " + cspHash(htmlStyle) + "; script-src " + cspHash(htmlScript) + "; img-src data:; form-action 'none'; base-uri 'none'"
	return p
}

// why is the gist of a failure message for the scenario table: the
// matchers' problem lines ("  - HTTP status is 200 ..."), else the message
// without its first line when that line only names the scenario.
func why(reason string) string {
	lines := strings.Split(strings.TrimSpace(reason), "\n")
	var problems []string
	for _, l := range lines {
		if p, ok := strings.CutPrefix(l, "  - "); ok {
			problems = append(problems, p)
		}
	}
	if len(problems) > 0 {
		return strings.Join(problems, "\n")
	}
	if len(lines) > 1 && strings.Contains(lines[0], "step ") {
		lines = lines[1:]
	}
	return strings.Join(lines, "\n")
}

// addWarning counts w, found in scenario id, under its clause and message.
func (p *htmlPage) addWarning(id string, w Warning) {
	p.WarningCount++
	for i := range p.Warnings {
		if g := &p.Warnings[i]; g.Clause == w.Clause && g.Message == w.Message {
			if !slices.Contains(g.IDs, id) {
				g.IDs = append(g.IDs, id)
			}
			return
		}
	}
	p.Warnings = append(p.Warnings, htmlWarning{IDs: []string{id}, Clause: w.Clause, Message: w.Message})
}

// cspHash is the Content-Security-Policy source of an inline element.
func cspHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

var htmlFuncs = template.FuncMap{
	"upper": func(s string) string { return strings.ToUpper(strings.ReplaceAll(s, "_", " ")) },
	"clean": Clean,
	"join":  func(l []string, sep string) string { return Clean(strings.Join(l, sep)) },
	"add":   func(a, b int) int { return a + b },
}

// HTML renders the report as one self-contained HTML page.
func (c *Conformance) HTML() ([]byte, error) {
	t, err := template.New("html").Funcs(htmlFuncs).Parse(htmlTemplate)
	if err != nil {
		return nil, fmt.Errorf("parsing the HTML template: %w", err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, c.page()); err != nil {
		return nil, fmt.Errorf("rendering the HTML report: %w", err)
	}
	return b.Bytes(), nil
}
