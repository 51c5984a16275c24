package framework

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/refreshconf/refreshconf/client"
	"github.com/refreshconf/refreshconf/client/audit"
	"github.com/refreshconf/refreshconf/fixtures/profile"
	"github.com/refreshconf/refreshconf/suites/catalogue"
)

// resultWire is one scenario's outcome as handed between processes.
type resultWire struct {
	ID string `json:"id"`
	// Skip is why the scenario could not run (a missing fixture).
	Skip string `json:"skip,omitempty"`
	// Unsupported is set when the profile declares a needed extended
	// feature unsupported.
	Unsupported string `json:"unsupported,omitempty"`
	// Credentials says how the scenario got its credentials.
	Credentials string `json:"credentials,omitempty"`
	// Error is a failure of the harness while crafting (not of the target).
	Error    string   `json:"error,omitempty"`
	Findings []string `json:"findings,omitempty"`
	// NotJudged is why the scenario's own claim could not be judged, or,
	// with no steps, why it could not be given the credentials it needs
	// (a rotating set with no instance left for it).
	NotJudged string     `json:"not_judged,omitempty"`
	Steps     []stepWire `json:"steps,omitempty"`
	// decoded are Steps decoded back from their redacted wire form at
	// fire time, for the specs of process #1 (nil if decoding failed: the
	// spec decodes again and reports why).
	decoded []step
}

type stepWire struct {
	Name     string           `json:"name"`
	Expect   catalogue.Expect `json:"expect"`
	Exchange json.RawMessage  `json:"exchange"`
	// Observed is the audit entry the response source made of the raw
	// response at fire time (audit.source response only; Reason redacted).
	// Other processes only see the redacted body, in which fields such as
	// "code" read as redaction marks, so it is classified here.
	Observed *audit.Entry `json:"observed,omitempty"`
}

// step is a stepWire with its exchange restored.
type step struct {
	Name     string
	Expect   catalogue.Expect
	Exchange *client.Exchange
}

func (r *resultWire) steps() ([]step, error) {
	out := make([]step, 0, len(r.Steps))
	for _, s := range r.Steps {
		ex, err := client.UnmarshalExchange(s.Exchange)
		if err != nil {
			return nil, fmt.Errorf("decoding the exchange of step %q: %w", s.Name, err)
		}
		out = append(out, step{Name: s.Name, Expect: s.Expect, Exchange: ex})
	}
	return out, nil
}

// selectScenarios returns the scenarios whose labels match the Ginkgo
// label filter (all when the filter is empty).
func selectScenarios(filter string) ([]*catalogue.Scenario, error) {
	if err := catalogue.Validate(); err != nil {
		return nil, err
	}
	all := catalogue.All()
	if strings.TrimSpace(filter) == "" {
		return all, nil
	}
	match, err := types.ParseLabelFilter(filter)
	if err != nil {
		return nil, fmt.Errorf("--label-filter %q: %w", filter, err)
	}
	var out []*catalogue.Scenario
	for _, s := range all {
		if match(s.Labels()) {
			out = append(out, s)
		}
	}
	return out, nil
}

// fire runs every scenario concurrently (the client bounds requests in
// flight and their rate) and returns their results by ID. On a target
// whose refresh tokens rotate, the scenarios that spend a set's token get
// their own instance of it (from the profile, or minted by minter while
// the others fire) or run chained, one after the other (see planLeases).
func fire(ctx context.Context, env *catalogue.Env, scenarios []*catalogue.Scenario, minter Minter) map[string]*resultWire {
	results := make(map[string]*resultWire, len(scenarios))
	var runnable []*catalogue.Scenario
	for _, s := range scenarios {
		r := &resultWire{ID: s.ID}
		results[s.ID] = r
		if skip, unsupported := missingNeeds(env, s); skip != "" || unsupported != "" {
			r.Skip, r.Unsupported = skip, unsupported
			continue
		}
		runnable = append(runnable, s)
	}
	lp := planLeases(env.Profile, runnable, minter)
	f := &firing{env: env, resp: responseSource(env.Profile), results: results, plan: lp, minter: minter,
		// A reuse grace period (stances.reuse_grace) is waited out by ROT-01.
		perScenario: 4*env.Profile.Timeouts.Request.Std() + 10*time.Second + env.Profile.Stances.ReuseGrace.Std() + catalogue.GraceMargin}
	// Races first, alone: their requests must meet the target together.
	var races sync.WaitGroup
	for _, s := range runnable {
		r := results[s.ID]
		r.Credentials = lp.credentials(s.ID)
		if s.Race && lp.notJudged[s.ID] == "" && lp.chained[s.ID] == nil {
			races.Go(func() { f.run(ctx, s, catalogue.NewT(env)) })
		}
	}
	races.Wait()
	var wg sync.WaitGroup
	for _, s := range runnable {
		r := results[s.ID]
		switch {
		case lp.notJudged[s.ID] != "":
			r.NotJudged = lp.notJudged[s.ID]
			continue
		case lp.chained[s.ID] != nil:
			continue // its chain runs it
		case s.Race:
			continue // fired above
		}
		wg.Go(func() { f.run(ctx, s, catalogue.NewT(env)) })
	}
	for _, ch := range lp.chains {
		wg.Go(func() { f.runChain(ctx, ch) })
	}
	wg.Wait()
	return results
}

