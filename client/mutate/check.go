package mutate

import (
	"fmt"
	"mime"
	"strings"

	"github.com/refreshconf/refreshconf/client"
)

// Outcomes of one mutated request. OK is the only good one; RateLimited
// (a final 429) is not judged.
const (
	OutcomeOK             = "ok"
	Outcome5xx            = "5xx"
	Outcome200            = "200"
	OutcomeBadBody        = "bad body"
	OutcomeMissingRow     = "missing row"
	OutcomeDuplicateRow   = "duplicate row"
	OutcomeTransportError = "transport error"
	OutcomeRateLimited    = "rate limited"
	// OutcomeWarning: every MUST held, a SHOULD did not (a 401 without
	// WWW-Authenticate to a client that sent no Authorization header).
	OutcomeWarning = "warning"
	// OutcomeAllowed: a mutation a correct server may accept
	// (Mutation.MayAccept) was accepted, and what must still hold held.
	OutcomeAllowed = "accepted (allowed)"
)

// Outcomes returns the outcomes in report order (RateLimited last).
func Outcomes() []string {
	return []string{OutcomeOK, OutcomeAllowed, OutcomeWarning, Outcome5xx, Outcome200, OutcomeBadBody, OutcomeMissingRow, OutcomeDuplicateRow,
		OutcomeTransportError, OutcomeRateLimited}
}

// Violation reports whether outcome breaks an invariant (a MUST).
func Violation(outcome string) bool {
	switch outcome {
	case OutcomeOK, OutcomeAllowed, OutcomeWarning, OutcomeRateLimited:
		return false
	}
	return true
}

// rfcErrors are the error values RFC 6749 §5.2 defines for a token
// endpoint.
var rfcErrors = []string{"invalid_request", "invalid_client", "invalid_grant", "unauthorized_client",
	"unsupported_grant_type", "invalid_scope"}

// Check judges the answer ex to mutation m: OutcomeOK for a correct
// RFC 6749 §5.2 error (status 400, or 401 with WWW-Authenticate for
// invalid_client; a JSON object whose "error" is one of the six values;
// error_description, if any, in the legal character set; invalid_client
// answered 401 when the client used the Authorization header), else the
// outcome that broke and a short reason. The reason holds no response
// body, only status and the (legal-character-checked or redacted) error
// value; red, when not nil, redacts it anyway.
func Check(m Mutation, ex *client.Exchange, red *client.Redactor) (outcome, reason string) {
	o, r := check(m, ex)
	if red != nil {
		r = red.Redact(r)
	}
	return o, r
}

func check(m Mutation, ex *client.Exchange) (string, string) {
	switch {
	case ex.Err != nil:
		return OutcomeTransportError, "no HTTP answer"
	case ex.Status >= 500:
		return Outcome5xx, fmt.Sprintf("HTTP %d", ex.Status)
	case ex.Status >= 200 && ex.Status < 300 && m.MayAccept != "":
		return accepted(m, ex)
	case ex.Status >= 200 && ex.Status < 300:
		return Outcome200, fmt.Sprintf("HTTP %d to a request that must fail", ex.Status)
	case ex.Status == 429:
		return OutcomeRateLimited, "HTTP 429"
	case ex.Status != 400 && ex.Status != 401:
		return OutcomeBadBody, fmt.Sprintf("HTTP %d, want 400 (or 401 for invalid_client)", ex.Status)
	}
	mt, _, err := mime.ParseMediaType(ex.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return OutcomeBadBody, fmt.Sprintf("HTTP %d with Content-Type %q, want application/json", ex.Status, truncate(ex.Header.Get("Content-Type"), 60))
	}
	obj, err := ex.JSON()
	if err != nil {
		return OutcomeBadBody, fmt.Sprintf("HTTP %d body is not a JSON object", ex.Status)
	}
	e, ok := obj["error"].(string)
	if !ok {
		return OutcomeBadBody, fmt.Sprintf("HTTP %d body has no string \"error\"", ex.Status)
	}
	legal := false
	for _, v := range rfcErrors {
		legal = legal || e == v
	}
	if !legal {
		shown := "(not in the legal character set)"
		if legalChars(e) {
			shown = fmt.Sprintf("%q", truncate(e, 40))
		}
		return OutcomeBadBody, fmt.Sprintf("HTTP %d error %s is not an RFC 6749 §5.2 value", ex.Status, shown)
	}
	if d, ok := obj["error_description"]; ok {
		s, isStr := d.(string)
		if !isStr || !legalChars(s) {
			return OutcomeBadBody, fmt.Sprintf("HTTP %d error_description is not a string of legal characters (RFC 6749 §5.2)", ex.Status)
		}
	}
	if ex.Status == 401 {
		if e != "invalid_client" {
			return OutcomeBadBody, fmt.Sprintf("HTTP 401 with error %q, want invalid_client (or status 400)", e)
		}
		if ex.Header.Get("WWW-Authenticate") == "" {
			if !usedAuthorizationHeader(m.Request) {
				return OutcomeWarning, "HTTP 401 without WWW-Authenticate to a client that sent no Authorization header (RFC 6749 §5.2 demands it only after HTTP authentication; RFC 9110 §15.5.2)"
			}
			return OutcomeBadBody, "HTTP 401 without WWW-Authenticate after HTTP authentication (RFC 6749 §5.2)"
		}
	}
	if e == "invalid_client" && ex.Status != 401 && usedAuthorizationHeader(m.Request) {
		return OutcomeBadBody, fmt.Sprintf("invalid_client answered %d to a client that used the Authorization header, want 401", ex.Status)
	}
	return OutcomeOK, ""
}

// accepted judges a 2xx answer to a mutation a correct server may accept:
// it must be a JSON token response that echoes no client secret.
func accepted(m Mutation, ex *client.Exchange) (string, string) {
	obj, err := ex.JSON()
	if err != nil {
		return OutcomeBadBody, fmt.Sprintf("HTTP %d to an acceptable mutation, but the body is not a JSON object (RFC 6749 §5.1)", ex.Status)
	}
	if s, _ := obj["access_token"].(string); s == "" {
		return OutcomeBadBody, fmt.Sprintf("HTTP %d to an acceptable mutation, but no access_token (RFC 6749 §5.1)", ex.Status)
	}
	if sec := m.Request.Auth.ClientSecret; len(sec) >= 4 && strings.Contains(string(ex.Body()), sec) {
		return OutcomeBadBody, fmt.Sprintf("HTTP %d echoes the client secret (RFC 6749 §10.3)", ex.Status)
	}
	return OutcomeAllowed, "accepted: " + m.MayAccept
}

// legalChars reports whether s uses only %x20-21 / %x23-5B / %x5D-7E.
func legalChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

func usedAuthorizationHeader(r client.Request) bool {
	switch r.Auth.Mode {
	case client.AuthBasic, client.AuthBoth:
		return true
	case client.AuthHeader:
		return strings.HasPrefix(r.Auth.Header, "Basic ")
	}
	return false
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
