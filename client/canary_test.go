package client

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// canaryForms lists every encoding of v that must never appear in output.
func canaryForms(v string) []string {
	forms := []string{v, url.QueryEscape(v), url.PathEscape(v)}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		forms = append(forms, enc.EncodeToString([]byte(v)))
	}
	j, _ := json.Marshal(v)
	forms = append(forms, strings.Trim(string(j), `"`))
	return forms
}

// TestCanary sends distinctive secrets in every position and asserts that
// nothing the client prints or encodes contains any of them in any form.
func TestCanary(t *testing.T) {
	const (
		clientID     = "canary-client-id"
		clientSecret = "CanarySecret-9f8e7d6c5b4a"
		opaqueRT     = "opaque+canary/refresh=token?with&odd<chars>"
		jwsRT        = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImNhbmFyeSJ9.eyJjYW5hcnkiOiJyZWZyZXNoLXRva2VuLXBheWxvYWQifQ.Y2FuYXJ5LXNpZ25hdHVyZS1ieXRlcy0wMTIzNDU2Nzg5"
		headerKey    = "HeaderCanary-7777-key"
		bearer       = "BearerCanaryOpaque-5555"
		freshAT      = "fresh-access-token-canary-1234" // unregistered: redacted by field name, then registered
		unregCode    = "authcode-canary-4242"           // unregistered: redacted by field name
	)
	registered := []string{clientSecret, opaqueRT, jwsRT, headerKey, bearer}
	forgedRT := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`)) + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"secret":"`+clientSecret+`","opaque":"`+opaqueRT+`"}`)) + "."
	red := NewRedactor()
	red.Add("canary.client_secret", clientSecret)
	red.Add("canary.refresh_token", opaqueRT)
	red.Add("canary.jws", jwsRT)
	red.Add("canary.header", headerKey)
	red.Add("canary.bearer", bearer)

	// The server echoes everything it received, in the body and in headers,
	// and adds encoded forms and fresh tokens.
	echo := func(w http.ResponseWriter, r *http.Request, body []byte) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Echo-Auth", r.Header.Get("Authorization"))
		w.Header().Set("X-Echo-Key", r.Header.Get("X-Api-Key"))
		w.Header().Set("Set-Cookie", "session="+clientSecret)
		_ = json.NewEncoder(w).Encode(map[string]any{
			"echo_auth":    r.Header.Values("Authorization"),
			"echo_body":    string(body),
			"echo_query":   r.URL.RawQuery,
			"echo_key":     r.Header.Get("X-Api-Key"),
			"secret_b64":   base64.StdEncoding.EncodeToString([]byte(clientSecret)),
			"rt_b64url":    base64.RawURLEncoding.EncodeToString([]byte(opaqueRT)),
			"rt_escaped":   url.QueryEscape(opaqueRT),
			"jws":          jwsRT,
			"access_token": freshAT,
			"code":         unregCode,
			"message":      "your secret is " + clientSecret + " and token " + opaqueRT,
		})
	}
	rec := newRecorder(t, echo)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadURL := "http://" + ln.Addr().String() + "/token"
	_ = ln.Close()

	requests := []struct {
		name string
		url  string
		req  Request
	}{
		{"basic+body", rec.URL + "/token", Request{
			Form:  []Field{{"grant_type", "refresh_token"}, {"refresh_token", opaqueRT}, {"refresh_token", jwsRT}, {"note", clientSecret}, {"forged", forgedRT}},
			Query: []Field{{"q", opaqueRT}, {"client_secret", clientSecret}, {"x", jwsRT}},
			Auth:  Auth{Mode: AuthBoth, ClientID: clientID, ClientSecret: clientSecret},
			Header: http.Header{"X-Api-Key": {headerKey}, "X-Other": {base64.StdEncoding.EncodeToString([]byte(headerKey))},
				"Authorization": {"Bearer " + bearer}},
			// A genuine token listed as forged is not decoded; a forged
			// one whose claims hold a secret is decoded, the secret marked.
			Forged: []string{jwsRT, forgedRT},
		}},
		{"raw header and JSON body", rec.URL + "/token", Request{
			RawBody:     []byte(`{"refresh_token":"` + opaqueRT + `","client_secret":"` + clientSecret + `","code":"` + unregCode + `"}`),
			ContentType: "application/json",
			Auth:        Auth{Mode: AuthHeader, Header: "Bearer " + bearer},
		}},
		{"transport error", deadURL, Request{
			Query: []Field{{"refresh_token", opaqueRT}, {"note", clientSecret}, {"jws", jwsRT}},
			Auth:  Auth{Mode: AuthBasic, ClientID: clientID, ClientSecret: clientSecret},
		}},
	}
	forbidden := []string{freshAT, unregCode,
		base64.StdEncoding.EncodeToString([]byte(clientID + ":" + clientSecret)),
		base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(clientID) + ":" + url.QueryEscape(clientSecret)))}
	for _, v := range registered {
		forbidden = append(forbidden, canaryForms(v)...)
	}
	for _, v := range []string{freshAT, unregCode} {
		forbidden = append(forbidden, canaryForms(v)...)
	}

	for _, tt := range requests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestClient(t, Config{TokenURL: tt.url, Redactor: red})
			tt.req.URL = tt.url
			tt.req.Name = "canary " + tt.name + " " + clientSecret // even the name
			ex := c.Do(context.Background(), tt.req)
			if tt.name == "transport error" {
				if ex.Err == nil {
					t.Fatal("want a transport error")
				}
			} else if ex.Err != nil || ex.Status != 200 {
				t.Fatalf("status %d err %v", ex.Status, ex.Err)
			}
			// The live body does hold the secrets (that is why it is never printed).
			if tt.name == "basic+body" && !strings.Contains(string(ex.Body()), clientSecret) {
				t.Error("the raw body does not hold the echoed secret: the canary did not reach the output")
			}
			js, err := json.Marshal(ex)
			if err != nil {
				t.Fatal(err)
			}
			restored, err := UnmarshalExchange(js)
			if err != nil {
				t.Fatal(err)
			}
			outputs := map[string]string{
				"Transcript":           ex.Transcript(),
				"Summary":              ex.Summary(),
				"MarshalJSON":          string(js),
				"%v":                   fmt.Sprintf("%v", ex),
				"%+v":                  fmt.Sprintf("%+v", ex),
				"%#v":                  fmt.Sprintf("%#v", ex),
				"%s":                   fmt.Sprintf("%s", ex),
				"%v of the value":      fmt.Sprintf("%v", *ex),
				"%+v of the value":     fmt.Sprintf("%+v", *ex),
				"URL":                  ex.URL,
				"Header":               fmt.Sprint(ex.Header),
				"restored Transcript":  restored.Transcript(),
				"restored Body":        string(restored.Body()),
				"restored %+v":         fmt.Sprintf("%+v", *restored),
				"restored Field(code)": restored.Field("code"),
			}
			if ex.Err != nil {
				outputs["Err"] = ex.Err.Error()
				outputs["Err %+v"] = fmt.Sprintf("%+v", ex.Err)
			}
			for where, out := range outputs {
				for _, f := range forbidden {
					if len(f) >= minSecretLen && strings.Contains(out, f) {
						t.Errorf("%s contains the canary form %q:\n%s", where, f, out)
					}
				}
			}
			if tt.name == "basic+body" && !strings.Contains(ex.Transcript(), `#   header:    {"alg":"none"}`) {
				t.Errorf("the forged token is not decoded in the transcript:\n%s", ex.Transcript())
			}
			// The marks are there and comparable.
			if !strings.Contains(ex.Transcript(), "#"+h6(clientSecret)+">") {
				t.Errorf("the transcript has no mark for the client secret:\n%s", ex.Transcript())
			}
		})
	}
	// The fresh access token the server issued is now registered, so it is
	// redacted wherever it shows up later (for example in an audit row).
	if got := red.Redact("row " + freshAT); strings.Contains(got, freshAT) {
		t.Errorf("the issued token was not registered: %q", got)
	}
}
