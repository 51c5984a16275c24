package catalogue

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/refreshconf/refreshconf/client"
	"github.com/refreshconf/refreshconf/fixtures/codes"
	"github.com/refreshconf/refreshconf/fixtures/forge"
	"github.com/refreshconf/refreshconf/fixtures/profile"
)

// auditTable holds the audit-integrity family. Besides these scenarios,
// every row of every scenario is checked for exactly-one-ness, its Status
// and the absence of any secret.
func auditTable() []*Scenario {
	return []*Scenario{
		{
			ID: "AUD-01", Name: "each of ten malformed requests in a burst leaves exactly one audit row",
			Family: FamilyAudit, Level: Core, Source: "DESIGN: one row per token-endpoint request",
			Code: codes.InvalidRequest, Needs: []Need{Spends(primary)}, // a lax target accepts it (zitadel/oidc does): its own instance
			Run: func(ctx context.Context, t *T) error {
				cs, err := t.Set(primary)
				if err != nil {
					return err
				}
				reqs := make([]client.Request, 10)
				for i := range reqs {
					r := RefreshRequest(cs, cs.RefreshToken.Value())
					r.Method = http.MethodGet
					r.Query, r.Form = r.Form, nil
					reqs[i] = r
				}
				t.SendConcurrently(ctx, "malformed GET", reqs, Fail(codes.InvalidRequest, errsRequest...))
				return nil
			},
		},
		{
			ID: "AUD-02", Name: "a successful refresh leaves a Success row naming the application, user and role",
			Family: FamilyAudit, Level: Core, Source: "NetSuite Login Audit Trail columns",
			Code: codes.Success, Needs: []Need{Spends(primary)},
			Run: func(ctx context.Context, t *T) error {
				cs, err := t.Set(primary)
				if err != nil {
					return err
				}
				want := Succeed()
				want.Row = rowOf(cs, t.Env.Profile)
				t.Send(ctx, "refresh", RefreshRequest(cs, cs.RefreshToken.Value()), want)
				return nil
			},
		},
		{
			ID: "AUD-03", Name: "a refused refresh leaves a Failure row with application, IP address, request URI and user agent",
			Family: FamilyAudit, Level: Core, Source: "NetSuite Login Audit Trail troubleshooting recipe",
			Code: codes.InvalidSignature, Needs: []Need{Set(primary), Feature("jwt_refresh_tokens")},
			Run: func(ctx context.Context, t *T) error {
				cs, err := t.Set(primary)
				if err != nil {
					return err
				}
				tok, err := t.forgedToken(forge.BitFlippedSignature(cs.RefreshToken.Value()))
				if err != nil {
					return fmt.Errorf("crafting the token: %w", err)
				}
				want := Fail(codes.InvalidSignature, errsGrant...)
				row := rowOf(cs, t.Env.Profile)
				row.User, row.Role = "", "" // not known before the signature check
				want.Row = row
				t.Send(ctx, "refresh", RefreshRequest(cs, tok), want)
				return nil
			},
		},
		{
			ID: "AUD-04", Name: "a refused client secret never reaches the audit row",
			Family: FamilyAudit, Level: Core, Source: "RFC 6819 §5.1.4.1; DESIGN: no secret in any row",
			Code: codes.ClientAuthenticationFailed, Needs: []Need{Set(primary)},
			Run: refreshWith(primary, nil, func(r *client.Request) { r.Auth.ClientSecret = CanaryWrongSecret }, Fail(codes.ClientAuthenticationFailed, errsClient...)),
		},
	}
}

// CanaryWrongSecret is the wrong secret some scenarios send; the runner
// registers it with the redactor so that a row or report echoing it is
// caught.
const CanaryWrongSecret = "refreshconf-canary-wrong-secret-7f3a"

// rowOf is the row expectation for credential set cs.
func rowOf(cs profile.CredentialSet, p *profile.Profile) *RowExpect {
	u := cs.TokenURL
	if u == "" {
		u = p.Target.TokenURL
	}
	path := ""
	if pu, err := url.Parse(u); err == nil {
		path = pu.Path
	}
	return &RowExpect{Application: cs.Application, User: cs.User, Role: cs.Role, RequestPath: path, IPAddress: true}
}
