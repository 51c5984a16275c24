package framework

import (
	"fmt"
	"slices"
	"strings"

	"github.com/refreshconf/refreshconf/fixtures/codes"
	"github.com/refreshconf/refreshconf/fixtures/profile"
	"github.com/refreshconf/refreshconf/suites/catalogue"
	"github.com/refreshconf/refreshconf/suites/report"
)

// defaultDialect is the code dialect of a profile that names none: the
// reference target's own codes for the embedded reference target (unless
// it runs with --codes netsuite), NetSuite's documented codes for any
// other target.
func defaultDialect(cfg Config) string {
	if cfg.ProfilePath == "" && cfg.Codes != CodesNetSuite {
		return profile.DialectReference
	}
	return profile.DialectNetSuite
}

// applyDialect fills p's code dialect when the profile names none, and
// checks that every pin names a scenario of the catalogue.
func applyDialect(p *profile.Profile, cfg Config) error {
	if p.Codes.Dialect == "" {
		p.Codes.Dialect = defaultDialect(cfg)
	}
	idx := catalogue.Index()
	for k := range p.Codes.Pins {
		id, _, _ := strings.Cut(k, "/")
		if _, ok := idx[id]; !ok {
			return fmt.Errorf("profile codes.pins.%s: no scenario %s in the catalogue (refreshconf catalogue lists them)", k, id)
		}
	}
	return nil
}

// pinFor returns the pinned code of step (0-based) of scenario id, and
// whether there is one: a step pin ("REQ-21/step 2") before a scenario pin.
func pinFor(p *profile.Profile, id string, step int) (codes.Code, bool) {
	for _, k := range []string{fmt.Sprintf("%s/step %d", id, step+1), id} {
		if v, ok := p.Codes.Pins[k]; ok {
			if v == profile.CodeSuccess {
				return codes.Success, true
			}
			return codes.Code(v), true
		}
	}
	return "", false
}

// codeExpectation turns step (0-based) of scenario sc, expecting want, into
// what its audit row is judged against under p's dialect and pins, with
// the judgement and the provenance the report shows:
//   - a pinned step expects the pinned code exactly (pinned);
//   - otherwise the scenario's accepted alternatives join a step that
//     expects the scenario's code;
//   - under the netsuite dialect, a step whose expected code only the
//     reference target defines has its code recorded, not judged; the row
//     itself (exactly one, Status, no secret) is still judged;
//   - everything else is judged exactly.
func codeExpectation(p *profile.Profile, sc *catalogue.Scenario, step int, want catalogue.Expect) (catalogue.Expect, report.CodeJudgement, string) {
	if pin, ok := pinFor(p, sc.ID, step); ok {
		want = pinned(want, pin)
		return want, report.CodePinned, "pinned by the profile (codes.pins): " + catalogue.Provenance(pin)
	}
	if len(sc.Accept) > 0 {
		want = withAccept(want, sc.Code, sc.Accept)
	}
	prov := want.Provenance()
	if len(sc.Accept) > 0 && slices.Contains(want.Codes(), sc.Code) {
		prov += "; why: " + sc.CodeWhy
	}
	if p.Codes.Dialect == profile.DialectNetSuite && want.Reference() {
		want.Judge = catalogue.JudgeRecord
		for i := range want.AnyOf {
			if want.AnyOf[i].Reference() {
				want.AnyOf[i].Judge = catalogue.JudgeRecord
			}
		}
		return want, report.CodeRecorded, prov + "; netsuite dialect: code recorded, not judged"
	}
	return want, report.CodeJudged, prov
}

// pinned replaces the failure code(s) of want by pin.
func pinned(want catalogue.Expect, pin codes.Code) catalogue.Expect {
	if len(want.AnyOf) == 0 {
		want.Code, want.Accept = pin, nil
		return want
	}
	alts := slices.Clone(want.AnyOf)
	for i := range alts {
		if (alts[i].Code == codes.Success) == (pin == codes.Success) {
			alts[i].Code, alts[i].Accept = pin, nil
		}
	}
	want.AnyOf = alts
	return want
}

// withAccept adds accept to want (and to its alternatives) wherever it
// expects code.
func withAccept(want catalogue.Expect, code codes.Code, accept []codes.Code) catalogue.Expect {
	if len(want.AnyOf) == 0 {
		if want.Code == code {
			want.Accept = accept
		}
		return want
	}
	alts := slices.Clone(want.AnyOf)
	for i := range alts {
		if alts[i].Code == code {
			alts[i].Accept = accept
		}
	}
	want.AnyOf = alts
	return want
}

// pinList renders p's pins for the report, sorted.
func pinList(p *profile.Profile) []string {
	keys := make([]string, 0, len(p.Codes.Pins))
	for k := range p.Codes.Pins {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k + ": " + p.Codes.Pins[k]
	}
	return out
}
