package framework

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/refreshconf/refreshconf/client"
	"github.com/refreshconf/refreshconf/client/audit"
	"github.com/refreshconf/refreshconf/fixtures/codes"
	"github.com/refreshconf/refreshconf/suites/catalogue"
)

// scripted answers every request with the given status, headers and body.
func scripted(t *testing.T, status int, headers map[string]string, body string) *client.Exchange {
	t.Helper()
	return scriptedAuth(t, false, status, headers, body)
}

// scriptedAuth is scripted, the request authenticated with HTTP Basic when
// basic is set.
func scriptedAuth(t *testing.T, basic bool, status int, headers map[string]string, body string) *client.Exchange {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		for k, v := range headers {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	defer srv.Close()
	c, err := client.New(client.Config{TokenURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	req := client.Request{Form: []client.Field{{Name: "grant_type", Value: "refresh_token"}}}
	if basic {
		req.Auth = client.Auth{Mode: client.AuthBasic, ClientID: "c", ClientSecret: "s"}
	}
	return c.Do(context.Background(), req)
}

var (
	jsonNoStore = map[string]string{"Content-Type": "application/json", "Cache-Control": "no-store", "Pragma": "no-cache"}
	grantFail   = catalogue.Fail(codes.InvalidSignature, codes.ErrInvalidGrant)
	clientFail  = catalogue.Fail(codes.ClientAuthenticationFailed, codes.ErrInvalidClient)
)

func with(h map[string]string, k, v string) map[string]string {
	out := map[string]string{}
	for a, b := range h {
		out[a] = b
	}
	if v == "" {
		delete(out, k)
	} else {
		out[k] = v
	}
	return out
}

func TestBeOAuthResponse(t *testing.T) {
	const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIzOzcifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
	www := with(jsonNoStore, "WWW-Authenticate", `Basic realm="x"`)
	either := catalogue.Expect{Code: codes.InvalidRequest, Errors: []string{codes.ErrInvalidRequest, codes.ErrInvalidClient}, Prefer: []string{codes.ErrInvalidRequest}}
	cases := []struct {
		name    string
		basic   bool // the request authenticated with HTTP Basic
		status  int
		headers map[string]string
		body    string
		want    catalogue.Expect
		ok      bool
		problem string // in the failure message (MUST) ...
		warn    string // ... or in a warning (SHOULD), "" for none
	}{
		{"good error", false, 400, jsonNoStore, `{"error":"invalid_grant"}`, grantFail, true, "", ""},
		{"good success", false, 200, jsonNoStore, `{"access_token":"abc","token_type":"bearer","expires_in":3600}`, catalogue.Succeed(), true, "", ""},
		{"accepted when it must fail", false, 200, jsonNoStore, `{"access_token":"abc","token_type":"bearer"}`, grantFail, false, "the request was accepted), want an error (RFC 6749 §5.2)", ""},
		{"failed when it must succeed", false, 400, jsonNoStore, `{"error":"invalid_grant"}`, catalogue.Succeed(), false, "want 200 (RFC 6749 §5.1)", ""},
		{"wrong error value", false, 400, jsonNoStore, `{"error":"invalid_request"}`, grantFail, false, `error is "invalid_request"`, ""},
		{"wrong status", false, 403, jsonNoStore, `{"error":"invalid_grant"}`, grantFail, false, "HTTP status is 403", ""},
		{"invalid_client as 400 after Basic", true, 400, jsonNoStore, `{"error":"invalid_client"}`, clientFail, false, "want 401", ""},
		{"invalid_client as 400 without Authorization", false, 400, jsonNoStore, `{"error":"invalid_client"}`, clientFail, true, "", ""},
		{"invalid_client without WWW-Authenticate after Basic", true, 401, jsonNoStore, `{"error":"invalid_client"}`, clientFail, false, "WWW-Authenticate", ""},
		{"401 without WWW-Authenticate, no Authorization sent", false, 401, jsonNoStore, `{"error":"invalid_client"}`, clientFail, true, "", "without a WWW-Authenticate header"},
		{"invalid_client done right", true, 401, www, `{"error":"invalid_client"}`, clientFail, true, "", ""},
		{"no Cache-Control on an error", false, 400, with(jsonNoStore, "Cache-Control", ""), `{"error":"invalid_grant"}`, grantFail, true, "", "no-store"},
		{"no Cache-Control on a token response", false, 200, with(jsonNoStore, "Cache-Control", ""), `{"access_token":"abc","token_type":"bearer"}`, catalogue.Succeed(), false, "want no-store (RFC 6749 §5.1)", ""},
		{"no Pragma on success", false, 200, with(jsonNoStore, "Pragma", ""), `{"access_token":"abc","token_type":"bearer"}`, catalogue.Succeed(), false, "Pragma", ""},
		{"the less precise of two allowed errors", false, 400, jsonNoStore, `{"error":"invalid_client"}`, either, true, "", `"invalid_request" names the situation precisely`},
		{"the precise error", false, 400, jsonNoStore, `{"error":"invalid_request"}`, either, true, "", ""},
		{"HTML error", false, 400, with(jsonNoStore, "Content-Type", "text/html"), `<html>bad</html>`, grantFail, false, "Content-Type", ""},
		{"token echoed", false, 400, jsonNoStore, `{"error":"invalid_grant","refresh_token":"` + jwt + `"}`, grantFail, false, "contains a token", ""},
		{"illegal error characters", false, 400, jsonNoStore, `{"error":"invalid\"grant"}`, catalogue.Fail(codes.InvalidSignature, "invalid\"grant"), false, "characters outside", ""},
		{"token_type wrong", false, 200, jsonNoStore, `{"access_token":"abc","token_type":"mac"}`, catalogue.Succeed(), false, "token_type", ""},
		{"any-of accepts either", false, 400, jsonNoStore, `{"error":"invalid_grant"}`, catalogue.Expect{AnyOf: []catalogue.Expect{catalogue.Succeed(), catalogue.Fail(codes.TokenReused, codes.ErrInvalidGrant)}}, true, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ex := scriptedAuth(t, c.basic, c.status, c.headers, c.body)
			m := BeOAuthResponse(c.want)
			ok, err := m.Match(ex)
			if err != nil {
				t.Fatal(err)
			}
			if ok != c.ok {
				t.Fatalf("match = %v, want %v; message:\n%s", ok, c.ok, m.FailureMessage(ex))
			}
			warns := ResponseWarnings(ex, c.want, "refresh")
			switch {
			case c.warn == "" && len(warns) > 0:
				t.Errorf("unexpected warnings %+v", warns)
			case c.warn != "" && (len(warns) != 1 || !strings.Contains(warns[0].Message, c.warn) || warns[0].Clause == "" || warns[0].Step != "refresh"):
				t.Errorf("warnings %+v, want one naming %q with its clause", warns, c.warn)
			}
			if !ok {
				msg := m.FailureMessage(ex)
				if !strings.Contains(msg, c.problem) {
					t.Errorf("failure message lacks %q:\n%s", c.problem, msg)
				}
				if !strings.Contains(msg, "(RFC ") && !strings.Contains(msg, "(refreshconf") {
					t.Errorf("failure message names no clause:\n%s", msg)
				}
				if !strings.Contains(msg, "Redacted exchange:") || !strings.Contains(msg, ex.Marker) {
					t.Errorf("failure message lacks the redacted exchange:\n%s", msg)
				}
				if strings.Contains(msg, jwt) {
					t.Errorf("failure message leaks the token:\n%s", msg)
				}
			}
		})
	}
	if _, err := BeOAuthResponse(grantFail).Match("not an exchange"); err == nil {
		t.Error("BeOAuthResponse accepted a string")
	}
}

func TestHaveAuditRow(t *testing.T) {
	const secret = "canary-secret-value-0123456789"
	red := client.NewRedactor()
	red.Add("primary.client_secret", secret)
	ex := scripted(t, 400, jsonNoStore, `{"error":"invalid_grant"}`)
	row := audit.Entry{Detail: "InvalidSignature", Status: "Failure", Application: "app", IPAddress: "127.0.0.1", RequestURI: "/A/token", UserAgent: "ua " + ex.Marker}
	good := grantFail
	good.Row = &catalogue.RowExpect{Application: "app", RequestPath: "/A/token", IPAddress: true}
	mod := func(f func(*audit.Entry)) []audit.Entry { r := row; f(&r); return []audit.Entry{r} }
	cases := []struct {
		name    string
		rows    []audit.Entry
		want    catalogue.Expect
		ok      bool
		problem string
	}{
		{"exact", []audit.Entry{row}, good, true, ""},
		{"no row", nil, good, false, "found 0 audit rows"},
		{"duplicate", []audit.Entry{row, row}, good, false, "found 2 audit rows"},
		{"wrong code", mod(func(e *audit.Entry) { e.Detail = "MissingKey" }), good, false, "Detail is MissingKey, want InvalidSignature"},
		{"success row for a failure", mod(func(e *audit.Entry) { e.Status = "Success" }), good, false, `Status is "Success"`},
		{"empty detail for failure", mod(func(e *audit.Entry) { e.Detail = "" }), good, false, "(empty: Success)"},
		{"secret in a column", mod(func(e *audit.Entry) { e.RequestURI = "/A/token?client_secret=" + secret }), grantFail, false, "holds a secret"},
		{"wrong application", mod(func(e *audit.Entry) { e.Application = "other" }), good, false, "Application Name"},
		{"bad IP", mod(func(e *audit.Entry) { e.IPAddress = "" }), good, false, "IP Address"},
		{"wrong request path", mod(func(e *audit.Entry) { e.RequestURI = "/B/token" }), good, false, "Request URI"},
		{"success", []audit.Entry{{Detail: "", Status: "Success"}}, catalogue.Succeed(), true, ""},
		{"any-of second", mod(func(e *audit.Entry) { e.Detail = "TokenReused" }), catalogue.Expect{AnyOf: []catalogue.Expect{catalogue.Succeed(), catalogue.Fail(codes.TokenReused)}}, true, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := HaveAuditRow(c.want, red, ex)
			ok, err := m.Match(c.rows)
			if err != nil {
				t.Fatal(err)
			}
			if ok != c.ok {
				t.Fatalf("match = %v, want %v; message:\n%s", ok, c.ok, m.FailureMessage(c.rows))
			}
			if !ok {
				msg := m.FailureMessage(c.rows)
				if !strings.Contains(msg, c.problem) {
					t.Errorf("failure message lacks %q:\n%s", c.problem, msg)
				}
				if strings.Contains(msg, secret) {
					t.Errorf("failure message leaks the secret:\n%s", msg)
				}
			}
		})
	}
}
