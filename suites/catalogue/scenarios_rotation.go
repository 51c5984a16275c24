package catalogue

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/refreshconf/refreshconf/client"
	"github.com/refreshconf/refreshconf/fixtures/codes"
	"github.com/refreshconf/refreshconf/fixtures/profile"
)

// GraceMargin is how long past a reuse grace period (stances.reuse_grace)
// ROT-01 waits before it presents the rotated-out token again and expects
// a refusal: the clocks of the harness and the target need not agree to
// the millisecond.
const GraceMargin = time.Second

// rotationTable holds the rotation and scope family (RFC 9700 §4.14.2,
// RFC 6749 §6).
func rotationTable() []*Scenario {
	public := []Need{Feature("public_clients"), Feature("rotation")}
	return []*Scenario{
		{
			ID: "ROT-01", Name: "a public client's refresh token is one-time: reuse is refused with TokenReused and revokes the family",
			Family: FamilyRotation, Level: Core, Source: "RFC 9700 §4.14.2; NetSuite public clients",
			Code: codes.TokenReused, Needs: append([]Need{Revokes(profile.SetPublicClient)}, public...),
			Run: func(ctx context.Context, t *T) error {
				cs, err := t.Set(profile.SetPublicClient)
				if err != nil {
					return err
				}
				rt1 := cs.RefreshToken.Value()
				ex := t.Send(ctx, "first refresh rotates the token", RefreshRequest(cs, rt1), Succeed())
				rt2 := ex.Field("refresh_token")
				t.Observe(rt2 != "", "the public client's successful refresh returned no new refresh_token (rotation expected, RFC 9700 §4.14.2)")
				t.Observe(rt2 != rt1, "the public client's successful refresh returned the same refresh_token (rotation expected)")
				if rt2 == "" {
					return nil
				}
				if grace := t.Env.Profile.Stances.ReuseGrace.Std(); grace > 0 {
					// The stance allows a reuse within the grace period, and
					// only within it: once it is over, a reuse must be refused.
					used := time.Now()
					t.Send(ctx, "the rotated-out token is presented again within the grace period", RefreshRequest(cs, rt1), Succeed())
					select {
					case <-time.After(time.Until(used.Add(grace + GraceMargin))):
					case <-ctx.Done():
						return ctx.Err()
					}
					t.Send(ctx, "the rotated-out token is presented after the grace period", RefreshRequest(cs, rt1), Fail(codes.TokenReused, errsGrant...))
					return nil
				}
				t.Send(ctx, "the rotated-out token is presented again", RefreshRequest(cs, rt1), Fail(codes.TokenReused, errsGrant...))
				t.Send(ctx, "the token issued by the first refresh is presented", RefreshRequest(cs, rt2), Fail(codes.TokenRevoked, errsGrant...))
				return nil
			},
		},
		{
			ID: "ROT-02", Name: "two concurrent refreshes of one public-client token yield exactly one success and one TokenReused refusal",
			Family: FamilyRotation, Level: Core, Source: "RFC 9700 §4.14.2; OAuch MultiFastRefreshTest",
			Code: codes.TokenReused, Needs: append([]Need{Revokes(profile.SetPublicClientRace)}, public...), Race: true,
			Run: func(ctx context.Context, t *T) error {
				cs, err := t.Set(profile.SetPublicClientRace)
				if err != nil {
					return err
				}
				req := RefreshRequest(cs, cs.RefreshToken.Value())
				exs := t.Race(ctx, "concurrent refresh", req, req, Expect{AnyOf: []Expect{Succeed(), Fail(codes.TokenReused, errsGrant...)}})
				// Each response, and its own audit row, is judged by what it
				// turned out to be: the success must have a Success row, the
				// refusal must be a reuse refusal with a TokenReused row.
				ok := 0
				for _, ex := range exs {
					if ex.Err == nil && ex.Status == 200 {
						ok++
						t.Reexpect(ex, Succeed())
					} else {
						t.Reexpect(ex, Fail(codes.TokenReused, errsGrant...))
					}
				}
				t.Observe(ok == 1, "%d of 2 concurrent refreshes of one one-time refresh token succeeded; exactly one must, and the other must be refused as a reuse (TokenReused)", ok)
				return nil
			},
		},
		{
			ID: "ROT-03", Name: "a refresh asking for a narrower scope succeeds",
			Family: FamilyRotation, Level: Core, Source: "RFC 6749 §6 (scope MAY be narrowed)",
			Code: codes.Success, Needs: []Need{Spends(primary)},
			Run: func(ctx context.Context, t *T) error {
				cs, err := t.Set(primary)
				if err != nil {
					return err
				}
				if len(cs.Scope) == 0 {
					t.Observe(false, "credentials.primary.scope is empty: list the scopes granted to the primary refresh token")
					return nil
				}
				ex := t.Send(ctx, "refresh with scope "+cs.Scope[0], RefreshRequest(cs, cs.RefreshToken.Value(), client.Field{Name: "scope", Value: cs.Scope[0]}), Succeed())
				if ex.Err != nil || ex.Status != 200 {
					return nil
				}
				// The narrowing must be honoured: neither the answer's scope
				// (RFC 6749 §5.1) nor a JWS access token's scope claim may be
				// broader than what was asked for.
				want := []string{cs.Scope[0]}
				if got := strings.Fields(ex.Field("scope")); len(got) > 0 {
					t.Observe(isSubset(got, want), "the answer's scope %q is broader than the %q requested: the target ignored the narrowing (RFC 6749 §6)", strings.Join(got, " "), cs.Scope[0])
				}
				if got, ok := jwsScope(ex.Field("access_token")); ok {
					t.Observe(isSubset(got, want), "the access token's scope claim %q is broader than the %q requested: the target ignored the narrowing (RFC 6749 §6)", strings.Join(got, " "), cs.Scope[0])
				}
				return nil
			},
		},
		{
			ID: "ROT-04", Name: "a refresh asking for a broader scope than granted is refused with ScopeExceedsGrant",
			Family: FamilyRotation, Level: Core, Source: "RFC 6749 §6 (MUST NOT include any scope not originally granted)",
			Code: codes.ScopeExceedsGrant, Needs: []Need{Spends(primary)}, // succeeds under stance broader_scope: ignore
			Run: func(ctx context.Context, t *T) error {
				cs, err := t.Set(primary)
				if err != nil {
					return err
				}
				scope := append([]string(nil), cs.Scope...)
				for _, extra := range []string{"suite_analytics", "rest_webservices", "restlets", "mcp"} {
					if !slices.Contains(scope, extra) {
						scope = append(scope, extra)
						break
					}
				}
				want := Fail(codes.ScopeExceedsGrant, errsScopeParam...)
				if t.Env.Profile.Stances.BroaderScope == "ignore" {
					want = Succeed()
				}
				t.Send(ctx, "refresh with scope "+url.QueryEscape(strings.Join(scope, " ")), RefreshRequest(cs, cs.RefreshToken.Value(), client.Field{Name: "scope", Value: strings.Join(scope, " ")}), want)
				return nil
			},
		},
		{
			ID: "ROT-05", Name: "a public client's token chain older than the maximum rotation time is refused with RotationTimeExceeded",
			Family: FamilyRotation, Level: Extended, Source: "NetSuite Maximum Time For Token Rotation; RFC 9700 §4.14.2",
			Code: codes.RotationTimeExceeded, Needs: append([]Need{Set(profile.SetRotationExceeded)}, public...),
			Run: refreshWith(profile.SetRotationExceeded, nil, nil, Fail(codes.RotationTimeExceeded, errsGrant...)),
		},
		{
			ID: "ROT-06", Name: "a confidential client's refresh token follows the declared rotation: reusable, or one-time with reuse revoking the family",
			Family: FamilyRotation, Level: Core, Source: "NetSuite confidential clients (no rotation); RFC 6749 §6 (MAY issue a new token); RFC 9700 §4.14.2",
			Code: codes.Success, Needs: []Need{Revokes(secondary)},
			Run: func(ctx context.Context, t *T) error {
				cs, err := t.Set(secondary)
				if err != nil {
					return err
				}
				rt1 := cs.RefreshToken.Value()
				p := t.Env.Profile
				ex := t.Send(ctx, "first refresh", RefreshRequest(cs, rt1), Succeed())
				rt2 := ex.Field("refresh_token")
				if !p.Rotates(false) {
					next := rt1
					if rt2 != "" {
						next = rt2 // a new token is allowed (RFC 6749 §6): follow the chain
					}
					t.Send(ctx, "second refresh", RefreshRequest(cs, next), Succeed())
					return nil
				}
				// rotation.refresh_tokens: all — the token is one-time.
				switch {
				case ex.Status != 200:
					return nil // the first step fails: nothing to rotate
				case rt2 == "" || rt2 == rt1:
					t.Observe(false, "the profile declares rotation.refresh_tokens: all, but the confidential client's successful refresh returned no new refresh_token (or the same one)")
					return nil
				}
				reuse, family := Fail(codes.TokenReused, errsGrant...), Fail(codes.TokenRevoked, errsGrant...)
				if t.Env.Profile.Stances.ReuseGrace.Std() > 0 {
					reuse, family = Succeed(), Succeed()
				} else if !p.ReuseRevokesFamily() {
					family = Succeed()
				}
				t.Send(ctx, "the rotated-out token is presented again", RefreshRequest(cs, rt1), reuse)
				t.Send(ctx, "the token issued by the first refresh is presented", RefreshRequest(cs, rt2), family)
				return nil
			},
		},
	}
}

// isSubset reports whether every element of a is in b.
func isSubset(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// jwsScope returns the scope claim of a JWS (a space-separated string or
// an array of strings), and whether tok is a JWS with one.
func jwsScope(tok string) ([]string, bool) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, false
	}
	var claims map[string]any
	if json.Unmarshal(payload, &claims) != nil {
		return nil, false
	}
	switch v := claims["scope"].(type) {
	case string:
		return strings.Fields(v), true
	case []any:
		var out []string
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out, true
	}
	return nil, false
}
