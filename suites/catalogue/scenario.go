// Package catalogue is the table of every refreshconf scenario: its stable
// ID, literal name, family, level, the fixtures it needs, the requests it
// crafts and the exact audit code and client-visible error each request must
// produce. Adding a scenario means adding one entry to the table in
// scenarios.go; the suites, the runner, `refreshconf catalogue` and the
// reports all read it from here.
package catalogue

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/refreshconf/refreshconf/fixtures/codes"
)

// Family groups scenarios by what they attack.
type Family string

// Families, in report order.
const (
	FamilySeed     Family = "seed"     // the 13 rows of the normative seed table
	FamilyVariant  Family = "variant"  // other ways to reach a seed code
	FamilyExtended Family = "extended" // MissingKeyId, MissingKey, TokenNotAcceptable
	FamilyToken    Family = "token"    // token attacks (JWS forgery and tampering)
	FamilyRequest  Family = "request"  // request shape (RFC 6749 §2.3, §3.2, §5.2, §6)
	FamilyRotation Family = "rotation" // rotation and scope (RFC 9700 §4.14.2, RFC 6749 §6)
	FamilyAudit    Family = "audit"    // audit-trail integrity
)

// Families lists every family in report order.
func Families() []Family {
	return []Family{FamilySeed, FamilyVariant, FamilyExtended, FamilyToken, FamilyRequest, FamilyRotation, FamilyAudit}
}

// Level says whether a target must pass a scenario to conform.
type Level string

// Levels.
const (
	Core     Level = "core"
	Extended Level = "extended"
)

// Scenario is one entry of the catalogue.
type Scenario struct {
	// ID is stable and literal, e.g. "SEED-03". Never reuse an ID.
	ID string
	// Name is the literal spec name.
	Name string
	// Family and Level classify the scenario.
	Family Family
	Level  Level
	// SeedRow is the 1-based row of the seed table, 0 for none.
	SeedRow int
	// Source is where the requirement comes from ("seed row 3",
	// "RFC 6749 §5.2", "jwt_tool -X a", ...).
	Source string
	// Code is the audit code the scenario's decisive request must leave
	// (codes.Success for a success row). Multi-step scenarios list each
	// step's code in their steps; Code is the one shown in the catalogue.
	Code codes.Code
	// Accept lists further codes the decisive request may leave, where
	// NetSuite's documentation admits more than one documented code for
	// the crafted situation (each must be documented); CodeWhy then says
	// why. CodeWhy may also say why Code was chosen over a neighbour.
	// Every step expecting Code accepts these too.
	Accept  []codes.Code
	CodeWhy string
	// Needs lists the fixtures and features the scenario needs.
	Needs []Need
	// Race marks a scenario whose requests race each other (T.Race): the
	// run fires it before the rest of the catalogue, so that its requests
	// meet an idle target together rather than queued behind the others.
	Race bool
	// Run crafts and sends the scenario's requests through t. It must not
	// make assertions: it records steps with their expectations, which the
	// suites assert after the audit rows arrive.
	Run func(ctx context.Context, t *T) error
}

// Labels returns the Ginkgo labels of s: id, code, family, level, seed.
func (s *Scenario) Labels() []string {
	l := []string{"id:" + s.ID, "family:" + string(s.Family), "level:" + string(s.Level)}
	code := string(s.Code)
	if s.Code == codes.Success {
		code = "Success"
	}
	l = append(l, "code:"+code)
	if s.SeedRow > 0 {
		l = append(l, "seed")
	}
	return l
}

// Title is the spec text: ID and literal name.
func (s *Scenario) Title() string { return s.ID + " " + s.Name }

// Expect is what one request must produce.
type Expect struct {
	// Code is the exact audit Detail; codes.Success means a success row.
	Code codes.Code
	// Errors are the RFC 6749 error values the client may be shown; empty
	// when Code is codes.Success (a 200 token response is required).
	Errors []string
	// AnyOf, when set, allows any one of these outcomes instead of Code and
	// Errors (used only where the order of concurrent requests decides
	// which request gets which outcome; the scenario's Check then asserts
	// the combination).
	AnyOf []Expect
	// Row, when set, adds checks on the audit row's other columns.
	Row *RowExpect
	// Prefer, when set, names the precise error values among Errors: an
	// allowed value outside Prefer is a warning, not a failure (where RFC
	// 6749 admits two errors for the request).
	Prefer []string
	// Accept lists further audit codes that are as good as Code (filled
	// from Scenario.Accept for the decisive request).
	Accept []codes.Code
	// Judge says how the framework judges the Detail (set by the
	// framework from the profile's code dialect and pins; the zero value
	// judges Code exactly).
	Judge CodeJudge
}

// CodeJudge says how an audit row's Detail is judged.
type CodeJudge string

// Code judgements an Expect carries.
const (
	// JudgeExact asserts Code (or one of Accept) exactly.
	JudgeExact CodeJudge = ""
	// JudgeRecord does not assert the Detail (a reference-only code under
	// the netsuite dialect): the row must still exist once, with Status
	// Failure and no secret.
	JudgeRecord CodeJudge = "record"
)

