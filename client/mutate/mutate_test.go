package mutate

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/refreshconf/refreshconf/client"
)

// testToken returns a compact JWS shaped like the target's refresh tokens.
func testToken(t *testing.T) string {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: k}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	if err != nil {
		t.Fatal(err)
	}
	claims, _ := json.Marshal(map[string]any{"sub": "3;7", "aud": []string{"app;ACCT", "cid"}, "scope": []string{"restlets"},
		"iss": "https://system.netsuite.com", "iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix(), "jti": "ACCT.r.abc"})
	obj, err := sig.Sign(claims)
	if err != nil {
		t.Fatal(err)
	}
	s, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestGeneratorDeterministicAndCovering(t *testing.T) {
	tok := testToken(t)
	b := Base{TokenURL: "http://127.0.0.1:1/token", ClientID: "cid", ClientSecret: "s3cr3t-value", RefreshToken: tok, AccessToken: "access-token-value"}
	names := func(seed uint64) []string {
		g, err := New(b, seed)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]string, 3000)
		for i := range out {
			m := g.Next()
			out[i] = m.Name
			if !strings.HasPrefix(m.Name, m.Family+"/") || m.Request.URL != b.TokenURL {
				t.Fatalf("mutation %q: family %q, URL %q", m.Name, m.Family, m.Request.URL)
			}
			for _, secret := range []string{tok, b.ClientSecret, b.AccessToken} {
				if strings.Contains(m.Name, secret) {
					t.Fatalf("mutation name %q holds a secret", m.Name)
				}
			}
			if isValid(m.Request, b) {
				t.Fatalf("mutation %q is the valid request", m.Name)
			}
		}
		return out
	}
	a1, a2, other := names(42), names(42), names(43)
	if strings.Join(a1, ",") != strings.Join(a2, ",") {
		t.Fatal("the same seed gave different sequences")
	}
	if strings.Join(a1, ",") == strings.Join(other, ",") {
		t.Fatal("different seeds gave the same sequence")
	}
	seen := map[string]bool{}
	for _, n := range a1 {
		seen[strings.SplitN(n, "/", 2)[0]] = true
		seen[n] = true
	}
	for _, want := range append(Families(), "token/forged-alg-none-none", "token/forged-access-token-as-refresh-token",
		"header/authorization-swapped", "form/double-encoded-token", "method/get-with-query") {
		if !seen[want] {
			t.Errorf("3000 mutations never produced %q", want)
		}
	}
}

// isValid reports whether r is exactly the base's valid request.
func isValid(r client.Request, b Base) bool {
	if (r.Method != "" && r.Method != http.MethodPost) || r.RawBody != nil || len(r.Query) > 0 || r.ContentType != "" || r.NoContentType {
		return false
	}
	if r.Auth.Mode != client.AuthBasic || r.Auth.ClientID != b.ClientID || r.Auth.ClientSecret != b.ClientSecret {
		return false
	}
	return len(r.Form) == 2 && r.Form[0] == client.Field{Name: "grant_type", Value: "refresh_token"} &&
		r.Form[1] == client.Field{Name: "refresh_token", Value: b.RefreshToken}
}

func TestByteEditsNeverKeepTheToken(t *testing.T) {
	tok := testToken(t)
	g, err := New(Base{ClientID: "c", Public: true, RefreshToken: tok, NotJWT: true}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.tokens) != 0 {
		t.Fatalf("NotJWT generator built %d forge tokens", len(g.tokens))
	}
	for range 5000 {
		q, name := g.byteEdit(g.rng)
		got := q.Form[1].Value
		if got == tok {
			t.Fatalf("edit %s kept the token", name)
		}
		// A substitution in the signature's last character could decode
		// to the same bytes: never allowed.
		if len(got) == len(tok) && got[:len(tok)-1] == tok[:len(tok)-1] {
			t.Fatalf("edit %s changed only the last character", name)
		}
	}
}

func TestNewErrors(t *testing.T) {
	for _, b := range []Base{
		{RefreshToken: "x.y.z", ClientSecret: "s"},
		{ClientID: "c", ClientSecret: "s"},
		{ClientID: "c", RefreshToken: "a.b.c"},
		{ClientID: "c", ClientSecret: "s", RefreshToken: "opaque"},
	} {
		if _, err := New(b, 1); err == nil {
			t.Errorf("New(%+v) succeeded", b)
		}
	}
}

// TestMayAccept: exactly the mutations RFC 6749 lets a server accept are
// marked, with the reason.
func TestMayAccept(t *testing.T) {
	for name, want := range map[string]bool{
		"form/secret-in-query": true, "form/token-in-query-also": true, "form/token-in-query-moved": false,
		"form/duplicate-grant_type": false, "token/alg-none-none": false,
	} {
		if got := mayAccept(name) != ""; got != want {
			t.Errorf("mayAccept(%s) = %v, want %v", name, got, want)
		}
	}
}

