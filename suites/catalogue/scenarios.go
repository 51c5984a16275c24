package catalogue

import (
	"context"
	"fmt"
	"time"

	"github.com/refreshconf/refreshconf/client"
	"github.com/refreshconf/refreshconf/fixtures/codes"
	"github.com/refreshconf/refreshconf/fixtures/forge"
	"github.com/refreshconf/refreshconf/fixtures/profile"
)

// Shorthands for the table.
const (
	primary   = profile.SetPrimary
	secondary = profile.SetSecondary
)

// table is THE catalogue, in report order. One entry per scenario; IDs are stable and never
// reused. Keep entries literal: a newcomer finds a scenario by grepping its
// ID or its audit code.
func table() []*Scenario {
	var all []*Scenario
	for _, part := range [][]*Scenario{seedTable(), tokenTable(), requestTable(), rotationTable(), auditTable()} {
		all = append(all, part...)
	}
	return all
}

// seedTable holds the seed, variant and extended families.
func seedTable() []*Scenario {
	return []*Scenario{
		// ---- Family seed: the 13 rows of the normative table (core). ----
		{
			ID: "SEED-01", Name: "an expired refresh token is refused with RefreshTokenExpired",
			Family: FamilySeed, Level: Core, SeedRow: 1, Source: "seed row 1; RFC 6749 §5.2 invalid_grant",
			Code: codes.RefreshTokenExpired, Needs: []Need{Set(profile.SetExpired)},
			Run: refreshWith(profile.SetExpired, nil, nil, Fail(codes.RefreshTokenExpired, errsGrant...)),
		},
		{
			ID: "SEED-02", Name: "a token whose role no longer exists is refused with EntityOrRoleDisabled",
			Family: FamilySeed, Level: Core, SeedRow: 2, Source: "seed row 2 (entity/contact/role invalid)",
			Code: codes.EntityOrRoleDisabled, Needs: []Need{Set(profile.SetRoleDeleted)},
			Run: refreshWith(profile.SetRoleDeleted, nil, nil, Fail(codes.EntityOrRoleDisabled, errsGrant...)),
		},
		{
			ID: "SEED-03", Name: "a refresh token with a bit-flipped signature is refused with InvalidSignature",
			Family: FamilySeed, Level: Core, SeedRow: 3, Source: "seed row 3; RFC 8725 §3.3",
			Code: codes.InvalidSignature, Needs: []Need{Set(primary)},
			Run: func(ctx context.Context, t *T) error {
				cs, err := t.Set(primary)
				if err != nil {
					return err
				}
				raw := cs.RefreshToken.Value()
				if jwtRefreshTokens(t, raw) {
					tok, err := t.forgedToken(forge.BitFlippedSignature(raw))
					if err != nil {
						return fmt.Errorf("crafting the token from credentials.primary: %w", err)
					}
					t.Send(ctx, "refresh", RefreshRequest(cs, tok), Fail(codes.InvalidSignature, errsGrant...))
					return nil
				}
				// The opaque-token form: one byte of the token flipped. An
				// opaque token has no signature to check, so not knowing
				// the token is as good as a failed integrity check.
				tok, err := forge.FlippedOpaqueByte(raw)
				if err != nil {
					return fmt.Errorf("crafting the token from credentials.primary: %w", err)
				}
				want := Fail(codes.InvalidSignature, errsGrant...)
				want.Accept = []codes.Code{codes.UnknownToken, codes.MalformedToken}
				t.Send(ctx, "refresh with one byte of the opaque refresh token flipped (opaque form: features.jwt_refresh_tokens false)", RefreshRequest(cs, tok), want)
				return nil
			},
		},
		{
			ID: "SEED-04", Name: "a refresh token issued to another integration is refused with InvalidIntegration",
			Family: FamilySeed, Level: Core, SeedRow: 4, Source: "seed row 4; RFC 6749 §6, §10.4",
			Code: codes.InvalidIntegration, Needs: []Need{Set(primary), Set(secondary)},
			Run: withSets(primary, secondary, func(ctx context.Context, t *T, p, s profile.CredentialSet) {
				t.Send(ctx, "primary client presents secondary's refresh token", RefreshRequest(p, s.RefreshToken.Value()), Fail(codes.InvalidIntegration, errsGrant...))
			}),
		},
		{
			ID: "SEED-05", Name: "a token whose scope no longer matches the integration record is refused with ScopeMismatched",
			Family: FamilySeed, Level: Core, SeedRow: 5, Source: "seed row 5",
			Code: codes.ScopeMismatched, Needs: []Need{Set(profile.SetScopeChanged)},
			Run: refreshWith(profile.SetScopeChanged, nil, nil, Fail(codes.ScopeMismatched, errsScope...)),
		},
		{
			ID: "SEED-06", Name: "an integration without the Authorization Code Grant box is refused with AuthorizationCodeGrantRequired",
			Family: FamilySeed, Level: Core, SeedRow: 6, Source: "seed row 6",
			Code: codes.AuthorizationCodeGrantRequired, Needs: []Need{Set(profile.SetNoAuthCodeGrant)},
			Run: refreshWith(profile.SetNoAuthCodeGrant, nil, nil, Fail(codes.AuthorizationCodeGrantRequired, errsUnauthorized...)),
		},
		{
			ID: "SEED-07", Name: "a validly signed refresh token with an empty scope is refused with InvalidScope",
			Family: FamilySeed, Level: Core, SeedRow: 7, Source: "seed row 7",
			Code: codes.InvalidScope, Needs: []Need{Set(primary), SigningKey},
			CodeWhy: "row 7 (\"The scope value is empty in the token\") describes exactly this token; row 5's \"empty scope\" is the integration record's (VAR-03), and row 7 would never apply if row 5 also covered an empty token scope: InvalidScope only",
			Run:     refreshWith(primary, resigned(func(_ *T, c map[string]any) { c["scope"] = []any{} }), nil, Fail(codes.InvalidScope, errsScope...)),
		},
		{
			ID: "SEED-08", Name: "a token whose role is inactive is refused with EntityOrRoleDisabled",
			Family: FamilySeed, Level: Core, SeedRow: 8, Source: "seed row 8",
			Code: codes.EntityOrRoleDisabled, Needs: []Need{Set(profile.SetRoleInactive)},
			Run: refreshWith(profile.SetRoleInactive, nil, nil, Fail(codes.EntityOrRoleDisabled, errsGrant...)),
		},
		{
			ID: "SEED-09", Name: "a wrong client secret is refused with ClientAuthenticationFailed",
			Family: FamilySeed, Level: Core, SeedRow: 9, Source: "seed row 9; RFC 6749 §5.2 invalid_client",
			Code: codes.ClientAuthenticationFailed, Needs: []Need{Set(primary)},
			Run: refreshWith(primary, nil, func(r *client.Request) { r.Auth.ClientSecret = CanaryWrongSecret }, Fail(codes.ClientAuthenticationFailed, errsClient...)),
		},
		{
			ID: "SEED-10", Name: "an invalid grant_type value is refused with InvalidGrantType",
			Family: FamilySeed, Level: Core, SeedRow: 10, Source: "seed row 10; RFC 6749 §5.2 unsupported_grant_type",
			Code: codes.InvalidGrantType, Needs: []Need{Set(primary)},
			Run: grantTypeRun(func(r *client.Request) { setField(r, "grant_type", "refresh") }),
		},
		{
			ID: "SEED-11", Name: "an access token sent as the refresh token is refused with InvalidRefreshToken",
			Family: FamilySeed, Level: Core, SeedRow: 11, Source: "seed row 11; RFC 8725 §3.12",
			Code: codes.InvalidRefreshToken, Needs: []Need{Set(primary)},
			Run: refreshWith(primary, func(_ *T, cs profile.CredentialSet) (string, error) {
				if cs.AccessToken.Value() == "" {
					return "", fmt.Errorf("credentials.primary.access_token is empty: provide the access token issued with the refresh token")
				}
				return cs.AccessToken.Value(), nil
			}, nil, Fail(codes.InvalidRefreshToken, errsGrant...)),
		},
		{
			ID: "SEED-12", Name: "a refresh in an account whose OAuth 2.0 feature is off is refused with FeatureDisabled",
			Family: FamilySeed, Level: Core, SeedRow: 12, Source: "seed row 12",
			Code: codes.FeatureDisabled, Needs: []Need{Set(profile.SetFeatureDisabled)},
			Run: refreshWith(profile.SetFeatureDisabled, nil, nil, Fail(codes.FeatureDisabled, errsFeature...)),
		},
		{
			ID: "SEED-13", Name: "a refresh for a blocked integration is refused with IntegrationBlocked",
			Family: FamilySeed, Level: Core, SeedRow: 13, Source: "seed row 13",
			Code: codes.IntegrationBlocked, Needs: []Need{Set(profile.SetBlocked)},
			Run: refreshWith(profile.SetBlocked, nil, nil, Fail(codes.IntegrationBlocked, errsUnauthorized...)),
		},

		// ---- Family variant: other ways to reach a seed code. ----
		{
			ID: "VAR-01", Name: "a token whose entity no longer exists is refused with EntityOrRoleDisabled",
			Family: FamilyVariant, Level: Core, Source: "seed row 2 (entity)",
			Code: codes.EntityOrRoleDisabled, Needs: []Need{Set(profile.SetEntityDeleted)},
			Run: refreshWith(profile.SetEntityDeleted, nil, nil, Fail(codes.EntityOrRoleDisabled, errsGrant...)),
		},
		{
			ID: "VAR-02", Name: "a token whose entity is inactive is refused with EntityOrRoleDisabled",
			Family: FamilyVariant, Level: Core, Source: "seed row 8 (entity)",
			Code: codes.EntityOrRoleDisabled, Needs: []Need{Set(profile.SetEntityInactive)},
			Run: refreshWith(profile.SetEntityInactive, nil, nil, Fail(codes.EntityOrRoleDisabled, errsGrant...)),
		},
		{
			ID: "VAR-03", Name: "an integration whose scope boxes were all cleared is refused with ScopeMismatched",
			Family: FamilyVariant, Level: Core, Source: "seed row 5 (empty scope on the record)",
			Code: codes.ScopeMismatched, Needs: []Need{Set(profile.SetScopeEmpty)},
			Run: refreshWith(profile.SetScopeEmpty, nil, nil, Fail(codes.ScopeMismatched, errsScope...)),
		},
		{
			ID: "VAR-04", Name: "a validly signed refresh token whose exp has passed is refused with RefreshTokenExpired",
			Family: FamilyVariant, Level: Extended, Source: "seed row 1; RFC 7519 §4.1.4",
			Code: codes.RefreshTokenExpired, Needs: []Need{Set(primary), SigningKey},
			Run: refreshWith(primary, resigned(func(t *T, c map[string]any) {
				now := t.Env.Now()
				c["iat"] = now.Add(-8 * 24 * time.Hour).Unix()
				c["exp"] = now.Add(-24 * time.Hour).Unix()
			}), nil, Fail(codes.RefreshTokenExpired, errsGrant...)),
		},
		{
			ID: "VAR-05", Name: "a validly signed refresh token naming a nonexistent integration is refused with InvalidIntegration",
			Family: FamilyVariant, Level: Extended, Source: "seed row 4",
			Code: codes.InvalidIntegration, Needs: []Need{Set(primary), SigningKey},
			Run: refreshWith(primary, resigned(func(_ *T, c map[string]any) {
				c["aud"] = []any{"00000000-0000-0000-0000-000000000000;NOSUCHACCOUNT", "refreshconf-no-such-client"}
			}), nil, Fail(codes.InvalidIntegration, errsGrant...)),
		},
		{
			ID: "VAR-06", Name: "a validly signed refresh token naming a nonexistent role and entity is refused with EntityOrRoleDisabled",
			Family: FamilyVariant, Level: Extended, Source: "seed row 2",
			Code: codes.EntityOrRoleDisabled, Needs: []Need{Set(primary), SigningKey},
			Run: refreshWith(primary, resigned(func(_ *T, c map[string]any) { c["sub"] = "999999;999999" }), nil, Fail(codes.EntityOrRoleDisabled, errsGrant...)),
		},
		{
			ID: "VAR-07", Name: "a validly signed refresh token from another issuer is refused with InvalidSignature",
			Family: FamilyVariant, Level: Extended, Source: "seed row 3 (issuer); RFC 8725 §3.8",
			Code: codes.InvalidSignature, Needs: []Need{Set(primary), SigningKey},
			Accept:  []codes.Code{codes.InvalidIssuer},
			CodeWhy: "seed row 3 warns that an invalid issuer or signature may be CSRF (InvalidSignature), and NetSuite's token-access table documents InvalidIssuer for an incorrect issuer: both describe this token",
			Run:     refreshWith(primary, resigned(func(_ *T, c map[string]any) { c["iss"] = "https://attacker.example" }), nil, Fail(codes.InvalidSignature, errsGrant...)),
		},
		{
			ID: "VAR-08", Name: "the secondary integration's secret with the primary client_id is refused with ClientAuthenticationFailed",
			Family: FamilyVariant, Level: Core, Source: "seed row 9",
			Code: codes.ClientAuthenticationFailed, Needs: []Need{Set(primary), Set(secondary)},
			Run: withSets(primary, secondary, func(ctx context.Context, t *T, p, s profile.CredentialSet) {
				r := RefreshRequest(p, p.RefreshToken.Value())
				r.Auth.ClientSecret = s.ClientSecret.Value()
				t.Send(ctx, "primary id with secondary secret", r, Fail(codes.ClientAuthenticationFailed, errsClient...))
			}),
		},
		{
			ID: "VAR-09", Name: "an unknown client_id is refused with ClientAuthenticationFailed",
			Family: FamilyVariant, Level: Core, Source: "seed row 9; RFC 6749 §5.2",
			Code: codes.ClientAuthenticationFailed, Needs: []Need{Set(primary)},
			Run: refreshWith(primary, nil, func(r *client.Request) { r.Auth.ClientID = "refreshconf-unknown-client" }, Fail(codes.ClientAuthenticationFailed, errsClient...)),
		},
		// ---- Family extended: codes of NetSuite's current documentation. ----
		{
			ID: "EXT-01", Name: "a refresh token whose header has no kid is refused with MissingKeyId",
			Family: FamilyExtended, Level: Extended, Source: "NetSuite current doc: MissingKeyId",
			Code: codes.MissingKeyID, Needs: []Need{Set(primary), Feature("extended_codes")},
			Run: refreshWith(primary, mutate(forge.StripKeyID), nil, Fail(codes.MissingKeyID, errsGrant...)),
		},
		{
			ID: "EXT-02", Name: "a refresh token whose kid names no published key is refused with MissingKey",
			Family: FamilyExtended, Level: Extended, Source: "NetSuite current doc: MissingKey",
			Code: codes.MissingKey, Needs: []Need{Set(primary), Feature("extended_codes")},
			Run: refreshWith(primary, mutate(func(raw string) (string, error) { return forge.SetKeyID(raw, unknownKid) }), nil, Fail(codes.MissingKey, errsGrant...)),
		},
		{
			ID: "EXT-03", Name: "a validly signed refresh token issued in the future is refused with TokenNotAcceptable",
			Family: FamilyExtended, Level: Extended, Source: "NetSuite current doc: TokenNotAcceptable",
			Code: codes.TokenNotAcceptable, Needs: []Need{Set(primary), SigningKey, Feature("extended_codes")},
			Run: refreshWith(primary, resigned(func(t *T, c map[string]any) {
				now := t.Env.Now()
				c["iat"] = now.Add(time.Hour).Unix()
				c["exp"] = now.Add(8 * 24 * time.Hour).Unix()
			}), nil, Fail(codes.TokenNotAcceptable, errsGrant...)),
		},
		{
			ID: "EXT-04", Name: "a refresh token re-signed by an attacker key under an unknown kid is refused with MissingKey",
			Family: FamilyExtended, Level: Extended, Source: "NetSuite current doc: MissingKey; RFC 8725 §3.10",
			Code: codes.MissingKey, Needs: []Need{Set(primary), Feature("extended_codes")},
			Run: refreshWith(primary, withAttacker(func(t *T, raw string) (string, error) {
				return forge.ResignRSA(raw, t.Env.Attacker.RSA, forge.KidUnknown)
			}), nil, Fail(codes.MissingKey, errsGrant...)),
		},
		{
			ID: "EXT-05", Name: "a refresh token re-signed by an attacker key without a kid is refused with MissingKeyId",
			Family: FamilyExtended, Level: Extended, Source: "NetSuite current doc: MissingKeyId",
			Code: codes.MissingKeyID, Needs: []Need{Set(primary), Feature("extended_codes")},
			Run: refreshWith(primary, withAttacker(func(t *T, raw string) (string, error) {
				return forge.ResignRSA(raw, t.Env.Attacker.RSA, forge.KidNone)
			}), nil, Fail(codes.MissingKeyID, errsGrant...)),
		},
	}
}

// grantTypeRun sends the primary refresh with its grant_type reshaped and
// expects InvalidGrantType with the error the profile's stance allows.
func grantTypeRun(shape func(r *client.Request)) func(context.Context, *T) error {
	return func(ctx context.Context, t *T) error {
		cs, err := t.Set(primary)
		if err != nil {
			return err
		}
		r := RefreshRequest(cs, cs.RefreshToken.Value())
		shape(&r)
		t.Send(ctx, "refresh", r, grantTypeExpect(t))
		return nil
	}
}
