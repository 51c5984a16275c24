package catalogue

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/refreshconf/refreshconf/client"
	"github.com/refreshconf/refreshconf/fixtures/codes"
	"github.com/refreshconf/refreshconf/fixtures/forge"
	"github.com/refreshconf/refreshconf/fixtures/profile"
)

// Allowed client-visible errors, by situation (RFC 6749 §5.2).
var (
	errsGrant        = []string{codes.ErrInvalidGrant}
	errsClient       = []string{codes.ErrInvalidClient}
	errsRequest      = []string{codes.ErrInvalidRequest}
	errsGrantType    = []string{codes.ErrUnsupportedGrantType}
	errsUnauthorized = []string{codes.ErrUnauthorizedClient, codes.ErrInvalidGrant}
	errsFeature      = []string{codes.ErrUnauthorizedClient, codes.ErrInvalidRequest, codes.ErrInvalidGrant}
	errsScope        = []string{codes.ErrInvalidGrant, codes.ErrInvalidScope}
	errsScopeParam   = []string{codes.ErrInvalidScope}
)

// RefreshRequest is the well-formed refresh request for credential set cs
// presenting token: POST, form body, client authenticated the way its
// integration expects (HTTP Basic; "client_id:" for a public client).
func RefreshRequest(cs profile.CredentialSet, token string, extra ...client.Field) client.Request {
	form := []client.Field{{Name: "grant_type", Value: "refresh_token"}, {Name: "refresh_token", Value: token}}
	form = append(form, extra...)
	return client.Request{
		URL:  cs.TokenURL,
		Form: form,
		Auth: client.Auth{Mode: client.AuthBasic, ClientID: cs.ClientID, ClientSecret: cs.ClientSecret.Value()},
	}
}

// refreshWith is the Run of the common one-request scenario: take credential
// set setName, derive the token to present with tok (nil: its refresh token),
// optionally reshape the request, send it once and expect want.
func refreshWith(setName string, tok func(t *T, cs profile.CredentialSet) (string, error), shape func(r *client.Request), want Expect) func(context.Context, *T) error {
	return func(ctx context.Context, t *T) error {
		cs, err := t.Set(setName)
		if err != nil {
			return err
		}
		token := cs.RefreshToken.Value()
		if tok != nil {
			if token, err = tok(t, cs); err != nil {
				return fmt.Errorf("crafting the token from credentials.%s: %w", setName, err)
			}
		}
		req := RefreshRequest(cs, token)
		if shape != nil {
			shape(&req)
		}
		t.Send(ctx, "refresh", req, want)
		return nil
	}
}

// mutate derives the presented token from the set's refresh token with a
// forge function that needs no key.
func mutate(f func(raw string) (string, error)) func(*T, profile.CredentialSet) (string, error) {
	return func(t *T, cs profile.CredentialSet) (string, error) { return t.forgedToken(f(cs.RefreshToken.Value())) }
}

// forgedToken records a token the forge built as forged (its transcript
// shows it decoded) and passes it on with the forge's error.
func (t *T) forgedToken(tok string, err error) (string, error) {
	if err != nil {
		return "", err
	}
	return t.Forged(tok), nil
}

// editClaims keeps the old signature and changes claims.
func editClaims(edit func(map[string]any)) func(*T, profile.CredentialSet) (string, error) {
	return mutate(func(raw string) (string, error) { return forge.EditClaims(raw, edit) })
}

// craftedSlots names, per scenario, the pre-made token slot
// (profile.CredentialSet.Crafted) that stands in for the target's signing
// key: a vendor who cannot share its key mints that token itself.
var craftedSlots = map[string]string{
	"SEED-07": profile.CraftedEmptyScope,
	"VAR-04":  profile.CraftedExpired,
	"VAR-05":  profile.CraftedUnknownIntegration,
	"VAR-06":  profile.CraftedNonexistentRole,
	"VAR-07":  profile.CraftedForeignIssuer,
	"EXT-03":  profile.CraftedFutureIat,
	"REQ-22":  profile.CraftedNeverIssued,
}

// CraftedSlot returns the pre-made token slot that can stand in for the
// signing key in scenario id ("" when none can).
func CraftedSlot(id string) string { return craftedSlots[id] }

// resigned re-signs the set's refresh token with the target's own key after
// editing its claims (needs SigningKey), or presents the set's pre-made
// token of the scenario's slot when the profile supplies one.
func resigned(edit func(t *T, claims map[string]any)) func(*T, profile.CredentialSet) (string, error) {
	return func(t *T, cs profile.CredentialSet) (string, error) {
		if slot := CraftedSlot(t.Scenario); slot != "" {
			if tok := cs.Crafted[slot].Value(); tok != "" {
				return tok, nil
			}
		}
		if t.Env.Signer == nil {
			return "", errors.New("no signing key in the profile")
		}
		return t.forgedToken(t.Env.Signer.Resign(cs.RefreshToken.Value(), func(c map[string]any) { edit(t, c) }))
	}
}

// withAttacker uses the attacker keys.
func withAttacker(f func(t *T, raw string) (string, error)) func(*T, profile.CredentialSet) (string, error) {
	return func(t *T, cs profile.CredentialSet) (string, error) {
		return t.forgedToken(f(t, cs.RefreshToken.Value()))
	}
}

// field sets a form field in place (first occurrence) or appends it.
func setField(r *client.Request, name, value string) {
	for i := range r.Form {
		if r.Form[i].Name == name {
			r.Form[i].Value = value
			return
		}
	}
	r.Form = append(r.Form, client.Field{Name: name, Value: value})
}

// dropField removes every occurrence of a form field.
func dropField(r *client.Request, name string) {
	out := r.Form[:0]
	for _, f := range r.Form {
		if f.Name != name {
			out = append(out, f)
		}
	}
	r.Form = out
}

// fieldValue returns the first value of a form field.
func fieldValue(r *client.Request, name string) string {
	for _, f := range r.Form {
		if f.Name == name {
			return f.Value
		}
	}
	return ""
}

// formJSON renders the request's form as a JSON object body.
func formJSON(r *client.Request) []byte {
	var b strings.Builder
	b.WriteString("{")
	for i, f := range r.Form {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "%q:%q", f.Name, f.Value)
	}
	b.WriteString("}")
	return []byte(b.String())
}

// unknownKid is a kid no target publishes.
const unknownKid = "refreshconf-unknown-kid"

// grantTypeExpect is the expectation for an unknown or wrong grant_type,
// following the profile's stance.
func grantTypeExpect(t *T) Expect {
	if t.Env.Profile.Stances.UnknownGrantType == codes.ErrInvalidRequest {
		return Fail(codes.InvalidGrantType, codes.ErrInvalidRequest)
	}
	return Fail(codes.InvalidGrantType, errsGrantType...)
}

// withSets runs f with the two named credential sets.
func withSets(a, b string, f func(ctx context.Context, t *T, a, b profile.CredentialSet)) func(context.Context, *T) error {
	return func(ctx context.Context, t *T) error {
		csA, err := t.Set(a)
		if err != nil {
			return err
		}
		csB, err := t.Set(b)
		if err != nil {
			return err
		}
		f(ctx, t, csA, csB)
		return nil
	}
}

// jwtRefreshTokens reports whether raw is to be attacked as a JWS: the
// profile does not declare features.jwt_refresh_tokens false and raw has
// the three segments of a compact JWS.
func jwtRefreshTokens(t *T, raw string) bool {
	if f := t.Env.Profile.Features.JWTRefreshTokens; f != nil && !*f {
		return false
	}
	return strings.Count(raw, ".") == 2
}
