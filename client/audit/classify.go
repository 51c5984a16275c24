package audit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/textproto"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/refreshconf/refreshconf/fixtures/codes"
	"github.com/refreshconf/refreshconf/fixtures/profile"
)

// Unclassified is the Detail of a row that no classify rule matched; the
// row's Reason then holds what the target said, so a rule can be added.
const Unclassified = "Unclassified"

// TargetError is the Detail of a response the target answered with an HTTP
// 5xx status: the target failed (a server fault), which is neither a
// refusal a classify rule could name nor an Unclassified reason.
const TargetError = "TargetError"

// MaxReason bounds the Reason kept for a row, in bytes: generous (4 KiB),
// so that a long error_description is kept whole (redacted) with the
// part that tells cases apart; longer reasons end in "...".
const MaxReason = 4096

// IsTargetError reports whether HTTP status is a target error (5xx).
func IsTargetError(status int) bool { return status >= 500 && status <= 599 }

// Classifier turns a target's own reasons (HTTP status, error,
// error_description, a header, a JSON field of a log line or response
// body) into audit codes, with the ordered rules of a profile's
// audit.classify: the first rule whose every condition holds wins. It is
// safe for concurrent use.
type Classifier struct {
	rules []rule
	// fields are the log-line or body fields the rules read, for Reason.
	fields [][]string
	// headers are the response headers the rules read, for Reason.
	headers []string
}

type rule struct {
	status int
	errVal string
	desc   *regexp.Regexp
	header string
	field  []string
	match  *regexp.Regexp
	code   string // "" for Success
}

// Verdict is what a Classifier made of one response or log line.
type Verdict struct {
	// Detail is the audit code, "" for Success, or Unclassified.
	Detail string
	// Status is StatusSuccess or StatusFailure; "" for an unclassified log
	// line (the source's own status column, if any, is kept).
	Status string
	// Reason is the target's own reason, redacted and shortened: the
	// error, error_description and rule headers of a response, or the
	// rule fields of a log line (the whole line when it has none of them).
	Reason string
	// Rule is the index of the matching rule, -1 when none matched.
	Rule int
}

// NewClassifier compiles rules (validated by the profile already; errors
// here name the rule). It returns nil, nil for no rules.
func NewClassifier(rules []profile.ClassifyRule) (*Classifier, error) {
	if len(rules) == 0 {
		return nil, nil
	}
	c := &Classifier{}
	for i, r := range rules {
		cr := rule{status: r.Status, errVal: r.Error, code: r.Code}
		if r.Code == profile.CodeSuccess {
			cr.code = string(codes.Success)
		} else if _, ok := codes.Lookup(codes.Code(r.Code)); !ok {
			return nil, fmt.Errorf("audit.classify[%d]: code %q is not an audit code; write one of the codes `refreshconf catalogue` lists, or %q", i, r.Code, profile.CodeSuccess)
		}
		var err error
		if r.Description != "" {
			if cr.desc, err = regexp.Compile(r.Description); err != nil {
				return nil, fmt.Errorf("audit.classify[%d].description: %w", i, err)
			}
		}
		if r.Match != "" {
			if cr.match, err = regexp.Compile(r.Match); err != nil {
				return nil, fmt.Errorf("audit.classify[%d].match: %w", i, err)
			}
		}
		if r.Header != "" {
			cr.header = textproto.CanonicalMIMEHeaderKey(r.Header)
			if !slices.Contains(c.headers, cr.header) {
				c.headers = append(c.headers, cr.header)
			}
		}
		if r.Field != "" {
			cr.field = strings.Split(r.Field, ".")
			if !slices.ContainsFunc(c.fields, func(f []string) bool { return slices.Equal(f, cr.field) }) {
				c.fields = append(c.fields, cr.field)
			}
		}
		if (cr.header != "" || cr.field != nil) && cr.match == nil {
			return nil, fmt.Errorf("audit.classify[%d]: header or field needs match (a regular expression)", i)
		}
		if cr.status == 0 && cr.errVal == "" && cr.desc == nil && cr.header == "" && cr.field == nil {
			return nil, fmt.Errorf("audit.classify[%d]: the rule has no condition", i)
		}
		c.rules = append(c.rules, cr)
	}
	return c, nil
}

