package catalogue

import (
	"context"
	"crypto/rsa"
	"fmt"
	"time"

	"github.com/refreshconf/refreshconf/fixtures/codes"
	"github.com/refreshconf/refreshconf/fixtures/forge"
	"github.com/refreshconf/refreshconf/fixtures/profile"
)

// tokenTable holds the token-attack family: forged, tampered and confused
// JWS refresh tokens (research/anchors.md §2; RFC 8725). Every one must be
// refused; the code is the one the first failing check of the validation
// order emits (fixtures/target/API.md).
func tokenTable() []*Scenario {
	jwt := Feature("jwt_refresh_tokens")
	sig := Fail(codes.InvalidSignature, errsGrant...)
	return []*Scenario{
		{
			ID: "TOK-01", Name: `a refresh token with alg "none" is refused with InvalidSignature`,
			Family: FamilyToken, Level: Core, Source: "CVE-2015-2951; RFC 8725 §3.2; jwt_tool -X a",
			Code: codes.InvalidSignature, Needs: []Need{Set(primary), jwt},
			Run: refreshWith(primary, mutate(func(raw string) (string, error) { return forge.AlgNone(raw, "none") }), nil, sig),
		},
		{
			ID: "TOK-02", Name: `a refresh token with alg "None" is refused with InvalidSignature`,
			Family: FamilyToken, Level: Core, Source: "CVE-2015-2951; jwt_tool -X a",
			Code: codes.InvalidSignature, Needs: []Need{Set(primary), jwt},
			Run: refreshWith(primary, mutate(func(raw string) (string, error) { return forge.AlgNone(raw, "None") }), nil, sig),
		},
		{
			ID: "TOK-03", Name: `a refresh token with alg "NONE" is refused with InvalidSignature`,
			Family: FamilyToken, Level: Core, Source: "CVE-2015-2951; jwt_tool -X a",
			Code: codes.InvalidSignature, Needs: []Need{Set(primary), jwt},
			Run: refreshWith(primary, mutate(func(raw string) (string, error) { return forge.AlgNone(raw, "NONE") }), nil, sig),
		},
		{
			ID: "TOK-04", Name: `a refresh token with alg "nOnE" is refused with InvalidSignature`,
			Family: FamilyToken, Level: Core, Source: "CVE-2015-2951; jwt_tool -X a",
			Code: codes.InvalidSignature, Needs: []Need{Set(primary), jwt},
			Run: refreshWith(primary, mutate(func(raw string) (string, error) { return forge.AlgNone(raw, "nOnE") }), nil, sig),
		},
		{
			ID: "TOK-05", Name: "a refresh token with an empty signature is refused with InvalidSignature",
			Family: FamilyToken, Level: Core, Source: "CVE-2020-28042; jwt_tool -X n",
			Code: codes.InvalidSignature, Needs: []Need{Set(primary), jwt},
			Run: refreshWith(primary, mutate(forge.NullSignature), nil, sig),
		},
		{
			ID: "TOK-06", Name: "a refresh token with a truncated signature is refused with InvalidSignature",
			Family: FamilyToken, Level: Core, Source: "jwt_tool prescan (broken signature)",
			Code: codes.InvalidSignature, Needs: []Need{Set(primary), jwt},
			Run: refreshWith(primary, mutate(forge.TruncatedSignature), nil, sig),
		},
		{
			ID: "TOK-07", Name: "a refresh token re-signed by an attacker RSA key under the target's kid is refused with InvalidSignature",
			Family: FamilyToken, Level: Core, Source: "RFC 8725 §3.3",
			Code: codes.InvalidSignature, Needs: []Need{Set(primary), jwt},
			Run: refreshWith(primary, withAttacker(func(t *T, raw string) (string, error) {
				return forge.ResignRSA(raw, t.Env.Attacker.RSA, forge.KidSame)
			}), nil, sig),
		},
		{
			ID: "TOK-08", Name: "a refresh token re-signed by an attacker EC key under the target's kid is refused with InvalidSignature",
			Family: FamilyToken, Level: Core, Source: "RFC 8725 §3.1 (one algorithm per key)",
			Code: codes.InvalidSignature, Needs: []Need{Set(primary), jwt},
			Run: refreshWith(primary, withAttacker(func(t *T, raw string) (string, error) {
				return forge.ResignEC(raw, t.Env.Attacker.EC, forge.KidSame)
			}), nil, sig),
		},
		{
			ID: "TOK-09", Name: "a refresh token HS256-signed with the target's public key PEM is refused with InvalidSignature",
			Family: FamilyToken, Level: Core, Source: "CVE-2016-10555; jwt_tool -X k",
			Code: codes.InvalidSignature, Needs: []Need{Set(primary), jwt, KeysURL},
			Run: refreshWith(primary, keyConfusion(forge.PublicKeyPEM), nil, sig),
		},
		{
			ID: "TOK-10", Name: "a refresh token HS256-signed with the target's public JWK bytes is refused with InvalidSignature",
			Family: FamilyToken, Level: Core, Source: "CVE-2016-10555 (JWK variant)",
			Code: codes.InvalidSignature, Needs: []Need{Set(primary), jwt, KeysURL},
			Run: refreshWith(primary, keyConfusion(forge.PublicKeyJWK), nil, sig),
		},
		{
			ID: "TOK-11", Name: "a refresh token HS256-signed with an empty key is refused with InvalidSignature",
			Family: FamilyToken, Level: Core, Source: "CVE-2019-20933; jwt_tool -X b",
			Code: codes.InvalidSignature, Needs: []Need{Set(primary), jwt},
			Run: refreshWith(primary, mutate(forge.EmptyHMACKey), nil, sig),
		},
		{
			ID: "TOK-12", Name: "a refresh token signed by a key embedded in its jwk header is refused with InvalidSignature",
			Family: FamilyToken, Level: Core, Source: "CVE-2018-0114; jwt_tool -X i",
			Code: codes.InvalidSignature, Needs: []Need{Set(primary), jwt},
			Run: refreshWith(primary, withAttacker(func(t *T, raw string) (string, error) {
				return forge.EmbeddedJWK(raw, t.Env.Attacker.RSA)
			}), nil, sig),
		},
		{
			ID: "TOK-13", Name: "a refresh token whose jku points at an attacker JWKS is refused with MissingKey and the jku is never fetched",
			Family: FamilyToken, Level: Extended, Source: "RFC 8725 §3.10; jwt_tool -X s",
			Code: codes.MissingKey, Needs: []Need{Set(primary), jwt, Feature("extended_codes")},
			Run: headerURLRun(forge.JWKSPath, forge.JKU),
		},
		{
			ID: "TOK-14", Name: "a refresh token whose x5u points at an attacker certificate is refused with MissingKey and the x5u is never fetched",
			Family: FamilyToken, Level: Extended, Source: "RFC 8725 §3.10",
			Code: codes.MissingKey, Needs: []Need{Set(primary), jwt, Feature("extended_codes")},
			Run: headerURLRun(forge.CertPath, forge.X5U),
		},
		{
			ID: "TOK-15", Name: "a refresh token carrying a self-signed x5c chain is refused with InvalidSignature",
			Family: FamilyToken, Level: Core, Source: "jwt-hack x5c",
			Code: codes.InvalidSignature, Needs: []Need{Set(primary), jwt},
			Run: refreshWith(primary, withAttacker(func(t *T, raw string) (string, error) {
				return forge.X5C(raw, t.Env.Attacker.RSA)
			}), nil, sig),
		},
		{
			ID: "TOK-16", Name: "a refresh token with an ECDSA psychic signature (r = s = 0) is refused with InvalidSignature",
			Family: FamilyToken, Level: Core, Source: "CVE-2022-21449",
			Code: codes.InvalidSignature, Needs: []Need{Set(primary), jwt},
			Run: refreshWith(primary, mutate(forge.PsychicSignature), nil, sig),
		},
		{
			ID: "TOK-17", Name: "a refresh token whose scope was edited under the old signature is refused with InvalidSignature",
			Family: FamilyToken, Level: Core, Source: "jwt_tool claim tampering",
			Code: codes.InvalidSignature, Needs: []Need{Set(primary), jwt},
			Run: refreshWith(primary, editClaims(func(c map[string]any) { c["scope"] = []any{"restlets", "rest_webservices", "suite_analytics", "mcp"} }), nil, sig),
		},
		{
			ID: "TOK-18", Name: "a refresh token whose sub was edited under the old signature is refused with InvalidSignature",
			Family: FamilyToken, Level: Core, Source: "jwt_tool claim tampering",
			Code: codes.InvalidSignature, Needs: []Need{Set(primary), jwt},
			Run: refreshWith(primary, editClaims(func(c map[string]any) { c["sub"] = "3;1" }), nil, sig),
		},
		{
			ID: "TOK-19", Name: "a refresh token whose exp was extended under the old signature is refused with InvalidSignature",
			Family: FamilyToken, Level: Core, Source: "jwt_tool claim tampering",
			Code: codes.InvalidSignature, Needs: []Need{Set(primary), jwt},
			Run: refreshWith(primary, editClaims(func(c map[string]any) { c["exp"] = time.Now().Add(365 * 24 * time.Hour).Unix() }), nil, sig),
		},
		{
			ID: "TOK-20", Name: "a refresh token whose aud was edited under the old signature is refused with InvalidSignature",
			Family: FamilyToken, Level: Core, Source: "RFC 8725 §3.9",
			Code: codes.InvalidSignature, Needs: []Need{Set(primary), jwt},
			Run: refreshWith(primary, editClaims(func(c map[string]any) { c["aud"] = []any{"attacker;TSTDRV0", "attacker"} }), nil, sig),
		},
		{
			ID: "TOK-21", Name: "a refresh token whose iss was edited under the old signature is refused with InvalidSignature",
			Family: FamilyToken, Level: Core, Source: "RFC 8725 §3.8",
			Code: codes.InvalidSignature, Needs: []Need{Set(primary), jwt},
			Run: refreshWith(primary, editClaims(func(c map[string]any) { c["iss"] = "https://attacker.example" }), nil, sig),
		},
		{
			ID: "TOK-22", Name: "a refresh token whose aud was turned from an array into a string is refused with InvalidSignature",
			Family: FamilyToken, Level: Core, Source: "jwt-hack claims_confusion",
			Code: codes.InvalidSignature, Needs: []Need{Set(primary), jwt},
			Run: refreshWith(primary, mutate(func(raw string) (string, error) {
				tok, err := forge.Parse(raw)
				if err != nil {
					return "", err
				}
				var first any = ""
				if a, ok := tok.Claims["aud"].([]any); ok && len(a) > 0 {
					first = a[0]
				}
				return forge.ClaimTypeConfusion(raw, "aud", first)
			}), nil, sig),
		},
		{
			ID: "TOK-23", Name: "a refresh token whose exp was turned into a string is refused with InvalidSignature",
			Family: FamilyToken, Level: Core, Source: "jwt-hack claims_exp",
			Code: codes.InvalidSignature, Needs: []Need{Set(primary), jwt},
			Run: refreshWith(primary, mutate(func(raw string) (string, error) {
				return forge.ClaimTypeConfusion(raw, "exp", "99999999999")
			}), nil, sig),
		},
		{
			ID: "TOK-24", Name: "a refresh token whose scope was turned into a string is refused with InvalidSignature",
			Family: FamilyToken, Level: Core, Source: "jwt-hack claims_confusion",
			Code: codes.InvalidSignature, Needs: []Need{Set(primary), jwt},
			Run: refreshWith(primary, mutate(func(raw string) (string, error) {
				return forge.ClaimTypeConfusion(raw, "scope", "restlets rest_webservices")
			}), nil, sig),
		},
		{
			ID: "TOK-25", Name: "a refresh token with a path-traversal kid signed with an empty key is refused with MissingKey",
			Family: FamilyToken, Level: Extended, Source: "jwt_tool kid injection (../../dev/null)",
			Code: codes.MissingKey, Needs: []Need{Set(primary), jwt, Feature("extended_codes")},
			Run: refreshWith(primary, mutate(func(raw string) (string, error) {
				return forge.KidInjection(raw, "../../../../../../dev/null", nil)
			}), nil, Fail(codes.MissingKey, errsGrant...)),
		},
		{
			ID: "TOK-26", Name: "a refresh token with an SQL-injection kid signed with the key \"1\" is refused with MissingKey",
			Family: FamilyToken, Level: Extended, Source: "jwt_tool kid injection (SQL)",
			Code: codes.MissingKey, Needs: []Need{Set(primary), jwt, Feature("extended_codes")},
			Run: refreshWith(primary, mutate(func(raw string) (string, error) {
				return forge.KidInjection(raw, "x' UNION SELECT '1';--", []byte("1"))
			}), nil, Fail(codes.MissingKey, errsGrant...)),
		},
		{
			ID: "TOK-27", Name: "a refresh token with a command-injection kid is refused with MissingKey",
			Family: FamilyToken, Level: Extended, Source: "jwt_tool kid injection (|sleep)",
			Code: codes.MissingKey, Needs: []Need{Set(primary), jwt, Feature("extended_codes")},
			Run: refreshWith(primary, mutate(func(raw string) (string, error) {
				return forge.KidInjection(raw, "|sleep 10", nil)
			}), nil, Fail(codes.MissingKey, errsGrant...)),
		},
		{
			ID: "TOK-28", Name: "a refresh value that is not a JWS is refused with MalformedToken",
			Family: FamilyToken, Level: Extended, Source: "fosite garbage refresh token",
			Code: codes.MalformedToken, Needs: []Need{Set(primary), jwt},
			Run: refreshWith(primary, func(t *T, _ profile.CredentialSet) (string, error) { return t.Forged("refreshconf.not-a-jws"), nil }, nil, Fail(codes.MalformedToken, errsGrant...)),
		},
		{
			ID: "TOK-29", Name: "a refresh token whose header is not JSON is refused with MalformedToken",
			Family: FamilyToken, Level: Extended, Source: "jwt-hack malformed encodings",
			Code: codes.MalformedToken, Needs: []Need{Set(primary), jwt},
			Run: refreshWith(primary, malformed("header-not-json"), nil, Fail(codes.MalformedToken, errsGrant...)),
		},
		{
			ID: "TOK-30", Name: "a refresh token with only two segments is refused with MalformedToken",
			Family: FamilyToken, Level: Extended, Source: "jwt-hack malformed encodings",
			Code: codes.MalformedToken, Needs: []Need{Set(primary), jwt},
			Run: refreshWith(primary, malformed("two-segments"), nil, Fail(codes.MalformedToken, errsGrant...)),
		},
		{
			ID: "TOK-31", Name: "a refresh token whose payload is a JSON array is refused with MalformedToken",
			Family: FamilyToken, Level: Extended, Source: "jwt-hack malformed encodings",
			Code: codes.MalformedToken, Needs: []Need{Set(primary), jwt},
			Run: refreshWith(primary, malformed("payload-json-array"), nil, Fail(codes.MalformedToken, errsGrant...)),
		},
	}
}