// Codes returns the audit codes e accepts: Code, then Accept.
func (e Expect) Codes() []codes.Code { return append([]codes.Code{e.Code}, e.Accept...) }

// Reference reports whether e (or one of its AnyOf alternatives) expects
// a code that only the reference target defines.
func (e Expect) Reference() bool {
	if len(e.AnyOf) > 0 {
		return slices.ContainsFunc(e.AnyOf, Expect.Reference)
	}
	return !codes.Documented(e.Code)
}

// Provenance says where the expected code(s) of e come from:
// "documented (seed row 3)", "reference (...)", one entry per code.
func (e Expect) Provenance() string {
	var seen []string
	add := func(c codes.Code) {
		p := Provenance(c)
		if !slices.Contains(seen, p) {
			seen = append(seen, p)
		}
	}
	if len(e.AnyOf) > 0 {
		for _, a := range e.AnyOf {
			for _, c := range a.Codes() {
				add(c)
			}
		}
	} else {
		for _, c := range e.Codes() {
			add(c)
		}
	}
	return strings.Join(seen, "; ")
}

// Provenance says where code c comes from: "documented: <citation>" for a
// code NetSuite documents, "reference: <why>" for the reference target's
// own choice.
func Provenance(c codes.Code) string {
	if c == codes.Success {
		return "documented: Status Success with an empty Detail (" + codes.DocRefreshTable + ")"
	}
	info, ok := codes.Lookup(c)
	if !ok {
		return "unknown code " + string(c)
	}
	if codes.Documented(c) {
		return "documented: " + string(c) + " (" + info.Cite + ")"
	}
	return "reference: " + string(c) + " (" + info.Cite + ")"
}

// CodeProvenance is the provenance of the scenario's catalogue code and
// its accepted alternatives, with the reasoning when there is one.
func (s *Scenario) CodeProvenance() string {
	p := Expect{Code: s.Code, Accept: s.Accept}.Provenance()
	if len(s.Accept) > 0 {
		names := make([]string, 0, len(s.Accept)+1)
		for _, c := range append([]codes.Code{s.Code}, s.Accept...) {
			names = append(names, string(c))
		}
		p += "; acceptable: " + strings.Join(names, ", ")
	}
	if s.CodeWhy != "" {
		p += "; why: " + s.CodeWhy
	}
	return p
}

// RowExpect checks audit-row columns besides Detail and Status. Empty
// strings are not checked.
type RowExpect struct {
	Application string // Token-based Application Name
	User        string
	Role        string
	// RequestPath is the path the Request URI column must show.
	RequestPath string
	// IPAddress requires a parseable IP Address column.
	IPAddress bool
}

// Fail builds an Expect for a failure with code and allowed errors.
func Fail(code codes.Code, errs ...string) Expect { return Expect{Code: code, Errors: errs} }

// Succeed is the Expect of a successful refresh.
func Succeed() Expect { return Expect{Code: codes.Success} }

// IsSuccess reports whether e expects a success.
func (e Expect) IsSuccess() bool { return len(e.AnyOf) == 0 && e.Code == codes.Success }

// String describes e for failure messages.
func (e Expect) String() string {
	if len(e.AnyOf) > 0 {
		parts := make([]string, len(e.AnyOf))
		for i, a := range e.AnyOf {
			parts[i] = a.String()
		}
		return "one of {" + strings.Join(parts, " | ") + "}"
	}
	if e.Code == codes.Success {
		return "Success (200 token response)"
	}
	code := string(e.Code)
	if len(e.Accept) > 0 {
		names := make([]string, len(e.Codes()))
		for i, c := range e.Codes() {
			names[i] = string(c)
		}
		code = strings.Join(names, " or ")
	}
	if e.Judge == JudgeRecord {
		code = "a Failure row (code recorded, not judged; the reference target writes " + code + ")"
	}
	return fmt.Sprintf("%s (error %s)", code, strings.Join(e.Errors, " or "))
}

// NeedKind says what a Need asks for.
type NeedKind string

// Need kinds.
const (
	NeedSet        NeedKind = "set"         // a credential set
	NeedSigningKey NeedKind = "signing_key" // the target's signing key
	NeedFeature    NeedKind = "feature"     // a declared feature
	NeedKeysURL    NeedKind = "keys_url"    // the target's JWKS URL
)

// Spend says what a scenario does to a credential set's refresh token on a
// target that rotates it (profile rotation): the run plans credential
// leases from it (suites/framework).
type Spend string

// Spends.
const (
	// SpendNone: the scenario presents the token only in requests a
	// correct target refuses, so the token stays usable.
	SpendNone Spend = ""
	// SpendRotates: a request may succeed and so use the token up (a
	// rotated one is issued); the run gives the scenario its own
	// instance, or chains it, carrying the newest issued token forward.
	SpendRotates Spend = "rotates"
	// SpendRevokes: the scenario ends the token family (it reuses a
	// rotated-out token, or races two refreshes); it needs its own
	// instance, or the last place in a chain.
	SpendRevokes Spend = "revokes"
)