// Response classifies one token-endpoint response from its status, header
// and raw body (the body is only parsed, never kept; Reason is redacted).
func (c *Classifier) Response(status int, header http.Header, body []byte) Verdict {
	obj, _ := decodeObject(bytes.TrimSpace(body))
	errVal, _ := stringValue(obj, []string{"error"})
	desc, _ := stringValue(obj, []string{"error_description"})
	v := Verdict{Rule: -1}
	for i, r := range c.rules {
		if r.status != 0 && r.status != status {
			continue
		}
		if r.errVal != "" && r.errVal != errVal {
			continue
		}
		if r.desc != nil && !r.desc.MatchString(desc) {
			continue
		}
		if r.header != "" && (header == nil || !r.match.MatchString(header.Get(r.header))) {
			continue
		}
		if r.field != nil {
			s, ok := stringValue(obj, r.field)
			if !ok || !r.match.MatchString(s) {
				continue
			}
		}
		v.Rule, v.Detail = i, r.code
		break
	}
	parts := []string{"HTTP " + strconv.Itoa(status)}
	if errVal != "" {
		parts = append(parts, "error="+strconv.Quote(errVal))
	}
	if desc != "" {
		parts = append(parts, "error_description="+strconv.Quote(desc))
	}
	for _, h := range c.headers {
		if hv := header.Get(h); hv != "" {
			parts = append(parts, h+"="+strconv.Quote(hv))
		}
	}
	for _, f := range c.fields {
		if s, ok := stringValue(obj, f); ok && !slices.Contains([]string{"error", "error_description"}, strings.Join(f, ".")) {
			parts = append(parts, strings.Join(f, ".")+"="+strconv.Quote(s))
		}
	}
	v.Reason = shortReason(strings.Join(parts, " "))
	switch {
	case IsTargetError(status):
		// Whatever the body says, a 5xx is the target failing.
		v.Rule, v.Detail, v.Status = -1, TargetError, StatusFailure
	case v.Rule < 0:
		v.Detail = Unclassified
		v.Status = StatusFailure
		if status >= 200 && status < 300 {
			v.Status = StatusSuccess
		}
	case v.Detail == string(codes.Success):
		v.Status = StatusSuccess
	default:
		v.Status = StatusFailure
	}
	return v
}

// Object classifies one decoded log line with the rules' field conditions
// (rules with response-only conditions never match a log line).
func (c *Classifier) Object(obj map[string]any) Verdict {
	v := Verdict{Rule: -1}
	for i, r := range c.rules {
		if r.field == nil || r.status != 0 || r.errVal != "" || r.desc != nil || r.header != "" {
			continue
		}
		s, ok := stringValue(obj, r.field)
		if !ok || !r.match.MatchString(s) {
			continue
		}
		v.Rule, v.Detail = i, r.code
		break
	}
	var parts []string
	for _, f := range c.fields {
		if s, ok := stringValue(obj, f); ok {
			parts = append(parts, strings.Join(f, ".")+"="+strconv.Quote(s))
		}
	}
	if len(parts) == 0 {
		b, _ := json.Marshal(obj)
		parts = append(parts, string(b))
	}
	v.Reason = shortReason(strings.Join(parts, " "))
	switch {
	case v.Rule < 0:
		v.Detail = Unclassified
	case v.Detail == string(codes.Success):
		v.Status = StatusSuccess
	default:
		v.Status = StatusFailure
	}
	return v
}

// apply sets e's Detail, Status and Reason from a log line's verdict.
func (c *Classifier) apply(e *Entry, obj map[string]any) {
	v := c.Object(obj)
	e.Detail, e.Reason = v.Detail, v.Reason
	if v.Status != "" {
		e.Status = v.Status
	}
}

// shortReason redacts and bounds a reason.
func shortReason(s string) string {
	return truncate(strings.Join(strings.Fields(redactText(s)), " "), MaxReason)
}

// stringValue returns the value at path as text (strings as they are,
// numbers and booleans in JSON form).
func stringValue(obj map[string]any, path []string) (string, bool) {
	if obj == nil {
		return "", false
	}
	x, ok := lookup(obj, path)
	if !ok {
		return "", false
	}
	switch t := x.(type) {
	case string:
		return t, true
	case json.Number:
		return t.String(), true
	case bool:
		return strconv.FormatBool(t), true
	}
	return "", false
}