// firing is one fire call's shared state.
type firing struct {
	env         *catalogue.Env
	resp        *audit.ResponseSource
	plan        *leasePlan
	minter      Minter
	perScenario time.Duration

	mu      sync.Mutex
	results map[string]*resultWire
}

// runChain runs the scenarios of ch one after the other, each with the
// newest refresh token its predecessor was issued, once the scenarios
// that read the set's own token have run.
func (f *firing) runChain(ctx context.Context, ch *chain) {
	ch.waitFor.Wait()
	base := f.env.Profile.Credentials[ch.set]
	token := base.RefreshToken.Value()
	for _, s := range ch.scenarios {
		t := catalogue.NewT(f.env)
		cs := base
		cs.RefreshToken = profile.NewSecret(token)
		t.Lease(ch.set, cs)
		f.run(ctx, s, t)
		if next := t.Issued(cs.ClientID); next != "" {
			token = next
		}
	}
}

// run takes s's own instances (minting those that must be), runs s with
// recorder t and stores its result.
func (f *firing) run(ctx context.Context, s *catalogue.Scenario, t *catalogue.T) {
	defer f.plan.readerDone(s.ID)
	t.Scenario = s.ID
	env := f.env
	sctx, cancel := context.WithTimeout(ctx, f.perScenario)
	defer cancel()
	var err error
	for _, l := range f.plan.leases[s.ID] {
		cs := l.cs
		if l.mint {
			if cs, err = f.minter.Mint(sctx, l.set); err != nil {
				err = fmt.Errorf("minting an instance of credential set %s for the scenario: %w", l.set, err)
				break
			}
			red := env.Client.Redactor()
			red.Add(l.set+".client_secret", cs.ClientSecret.Value())
			red.Add(l.set+".refresh_token", cs.RefreshToken.Value())
			red.Add(l.set+".access_token", cs.AccessToken.Value())
		}
		t.Lease(l.set, cs)
	}
	if err == nil {
		err = runScenario(sctx, s, t)
	}
	// Encode (and decode again, for this process's specs) outside
	// the lock: other scenarios are still waiting on the target.
	out := resultWire{ID: s.ID, Findings: t.Findings(), Credentials: f.plan.credentials(s.ID), NotJudged: t.NotJudgedReason()}
	if err != nil {
		out.Error = env.Client.Redactor().Redact(err.Error())
	}
	for _, st := range t.Steps() {
		b, merr := json.Marshal(st.Exchange)
		if merr != nil {
			out.Error = fmt.Sprintf("encoding step %q: %v", st.Name, merr)
			continue
		}
		sw := stepWire{Name: st.Name, Expect: st.Expect, Exchange: b}
		if f.resp != nil && st.Exchange != nil {
			e := f.resp.Classify(st.Exchange.Marker, st.Exchange.Status, st.Exchange.Header, st.Exchange.Body())
			e.Reason = env.Client.Redactor().Redact(e.Reason)
			e.Detail = env.Client.Redactor().Redact(e.Detail)
			sw.Observed = &e
		}
		out.Steps = append(out.Steps, sw)
	}
	if d, err := out.steps(); err == nil {
		out.decoded = d
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	*f.results[s.ID] = out
}

// responseSource returns the response audit source p configures, or nil
// for any other source (or a profile the audit package rejects: the
// session reports that).
func responseSource(p *profile.Profile) *audit.ResponseSource {
	if p == nil || p.Audit.Source != profile.AuditResponse {
		return nil
	}
	src, err := audit.FromProfile(p)
	if err != nil {
		return nil
	}
	rs, _ := src.(*audit.ResponseSource)
	return rs
}

// runScenario calls s.Run, turning a panic in a scenario into an error.
func runScenario(ctx context.Context, s *catalogue.Scenario, t *catalogue.T) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("scenario %s panicked while crafting its requests: %v (a harness bug: please report it)", s.ID, p)
		}
	}()
	return s.Run(ctx, t)
}

