package framework

import (
	"context"
	"fmt"

	"github.com/refreshconf/refreshconf/client"
	"github.com/refreshconf/refreshconf/fixtures/forge"
	"github.com/refreshconf/refreshconf/fixtures/profile"
	"github.com/refreshconf/refreshconf/suites/catalogue"
)

// PlanItem says whether one scenario will run against a profile.
type PlanItem struct {
	Scenario *catalogue.Scenario
	// Run is true when every need is met.
	Run bool
	// Reason names the missing fixture or unsupported feature.
	Reason string
}

// Plan evaluates every scenario's needs against p without sending any
// token request (it fetches keys_url when set).
func Plan(ctx context.Context, p *profile.Profile) ([]PlanItem, error) {
	env := &catalogue.Env{Profile: p}
	if p.SigningKey != nil && !p.SigningKey.PrivateKeyPEM.IsZero() {
		s, err := forge.NewSigner(p.SigningKey)
		if err != nil {
			return nil, fmt.Errorf("profile signing_key: %w", err)
		}
		env.Signer = s
	}
	if p.Target.KeysURL != "" {
		jwks, err := fetchJWKS(ctx, p)
		if err != nil {
			return nil, err
		}
		env.JWKS = jwks
	}
	var out []PlanItem
	for _, s := range catalogue.All() {
		skip, unsupported := missingNeeds(env, s)
		item := PlanItem{Scenario: s, Run: skip == "" && unsupported == ""}
		item.Reason = skip + unsupported
		out = append(out, item)
	}
	return out, nil
}

// ProbePrimary sends one well-formed refresh with the primary credentials
// and returns the exchange (redacted in every printable form).
func ProbePrimary(ctx context.Context, p *profile.Profile) (*client.Exchange, error) {
	cs, ok := p.Credentials[profile.SetPrimary]
	if !ok {
		return nil, fmt.Errorf("the profile has no credentials.primary: every run needs a working confidential integration")
	}
	runID, err := newRunID()
	if err != nil {
		return nil, err
	}
	c, err := newClient(p, runID)
	if err != nil {
		return nil, err
	}
	return c.Do(ctx, catalogue.RefreshRequest(cs, cs.RefreshToken.Value())), nil
}
