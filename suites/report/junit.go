package report

import (
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
)

// JUnit renders the conformance report as JUnit XML, the way CI
// dashboards read it: one testcase per selected scenario named
// "ID: name" with the family as classname and the scenario's ID, audit
// code, level, provenance and state as properties; a scenario that was
// not judged, skipped, unsupported or a known deviation is <skipped> (with
// its reason), never a pass; a failure or stale deviation is <failure>; a
// harness error or interruption is <error>. Scenarios a filter left out
// are not written. Set-up problems are one error testcase named
// "refreshconf set-up", and a last testcase "refreshconf verdict" carries
// the run's verdict, so that the file agrees with the exit status.
func (c *Conformance) JUnit() ([]byte, error) {
	suite := junitSuite{Name: "refreshconf conformance", Timestamp: c.Date.Format("2006-01-02T15:04:05")}
	suite.Properties = []junitProperty{
		{"verdict", string(c.Result)}, {"verdict_reason", CleanLine(c.VerdictReason)},
		{"target", CleanLine(c.Run.Target)}, {"token_url", CleanLine(c.Run.TokenURL)},
		{"audit_source", c.Run.AuditSource}, {"harness_version", c.Run.HarnessVersion}, {"run_id", c.Run.RunID},
	}
	if c.Run.Gating != "" {
		suite.Properties = append(suite.Properties, junitProperty{"gating", c.Run.Gating})
	}
	if c.Selection != "" {
		suite.Properties = append(suite.Properties, junitProperty{"selection", CleanLine(c.Selection)})
	}
	for _, n := range c.Notices {
		suite.Properties = append(suite.Properties, junitProperty{"notice", CleanLine(n)})
	}
	if len(c.HarnessErrors) > 0 {
		suite.add(junitCase{
			Name: "refreshconf set-up", Classname: "refreshconf",
			Error: &junitResult{Message: CleanLine(firstLine(c.HarnessErrors[0])), Type: "set-up", Text: Clean(strings.Join(c.HarnessErrors, "\n\n"))},
		})
	}
	for _, s := range c.Scenarios {
		kind := s.State.Info().JUnit
		if kind == "" {
			continue
		}
		tc := junitCase{
			Name: s.ID + ": " + CleanLine(s.Name), Classname: s.Family, Time: seconds(s.Seconds),
			Properties: &junitProperties{Property: []junitProperty{{"id", s.ID}, {"code", s.Code}, {"level", s.Level}}},
		}
		if p := s.Provenance(); p != "" {
			tc.Properties.Property = append(tc.Properties.Property, junitProperty{"provenance", CleanLine(p)})
		}
		tc.Properties.Property = append(tc.Properties.Property, junitProperty{"state", string(s.State)})
		if s.Deviation != "" {
			tc.Properties.Property = append(tc.Properties.Property, junitProperty{"deviation", CleanLine(s.Deviation)})
		}
		var out strings.Builder
		if len(s.Warnings) > 0 {
			tc.Properties.Property = append(tc.Properties.Property, junitProperty{"warnings", strconv.Itoa(len(s.Warnings))})
			for _, w := range s.Warnings {
				step := ""
				if w.Step != "" {
					step = w.Step + ": "
				}
				fmt.Fprintf(&out, "WARNING %s%s: %s\n", step, w.Clause, w.Message)
			}
		}
		for _, st := range s.Steps {
			fmt.Fprintf(&out, "step %q: expected %s; got HTTP %d %s, audit %s\n", st.Name, st.Expected, st.HTTPStatus, st.Error, st.AuditCodes)
		}
		tc.SystemOut = Clean(out.String())
		reason := firstNonEmpty(s.Reason, s.State.Info().Title)
		res := &junitResult{Message: CleanLine(firstLine(reason)), Type: string(s.State), Text: Clean(reason)}
		switch kind {
		case "failure":
			if s.Transcript != "" {
				res.Text += "\n\n" + s.Transcript
			}
			tc.Failure = res
		case "error":
			tc.Error = res
		case "skipped":
			tc.Skipped = &junitResult{Message: CleanLine(s.State.Info().Title + ": " + reason)}
		}
		suite.add(tc)
	}
	verdict := junitCase{Name: "refreshconf verdict: " + string(c.Result), Classname: "refreshconf"}
	msg := CleanLine(c.VerdictReason)
	switch c.Result {
	case VerdictSuccess:
	case VerdictNothingJudged:
		verdict.Skipped = &junitResult{Message: msg}
	case VerdictIncomplete, VerdictInterrupted:
		verdict.Error = &junitResult{Message: msg, Type: string(c.Result)}
	default:
		verdict.Failure = &junitResult{Message: msg, Type: string(c.Result)}
	}
	suite.add(verdict)
	doc := junitSuites{Name: suite.Name, Tests: suite.Tests, Failures: suite.Failures, Errors: suite.Errors, Disabled: 0, Skipped: suite.Skipped, Time: suite.Time, Suites: []junitSuite{suite}}
	b, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("rendering the JUnit report: %w", err)
	}
	return append([]byte(xml.Header), append(b, '\n')...), nil
}

func seconds(s float64) string { return strconv.FormatFloat(s, 'f', 3, 64) }

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Disabled int          `xml:"disabled,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
	total      float64
}

func (s *junitSuite) add(tc junitCase) {
	if tc.Time == "" {
		tc.Time = seconds(0)
	}
	s.Tests++
	switch {
	case tc.Failure != nil:
		s.Failures++
	case tc.Error != nil:
		s.Errors++
	case tc.Skipped != nil:
		s.Skipped++
	}
	t, _ := strconv.ParseFloat(tc.Time, 64)
	s.total += t
	s.Time = seconds(s.total)
	s.Cases = append(s.Cases, tc)
}

type junitProperties struct {
	Property []junitProperty `xml:"property"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name       string           `xml:"name,attr"`
	Classname  string           `xml:"classname,attr"`
	Time       string           `xml:"time,attr"`
	Properties *junitProperties `xml:"properties,omitempty"`
	Skipped    *junitResult     `xml:"skipped,omitempty"`
	Failure    *junitResult     `xml:"failure,omitempty"`
	Error      *junitResult     `xml:"error,omitempty"`
	SystemOut  string           `xml:"system-out,omitempty"`
}

type junitResult struct {
	Message string `xml:"message,attr,omitempty"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}