func TestCheck(t *testing.T) {
	type answer struct {
		status int
		ctype  string
		wwwa   string
		body   string
	}
	var cur answer
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if cur.ctype != "" {
			w.Header().Set("Content-Type", cur.ctype)
		}
		if cur.wwwa != "" {
			w.Header().Set("WWW-Authenticate", cur.wwwa)
		}
		w.WriteHeader(cur.status)
		_, _ = w.Write([]byte(cur.body))
	}))
	defer srv.Close()
	c, err := client.New(client.Config{TokenURL: srv.URL, RequestTimeout: 5 * time.Second, MaxRetries429: -1})
	if err != nil {
		t.Fatal(err)
	}
	basic := Mutation{Family: FamilyToken, Name: "token/x", Request: client.Request{
		Form: []client.Field{{Name: "grant_type", Value: "refresh_token"}}, Auth: client.Auth{Mode: client.AuthBasic, ClientID: "c", ClientSecret: "s"}}}
	body := basic
	body.Request.Auth.Mode = client.AuthBody
	inQuery := basic
	inQuery.Name, inQuery.MayAccept = "form/secret-in-query", acceptSecretInQuery
	inQuery.Request.Auth.ClientSecret = "s3cr3t-value"
	const js = "application/json"
	for _, c2 := range []struct {
		name string
		m    Mutation
		a    answer
		want string
	}{
		{"400 invalid_grant", basic, answer{400, js, "", `{"error":"invalid_grant"}`}, OutcomeOK},
		{"400 with description", basic, answer{400, js + "; charset=utf-8", "", `{"error":"invalid_request","error_description":"bad"}`}, OutcomeOK},
		{"401 invalid_client", basic, answer{401, js, `Basic realm="x"`, `{"error":"invalid_client"}`}, OutcomeOK},
		{"400 invalid_client, body auth", body, answer{400, js, "", `{"error":"invalid_client"}`}, OutcomeOK},
		{"200", basic, answer{200, js, "", `{"access_token":"x"}`}, Outcome200},
		{"500", basic, answer{500, js, "", `{"error":"server_error"}`}, Outcome5xx},
		{"503", basic, answer{503, "", "", ``}, Outcome5xx},
		{"429", basic, answer{429, js, "", `{}`}, OutcomeRateLimited},
		{"403", basic, answer{403, js, "", `{"error":"invalid_grant"}`}, OutcomeBadBody},
		{"html", basic, answer{400, "text/html", "", `<p>invalid_grant</p>`}, OutcomeBadBody},
		{"not JSON", basic, answer{400, js, "", `invalid_grant`}, OutcomeBadBody},
		{"JSON array", basic, answer{400, js, "", `["invalid_grant"]`}, OutcomeBadBody},
		{"unknown error", basic, answer{400, js, "", `{"error":"token_expired"}`}, OutcomeBadBody},
		{"error not string", basic, answer{400, js, "", `{"error":7}`}, OutcomeBadBody},
		{"illegal description", basic, answer{400, js, "", `{"error":"invalid_grant","error_description":"a\"b"}`}, OutcomeBadBody},
		{"401 no WWW-Authenticate", basic, answer{401, js, "", `{"error":"invalid_client"}`}, OutcomeBadBody},
		{"401 other error", basic, answer{401, js, `Basic`, `{"error":"invalid_grant"}`}, OutcomeBadBody},
		{"400 invalid_client to Basic", basic, answer{400, js, "", `{"error":"invalid_client"}`}, OutcomeBadBody},
		{"401 no WWW-Authenticate, body auth", body, answer{401, js, "", `{"error":"invalid_client"}`}, OutcomeWarning},
		{"acceptable mutation refused", inQuery, answer{400, js, "", `{"error":"invalid_request"}`}, OutcomeOK},
		{"acceptable mutation accepted", inQuery, answer{200, js, "", `{"access_token":"x","token_type":"bearer"}`}, OutcomeAllowed},
		{"acceptable mutation accepted, secret echoed", inQuery, answer{200, js, "", `{"access_token":"x","client_secret":"s3cr3t-value"}`}, OutcomeBadBody},
		{"acceptable mutation accepted, no token", inQuery, answer{200, js, "", `{}`}, OutcomeBadBody},
		{"acceptable mutation answered 500", inQuery, answer{500, js, "", `{"error":"server_error"}`}, Outcome5xx},
	} {
		cur = c2.a
		ex := c.Do(context.Background(), c2.m.Request)
		got, reason := Check(c2.m, ex, c.Redactor())
		if got != c2.want {
			t.Errorf("%s: outcome %q (%s), want %q", c2.name, got, reason, c2.want)
		}
		if (got == OutcomeOK) != (reason == "") {
			t.Errorf("%s: outcome %q with reason %q", c2.name, got, reason)
		}
	}
	srv.Close()
	ex := c.Do(context.Background(), basic.Request)
	if got, _ := Check(basic, ex, nil); got != OutcomeTransportError {
		t.Errorf("closed server: outcome %q, want transport error", got)
	}
	if !Violation(Outcome200) || Violation(OutcomeOK) || Violation(OutcomeRateLimited) || Violation(OutcomeWarning) || Violation(OutcomeAllowed) {
		t.Error("Violation misclassifies")
	}
}