// Need is one fixture or feature a scenario needs.
type Need struct {
	Kind NeedKind
	Name string // set or feature name
	// Spend, for a credential set, says what the scenario does to the
	// set's refresh token on a target that rotates it.
	Spend Spend
}

// String names the need as the skip message and catalogue show it.
func (n Need) String() string {
	switch n.Kind {
	case NeedSet:
		switch n.Spend {
		case SpendRotates:
			return "credentials." + n.Name + " (spends)"
		case SpendRevokes:
			return "credentials." + n.Name + " (ends family)"
		}
		return "credentials." + n.Name
	case NeedFeature:
		return "features." + n.Name
	default:
		return string(n.Kind)
	}
}

// Set needs the credential set name.
func Set(name string) Need { return Need{Kind: NeedSet, Name: name} }

// Spends needs the credential set name and may use up its refresh token
// (SpendRotates).
func Spends(name string) Need { return Need{Kind: NeedSet, Name: name, Spend: SpendRotates} }

// Revokes needs the credential set name and ends its token family
// (SpendRevokes).
func Revokes(name string) Need { return Need{Kind: NeedSet, Name: name, Spend: SpendRevokes} }

// SpendOf returns what s does to set's refresh token (SpendNone when s
// does not need set).
func (s *Scenario) SpendOf(set string) Spend {
	for _, n := range s.Needs {
		if n.Kind == NeedSet && n.Name == set {
			return n.Spend
		}
	}
	return SpendNone
}

// Feature needs the declared feature name.
func Feature(name string) Need { return Need{Kind: NeedFeature, Name: name} }

// SigningKey needs the target's signing key.
var SigningKey = Need{Kind: NeedSigningKey}

// KeysURL needs the target's JWKS URL.
var KeysURL = Need{Kind: NeedKeysURL}

// All returns the catalogue in table order.
func All() []*Scenario { return table() }

// ByID returns the scenario with the given ID.
func ByID(id string) (*Scenario, bool) {
	for _, s := range table() {
		if strings.EqualFold(s.ID, id) {
			return s, true
		}
	}
	return nil, false
}

// Index returns every scenario by its ID, as it appears in the table (a
// new map each call: callers may keep it for a run).
func Index() map[string]*Scenario {
	all := table()
	m := make(map[string]*Scenario, len(all))
	for _, s := range all {
		m[s.ID] = s
	}
	return m
}

// ByCode returns the scenarios whose catalogue code is c.
func ByCode(c codes.Code) []*Scenario {
	var out []*Scenario
	for _, s := range table() {
		if s.Code == c {
			out = append(out, s)
		}
	}
	return out
}

// ByFamily returns the scenarios of family f in table order.
func ByFamily(f Family) []*Scenario {
	var out []*Scenario
	for _, s := range table() {
		if s.Family == f {
			out = append(out, s)
		}
	}
	return out
}

// Validate checks the table itself: unique IDs, known codes, every seed
// row present exactly once, every scenario runnable.
func Validate() error {
	seen := map[string]bool{}
	rows := map[int]int{}
	var errs []string
	for _, s := range table() {
		if s.ID == "" || s.Name == "" || s.Run == nil {
			errs = append(errs, fmt.Sprintf("scenario %q: ID, Name and Run are required", s.ID))
		}
		if seen[s.ID] {
			errs = append(errs, "duplicate ID "+s.ID)
		}
		seen[s.ID] = true
		if s.Code != codes.Success {
			if _, ok := codes.Lookup(s.Code); !ok {
				errs = append(errs, fmt.Sprintf("%s: unknown code %q", s.ID, s.Code))
			}
		}
		for _, c := range s.Accept {
			if !codes.Documented(c) || c == codes.Success {
				errs = append(errs, fmt.Sprintf("%s: accepted code %q is not a documented failure code", s.ID, c))
			}
		}
		if len(s.Accept) > 0 && s.CodeWhy == "" {
			errs = append(errs, fmt.Sprintf("%s: Accept needs CodeWhy (why the documentation admits each code)", s.ID))
		}
		if !slices.Contains(Families(), s.Family) {
			errs = append(errs, fmt.Sprintf("%s: unknown family %q", s.ID, s.Family))
		}
		if s.Level != Core && s.Level != Extended {
			errs = append(errs, fmt.Sprintf("%s: unknown level %q", s.ID, s.Level))
		}
		if s.SeedRow > 0 {
			rows[s.SeedRow]++
		}
	}
	for r := 1; r <= 13; r++ {
		if rows[r] != 1 {
			errs = append(errs, fmt.Sprintf("seed row %d is covered by %d scenarios, want 1", r, rows[r]))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("catalogue table is invalid:\n  %s", strings.Join(errs, "\n  "))
	}
	return nil
}