// headerURLRun re-signs the primary refresh token with the attacker key and
// a jku/x5u header pointing at the harness's loopback listener, sends it,
// and records a finding when the target fetched the URL (RFC 8725 §3.10:
// header URLs must never be dereferenced).
// LateFetchWait is how long TOK-13/14 wait after the target's answer
// before counting fetches of the attacker URL, so that a fetch made in the
// background just after answering is caught too.
const LateFetchWait = time.Second

func headerURLRun(path string, build func(raw, url string, k *rsa.PrivateKey) (string, error)) func(context.Context, *T) error {
	return func(ctx context.Context, t *T) error {
		cs, err := t.Set(primary)
		if err != nil {
			return err
		}
		if t.Env.Listener == nil {
			return fmt.Errorf("no loopback listener for %s", path)
		}
		url := t.Env.Listener.URL(path)
		tok, err := t.forgedToken(build(cs.RefreshToken.Value(), url, t.Env.Attacker.RSA))
		if err != nil {
			return fmt.Errorf("crafting the token: %w", err)
		}
		before := countHits(t.Env.Listener.Hits(), path)
		// The attacker key's kid is unknown to the target: MissingKey.
		t.Send(ctx, "refresh", RefreshRequest(cs, tok), Fail(codes.MissingKey, errsGrant...))
		if !t.Env.ListenerReachable {
			t.NotJudged(fmt.Sprintf("that the target never fetches the %s URL was not judged: the attacker listener (%s) is on loopback and the target is not on this machine, so it could not fetch it; set the profile's attacker_listener (listen, public_url) to an address the target reaches", path, url))
			return nil
		}
		// A fetch may come after the answer (a background key refresh):
		// wait LateFetchWait before counting.
		select {
		case <-time.After(LateFetchWait):
		case <-ctx.Done():
			return ctx.Err()
		}
		after := countHits(t.Env.Listener.Hits(), path)
		t.Observe(after == before, "the target fetched the attacker URL %s %d time(s) while validating the token or within %s of its answer (RFC 8725 §3.10: never dereference jku/x5u)", url, after-before, LateFetchWait)
		return nil
	}
}

