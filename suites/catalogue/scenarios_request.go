package catalogue

import (
	"context"
	"net/http"

	"github.com/refreshconf/refreshconf/client"
	"github.com/refreshconf/refreshconf/fixtures/codes"
	"github.com/refreshconf/refreshconf/fixtures/profile"
)

// requestTable holds the request-shape family (RFC 6749 §2.3, §3.2, §5.2,
// §6). Response hygiene is checked on every failure of every family.
func requestTable() []*Scenario {
	bad := Fail(codes.InvalidRequest, errsRequest...)
	return []*Scenario{
		{
			ID: "REQ-01", Name: "a well-formed refresh by a confidential client succeeds with a Success row",
			Family: FamilyRequest, Level: Core, Source: "RFC 6749 §6, §5.1",
			Code: codes.Success, Needs: []Need{Spends(primary)},
			Run: refreshWith(primary, nil, nil, Succeed()),
		},
		{
			ID: "REQ-02", Name: "a refresh whose content type carries a charset parameter succeeds",
			Family: FamilyRequest, Level: Core, Source: "RFC 6749 Appendix B",
			Code: codes.Success, Needs: []Need{Spends(primary)},
			Run: refreshWith(primary, nil, func(r *client.Request) { r.ContentType = "application/x-www-form-urlencoded; charset=UTF-8" }, Succeed()),
		},
		{
			ID: "REQ-03", Name: "a refresh without grant_type is refused with InvalidGrantType and invalid_request",
			Family: FamilyRequest, Level: Core, Source: "RFC 6749 §5.2 invalid_request",
			Code: codes.InvalidGrantType, Needs: []Need{Set(primary)},
			Run: refreshWith(primary, nil, func(r *client.Request) { dropField(r, "grant_type") }, Fail(codes.InvalidGrantType, errsRequest...)),
		},
		{
			ID: "REQ-04", Name: "an empty grant_type is treated as missing and refused with InvalidGrantType",
			Family: FamilyRequest, Level: Core, Source: "RFC 6749 §3.2 (empty = omitted)",
			Code: codes.InvalidGrantType, Needs: []Need{Set(primary)},
			Run: refreshWith(primary, nil, func(r *client.Request) { setField(r, "grant_type", "") }, Fail(codes.InvalidGrantType, errsRequest...)),
		},
		{
			ID: "REQ-05", Name: "the grant_type password is refused with InvalidGrantType",
			Family: FamilyRequest, Level: Core, Source: "RFC 6749 §5.2 unsupported_grant_type",
			Code: codes.InvalidGrantType, Needs: []Need{Set(primary)},
			Run: grantTypeRun(func(r *client.Request) { setField(r, "grant_type", "password") }),
		},
		{
			ID: "REQ-06", Name: "the misspelled grant_type refresh-token is refused with InvalidGrantType",
			Family: FamilyRequest, Level: Core, Source: "RFC 6749 §5.2 unsupported_grant_type",
			Code: codes.InvalidGrantType, Needs: []Need{Set(primary)},
			Run: grantTypeRun(func(r *client.Request) { setField(r, "grant_type", "refresh-token") }),
		},
		{
			ID: "REQ-07", Name: "the miscased grant_type Refresh_Token is refused with InvalidGrantType",
			Family: FamilyRequest, Level: Core, Source: "RFC 6749 §3.2 (values are case-sensitive)",
			Code: codes.InvalidGrantType, Needs: []Need{Set(primary)},
			Run: grantTypeRun(func(r *client.Request) { setField(r, "grant_type", "Refresh_Token") }),
		},
		{
			ID: "REQ-08", Name: "a repeated grant_type parameter is refused with InvalidRequest",
			Family: FamilyRequest, Level: Core, Source: "RFC 6749 §3.2 (no parameter more than once)",
			Code: codes.InvalidRequest, Needs: []Need{Spends(primary)}, // a lax target accepts it (zitadel/oidc does): its own instance
			Run: refreshWith(primary, nil, func(r *client.Request) {
				r.Form = append(r.Form, client.Field{Name: "grant_type", Value: "refresh_token"})
			}, bad),
		},
		{
			ID: "REQ-09", Name: "a repeated refresh_token parameter is refused with InvalidRequest",
			Family: FamilyRequest, Level: Core, Source: "RFC 6749 §3.2; Spring Authorization Server",
			Code: codes.InvalidRequest, Needs: []Need{Spends(primary)}, // a lax target accepts it (zitadel/oidc does): its own instance
			Run: refreshWith(primary, nil, func(r *client.Request) {
				r.Form = append(r.Form, client.Field{Name: "refresh_token", Value: fieldValue(r, "refresh_token")})
			}, bad),
		},
		{
			ID: "REQ-10", Name: "a refresh without refresh_token is refused with InvalidRequest",
			Family: FamilyRequest, Level: Core, Source: "RFC 6749 §6; §5.2 invalid_request",
			Code: codes.InvalidRequest, Needs: []Need{Set(primary)},
			Run: refreshWith(primary, nil, func(r *client.Request) { dropField(r, "refresh_token") }, bad),
		},
		{
			ID: "REQ-11", Name: "an empty refresh_token is refused with InvalidRequest",
			Family: FamilyRequest, Level: Core, Source: "RFC 6749 §3.2 (empty = omitted)",
			Code: codes.InvalidRequest, Needs: []Need{Set(primary)},
			Run: refreshWith(primary, nil, func(r *client.Request) { setField(r, "refresh_token", "") }, bad),
		},
		{
			ID: "REQ-12", Name: "a refresh sent with GET and query parameters is refused with InvalidRequest",
			Family: FamilyRequest, Level: Core, Source: "RFC 6749 §3.2 (POST only); OAuch IsGetSupportedTest",
			Code: codes.InvalidRequest, Needs: []Need{Spends(primary)}, // a lax target accepts it (zitadel/oidc does): its own instance
			Run: refreshWith(primary, nil, func(r *client.Request) {
				r.Method = http.MethodGet
				r.Query, r.Form = r.Form, nil
			}, bad),
		},
		{
			ID: "REQ-13", Name: "a refresh sent with PUT is refused with InvalidRequest",
			Family: FamilyRequest, Level: Core, Source: "RFC 6749 §3.2 (POST only)",
			Code: codes.InvalidRequest, Needs: []Need{Spends(primary)}, // a lax target accepts it (zitadel/oidc does): its own instance
			Run: refreshWith(primary, nil, func(r *client.Request) { r.Method = http.MethodPut }, bad),
		},
		{
			ID: "REQ-14", Name: "a refresh with a JSON body is refused with InvalidRequest",
			Family: FamilyRequest, Level: Core, Source: "RFC 6749 §3.2, Appendix B",
			Code: codes.InvalidRequest, Needs: []Need{Set(primary)},
			Run: refreshWith(primary, nil, func(r *client.Request) {
				r.RawBody = formJSON(r)
				r.ContentType = "application/json"
			}, bad),
		},
		{
			ID: "REQ-15", Name: "a refresh without a Content-Type header is refused with InvalidRequest",
			Family: FamilyRequest, Level: Core, Source: "RFC 6749 §3.2",
			Code: codes.InvalidRequest, Needs: []Need{Set(primary)},
			Run: refreshWith(primary, nil, func(r *client.Request) { r.NoContentType = true }, bad),
		},
		{
			ID: "REQ-16", Name: "client credentials in the query string are refused with InvalidRequest",
			Family: FamilyRequest, Level: Core, Source: "RFC 6749 §2.3.1 (never in the URI); OAuch IsAuthInUriAllowedTest; a server that ignores them sees no client authentication: invalid_client is allowed, invalid_request precise",
			Code: codes.InvalidRequest, Needs: []Need{Spends(primary)}, // a lax target accepts it (zitadel/oidc does): its own instance
			Run: refreshWith(primary, nil, func(r *client.Request) {
				r.Query = []client.Field{{Name: "client_id", Value: r.Auth.ClientID}, {Name: "client_secret", Value: r.Auth.ClientSecret}}
				r.Auth.Mode = client.AuthNone
			}, Expect{Code: codes.InvalidRequest, Errors: []string{codes.ErrInvalidRequest, codes.ErrInvalidClient}, Prefer: errsRequest}),
		},
		{
			ID: "REQ-17", Name: "two client-authentication methods in one request are refused with InvalidRequest",
			Family: FamilyRequest, Level: Core, Source: "RFC 6749 §2.3 (one method per request)",
			Code: codes.InvalidRequest, Needs: []Need{Set(primary)},
			Run: refreshWith(primary, nil, func(r *client.Request) { r.Auth.Mode = client.AuthBoth }, bad),
		},
		{
			ID: "REQ-18", Name: "a body client_id that differs from the Basic user is refused with ClientAuthenticationFailed",
			Family: FamilyRequest, Level: Core, Source: "RFC 6749 §2.3; NetSuite ClientIdMismatch; RFC 6749 §5.2 admits invalid_client (the client does not authenticate) and invalid_request (two identities)",
			Code: codes.ClientAuthenticationFailed, Needs: []Need{Spends(primary), Set(secondary)}, // a lax target accepts it (zitadel/oidc does): its own instance
			Run: withSets(primary, secondary, func(ctx context.Context, t *T, p, s profile.CredentialSet) {
				r := RefreshRequest(p, p.RefreshToken.Value(), client.Field{Name: "client_id", Value: s.ClientID})
				t.Send(ctx, "refresh", r, Fail(codes.ClientAuthenticationFailed, codes.ErrInvalidClient, codes.ErrInvalidRequest))
			}),
		},
		{
			ID: "REQ-19", Name: "a confidential client sending no credentials is refused with ClientAuthenticationFailed",
			Family: FamilyRequest, Level: Core, Source: "RFC 6749 §6 (confidential clients MUST authenticate); OIDF FAPI2 no-auth block",
			Code: codes.ClientAuthenticationFailed, Needs: []Need{Set(primary)},
			Run: refreshWith(primary, nil, func(r *client.Request) { r.Auth.Mode = client.AuthNone }, Fail(codes.ClientAuthenticationFailed, errsClient...)),
		},
		{
			ID: "REQ-20", Name: "a confidential client sending only its client_id is refused with ClientAuthenticationFailed",
			Family: FamilyRequest, Level: Core, Source: "RFC 6749 §6",
			Code: codes.ClientAuthenticationFailed, Needs: []Need{Set(primary)},
			Run: refreshWith(primary, nil, func(r *client.Request) { r.Auth.ClientSecret = "" }, Fail(codes.ClientAuthenticationFailed, errsClient...)),
		},
		{
			ID: "REQ-21", Name: "a revoked refresh token is refused with TokenRevoked",
			Family: FamilyRequest, Level: Extended, Source: "RFC 7009 §2; RFC 6749 §5.2",
			Code: codes.TokenRevoked, Needs: []Need{Set(profile.SetRevoked), Feature("revocation"), Feature("token_state")},
			Run: refreshWith(profile.SetRevoked, nil, nil, Fail(codes.TokenRevoked, errsGrant...)),
		},
		{
			ID: "REQ-22", Name: "a validly signed refresh token that was never issued is refused with UnknownToken",
			Family: FamilyRequest, Level: Extended, Source: "fosite: correctly formatted but never stored",
			Code: codes.UnknownToken, Needs: []Need{Set(primary), SigningKey, Feature("token_state")},
			Run: refreshWith(primary, resigned(func(_ *T, c map[string]any) {
				if jti, ok := c["jti"].(string); ok {
					c["jti"] = jti + "-never-issued"
				} else {
					c["jti"] = "refreshconf-never-issued"
				}
			}), nil, Fail(codes.UnknownToken, errsGrant...)),
		},
		{
			ID: "REQ-23", Name: "a well-formed refresh by a second integration succeeds with a Success row",
			Family: FamilyRequest, Level: Core, Source: "RFC 6749 §6",
			Code: codes.Success, Needs: []Need{Spends(secondary)},
			Run: refreshWith(secondary, nil, nil, Succeed()),
		},
	}
}
