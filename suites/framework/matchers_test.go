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
	return c.Do(context.Background(), client.Request{Form: []client.Field{{Name: "grant_type", Value: "refresh_token"}}})
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
	cases := []struct {
		name    string
		status  int
		headers map[string]string
		body    string
		want    catalogue.Expect
		ok      bool
		problem string
	}{
		{"good error", 400, jsonNoStore, `{"error":"invalid_grant"}`, grantFail, true, ""},
		{"good success", 200, jsonNoStore, `{"access_token":"abc","token_type":"bearer","expires_in":3600}`, catalogue.Succeed(), true, ""},
		{"accepted when it must fail", 200, jsonNoStore, `{"access_token":"abc","token_type":"bearer"}`, grantFail, false, "the request was accepted"},
		{"failed when it must succeed", 400, jsonNoStore, `{"error":"invalid_grant"}`, catalogue.Succeed(), false, "want 200"},
		{"wrong error value", 400, jsonNoStore, `{"error":"invalid_request"}`, grantFail, false, `error is "invalid_request"`},
		{"wrong status", 403, jsonNoStore, `{"error":"invalid_grant"}`, grantFail, false, "HTTP status is 403"},
		{"invalid_client as 400", 400, jsonNoStore, `{"error":"invalid_client"}`, clientFail, false, "want 401"},
		{"invalid_client without WWW-Authenticate", 401, jsonNoStore, `{"error":"invalid_client"}`, clientFail, false, "WWW-Authenticate"},
		{"invalid_client done right", 401, with(jsonNoStore, "WWW-Authenticate", `Basic realm="x"`), `{"error":"invalid_client"}`, clientFail, true, ""},
		{"no Cache-Control", 400, with(jsonNoStore, "Cache-Control", ""), `{"error":"invalid_grant"}`, grantFail, false, "no-store"},
		{"no Pragma on success", 200, with(jsonNoStore, "Pragma", ""), `{"access_token":"abc","token_type":"bearer"}`, catalogue.Succeed(), false, "Pragma"},
		{"HTML error", 400, with(jsonNoStore, "Content-Type", "text/html"), `<html>bad</html>`, grantFail, false, "Content-Type"},
		{"token echoed", 400, jsonNoStore, `{"error":"invalid_grant","refresh_token":"` + jwt + `"}`, grantFail, false, "contains a token"},
		{"illegal error characters", 400, jsonNoStore, `{"error":"invalid\"grant"}`, catalogue.Fail(codes.InvalidSignature, "invalid\"grant"), false, "characters outside"},
		{"token_type wrong", 200, jsonNoStore, `{"access_token":"abc","token_type":"mac"}`, catalogue.Succeed(), false, "token_type"},
		{"any-of accepts either", 400, jsonNoStore, `{"error":"invalid_grant"}`, catalogue.Expect{AnyOf: []catalogue.Expect{catalogue.Succeed(), catalogue.Fail(codes.TokenReused, codes.ErrInvalidGrant)}}, true, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ex := scripted(t, c.status, c.headers, c.body)
			m := BeOAuthResponse(c.want)
			ok, err := m.Match(ex)
			if err != nil {
				t.Fatal(err)
			}
			if ok != c.ok {
				t.Fatalf("match = %v, want %v; message:\n%s", ok, c.ok, m.FailureMessage(ex))
			}
			if !ok {
				msg := m.FailureMessage(ex)
				if !strings.Contains(msg, c.problem) {
					t.Errorf("failure message lacks %q:\n%s", c.problem, msg)
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