// missingNeeds says why s cannot run against env's profile: skip for a
// missing fixture, unsupported for a feature the profile declares off.
func missingNeeds(env *catalogue.Env, s *catalogue.Scenario) (skip, unsupported string) {
	p := env.Profile
	var missing []string
	for _, n := range s.Needs {
		switch n.Kind {
		case catalogue.NeedSet:
			cs, ok := p.Credentials[n.Name]
			if !ok || cs.ClientID == "" {
				missing = append(missing, fmt.Sprintf("credential set %q (%s): add credentials.%s to the profile or provision it", n.Name, setPurpose(n.Name), n.Name))
			}
		case catalogue.NeedSigningKey:
			slot := catalogue.CraftedSlot(s.ID)
			if env.Signer == nil && slot != "" && !p.Credentials[profile.SetPrimary].Crafted[slot].IsZero() {
				continue // a pre-made token stands in for the key
			}
			if env.Signer == nil && slot != "" {
				missing = append(missing, fmt.Sprintf("the target's signing key: add signing_key (kid, alg, private_key_pem) to the profile of a staging target that shares it, or a pre-made token in credentials.%s.crafted.%s", profile.SetPrimary, slot))
				continue
			}
			if env.Signer == nil {
				missing = append(missing, "the target's signing key: add signing_key (kid, alg, private_key_pem) to the profile of a staging target that shares it")
			}
		case catalogue.NeedKeysURL:
			if len(env.JWKS) == 0 {
				missing = append(missing, "the target's public keys: set target.keys_url to its JWKS endpoint")
			}
		case catalogue.NeedFeature:
			if v := featureValue(p.Features, n.Name); v != nil && !*v {
				unsupported = fmt.Sprintf("not supported: the profile declares features.%s: false", n.Name)
			}
		}
	}
	if len(missing) > 0 {
		skip = "missing fixture: " + strings.Join(missing, "; ")
	}
	if unsupported != "" && s.Level == catalogue.Core {
		// Core features cannot be declared unsupported: report as a skip.
		skip, unsupported = strings.TrimPrefix(skip+"; ", "; ")+unsupported+" (a core scenario: the target does not conform)", ""
	}
	return skip, unsupported
}

// featureValue returns the declared value of a feature (nil = undeclared,
// which means supported).
func featureValue(f profile.Features, name string) *bool {
	switch name {
	case "revocation":
		return f.Revocation
	case "rotation":
		return f.Rotation
	case "public_clients":
		return f.PublicClients
	case "jwt_refresh_tokens":
		return f.JWTRefreshTokens
	case "extended_codes":
		return f.ExtendedCodes
	case "token_state":
		return f.TokenState
	}
	return nil
}

// setPurpose explains a standard credential set for skip messages.
func setPurpose(name string) string {
	switch name {
	case profile.SetPrimary:
		return "a working confidential integration"
	case profile.SetSecondary:
		return "a second working integration"
	case profile.SetBlocked:
		return "an integration set to State Blocked after its token was issued"
	case profile.SetNoAuthCodeGrant:
		return "an integration whose Authorization Code Grant box was cleared after issuance"
	case profile.SetScopeChanged:
		return "an integration whose scopes changed after issuance"
	case profile.SetScopeEmpty:
		return "an integration whose scopes were all cleared after issuance"
	case profile.SetRoleInactive:
		return "a token whose role was made inactive"
	case profile.SetEntityInactive:
		return "a token whose entity was made inactive"
	case profile.SetRoleDeleted:
		return "a token whose role was deleted"
	case profile.SetEntityDeleted:
		return "a token whose entity was deleted"
	case profile.SetFeatureDisabled:
		return "a token of an account whose OAuth 2.0 feature was switched off"
	case profile.SetPublicClient, profile.SetPublicClientRace:
		return "a public client with one-time refresh tokens"
	case profile.SetExpired:
		return "an expired refresh token"
	case profile.SetRevoked:
		return "a refresh token revoked through RFC 7009"
	case profile.SetRotationExceeded:
		return "a public client whose rotation chain is older than its maximum rotation time"
	}
	return "a vendor-defined set"
}