func countHits(hits []forge.Hit, path string) int {
	n := 0
	for _, h := range hits {
		if h.Path == path {
			n++
		}
	}
	return n
}

// malformed derives the named malformed variant of the set's refresh token
// (forge.MalformedVariants).
func malformed(name string) func(*T, profile.CredentialSet) (string, error) {
	return mutate(func(raw string) (string, error) {
		vs, err := forge.MalformedVariants(raw)
		if err != nil {
			return "", err
		}
		for _, v := range vs {
			if v.Name == name {
				return v.Token, nil
			}
		}
		return "", fmt.Errorf("the forge has no malformed variant %q", name)
	})
}

// keyConfusion signs the set's refresh token with HS256 keyed with the
// target's public key for the token's kid, as the bytes publicKey extracts
// from the target's JWKS (PEM or JWK).
func keyConfusion(publicKey func(jwks []byte, kid string) ([]byte, error)) func(*T, profile.CredentialSet) (string, error) {
	return withAttacker(func(t *T, raw string) (string, error) {
		tok, err := forge.Parse(raw)
		if err != nil {
			return "", err
		}
		kid, _ := tok.KeyID()
		key, err := publicKey(t.Env.JWKS, kid)
		if err != nil {
			return "", fmt.Errorf("reading the target's public key %q from keys_url: %w", kid, err)
		}
		return forge.HMACWithPublicKey(raw, key)
	})
}
