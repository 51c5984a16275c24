package client

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
)

func jsonString(v string) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func h6(v string) string {
	s := sha256.Sum256([]byte(v))
	return hex.EncodeToString(s[:3])
}

func TestRedactorForms(t *testing.T) {
	const secret = "s3cr3t/value+with&odd=chars<>"
	const jws = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiIzOzciLCJqdGkiOiJUU1QuciJ9.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU"
	segs := strings.Split(jws, ".")
	r := NewRedactor()
	r.Add("primary.client_secret", secret)
	r.Add("primary.refresh_token", jws)
	r.Add("tiny", "abc") // too short: ignored
	r.Add("", "")        // ignored
	sm := "<primary.client_secret#" + h6(secret) + ">"
	jm := "<primary.refresh_token#" + h6(jws) + ">"
	basic := base64.StdEncoding.EncodeToString([]byte("my-client-id:" + secret))
	tests := []struct {
		name     string
		in       string
		want     string // exact output, when set
		contains string // substring the output must hold
		absent   []string
	}{
		{name: "raw", in: "x " + secret + " y", want: "x " + sm + " y"},
		{name: "query escaped", in: "a=" + url.QueryEscape(secret), want: "a=" + sm},
		{name: "path escaped", in: "/p/" + url.PathEscape(secret), want: "/p/" + sm},
		{name: "base64 std", in: base64.StdEncoding.EncodeToString([]byte(secret)), want: sm},
		{name: "base64 raw url", in: base64.RawURLEncoding.EncodeToString([]byte(secret)), want: sm},
		{name: "json escaped", in: `{"v":` + jsonString(secret) + `}`, want: `{"v":"` + sm + `"}`},
		{name: "json escaped slash", in: `{"v":"` + strings.ReplaceAll(secret, "/", `\/`) + `"}`, contains: sm},
		{name: "inside a Basic credential", in: "echo " + basic, contains: "<primary.client_secret#",
			absent: []string{basic, base64.RawStdEncoding.EncodeToString([]byte(secret))[2:12]}},
		{name: "registered JWS", in: "t=" + jws, want: "t=" + jm},
		{name: "JWS segment alone", in: "sig " + segs[2], want: "sig " + jm},
		{name: "unregistered JWS", in: "x eyJhbGciOiJub25lIn0.eyJhIjoxfQ. y", want: "x <jwt#" + h6("eyJhbGciOiJub25lIn0.eyJhIjoxfQ.") + "> y"},
		{name: "form field", in: "grant_type=refresh_token&refresh_token=opaque%2Bvalue&scope=a", want: "grant_type=refresh_token&refresh_token=<refresh_token#" + h6("opaque+value") + ">&scope=a"},
		{name: "query field", in: "/t?code=abc123&state=s", want: "/t?code=<code#" + h6("abc123") + ">&state=s"},
		{name: "password field case-insensitive", in: "PASSWORD=hunter22", want: "PASSWORD=<password#" + h6("hunter22") + ">"},
		{name: "json field", in: `{"access_token": "opaque-at", "token_type":"bearer"}`, want: `{"access_token": "<access_token#` + h6("opaque-at") + `>", "token_type":"bearer"}`},
		{name: "json field with escapes", in: `{"client_secret":"a\"b"}`, want: `{"client_secret":"<client_secret#` + h6(`a"b`) + `>"}`},
		{name: "json inside a json string", in: `{"echo":"{\"code\":\"authcode-xyz\"}"}`, want: `{"echo":"{\"code\":\"<code#` + h6("authcode-xyz") + `>\"}"}`},
		{name: "authorization in text keeps scheme", in: "Authorization: Bearer opaqueXYZ", want: "Authorization: Bearer <authorization#" + h6("opaqueXYZ") + ">"},
		{name: "non-sensitive names untouched", in: "grant_type=refresh_token&scope=openid&tokens=3&state=x", want: "grant_type=refresh_token&scope=openid&tokens=3&state=x"},
		{name: "user agent untouched", in: "refreshconf/0.1 (+rc-0a1b2c3d-000017)", want: "refreshconf/0.1 (+rc-0a1b2c3d-000017)"},
		{name: "short value ignored", in: "abc", want: "abc"},
		{name: "empty", in: "", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := r.Redact(tt.in)
			if tt.want != "" || tt.in == "" {
				if got != tt.want {
					t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
				}
			}
			if tt.contains != "" && !strings.Contains(got, tt.contains) {
				t.Errorf("Redact(%q) = %q, want it to contain %q", tt.in, got, tt.contains)
			}
			for _, a := range append(tt.absent, secret, jws) {
				if strings.Contains(got, a) {
					t.Errorf("Redact(%q) = %q still contains %q", tt.in, got, a)
				}
			}
		})
	}
}

func TestRedactorMultilineAndLabels(t *testing.T) {
	pemKey := "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\nabcdefghijklmnopqrstuvwxyz012345\n-----END PRIVATE KEY-----\n"
	r := NewRedactor()
	r.Add("signing key (pem)", pemKey)
	out := r.Redact("line: abcdefghijklmnopqrstuvwxyz012345 end")
	if strings.Contains(out, "abcdefghijklmnopqrstuvwxyz012345") {
		t.Errorf("a line of a multi-line secret survived: %q", out)
	}
	if !strings.Contains(out, "<signing_key__pem_#"+h6(pemKey)+">") {
		t.Errorf("label not cleaned or hash wrong: %q", out)
	}
}

func TestRedactHeader(t *testing.T) {
	r := NewRedactor()
	r.Add("k", "header-secret-1")
	h := http.Header{
		"Authorization": {"Basic dXNlcjpwYXNz"},
		"Set-Cookie":    {"sid=abcdef; Path=/"},
		"X-Echo":        {"got header-secret-1"},
		"Content-Type":  {"application/json"},
	}
	got := r.RedactHeader(h)
	if got.Get("Authorization") != "Basic <authorization#"+h6("dXNlcjpwYXNz")+">" {
		t.Errorf("Authorization = %q", got.Get("Authorization"))
	}
	if strings.Contains(got.Get("Set-Cookie"), "abcdef") || strings.Contains(got.Get("X-Echo"), "header-secret-1") {
		t.Errorf("secret header survived: %v", got)
	}
	if got.Get("Content-Type") != "application/json" {
		t.Errorf("Content-Type changed: %q", got.Get("Content-Type"))
	}
	if h.Get("Authorization") != "Basic dXNlcjpwYXNz" {
		t.Error("RedactHeader modified its input")
	}
}

func TestRedactorConcurrent(t *testing.T) {
	r := NewRedactor()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for j := range 50 {
				r.Add("s", strings.Repeat(string(rune('a'+i)), 5)+string(rune('A'+j%26))+"-secret")
			}
		}()
		go func() {
			defer wg.Done()
			for range 50 {
				_ = r.Redact("aaaaaB-secret and text")
			}
		}()
	}
	wg.Wait()
	if got := r.Redact("x aaaaaB-secret"); strings.Contains(got, "aaaaaB-secret") {
		t.Errorf("Redact after concurrent Add = %q", got)
	}
}

func TestRedactCollapsesPartlyRedactedTokens(t *testing.T) {
	h := "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiSldUIn0"
	p := "eyJzdWIiOiIzOzciLCJhdWQiOlsiYXBwO1RTVERSVjEiLCJjaWQiXSwic2NvcGUiOlsicmVzdGxldHMiXX0"
	sig := "x7zc4J9RJQ5M2OVCveG8P3qe80pMBYvfNW-GbNlA-PX-xKCJLhf2Dfi6Jih8XVTJqo8oV"
	flipped := "y7zc4J9RJQ5M2OVCveG8P3qe80pMBYvfNW-GbNlA-PX-xKCJLhf2Dfi6Jih8XVTJqo8oV"
	r := NewRedactor()
	r.Add("primary.refresh_token", h+"."+p+"."+sig)
	for _, in := range []string{
		"refresh_token=" + h + "." + p + "." + flipped,              // tampered signature
		"token " + "AAAAAAAAAAAAAAAAAAAA" + "." + p + "." + flipped, // changed header and signature
		"token " + h + "." + p,                                      // two segments
	} {
		out := r.Redact(in)
		for _, leak := range []string{flipped[:16], "AAAAAAAAAAAAAAAA", p[:16]} {
			if strings.Contains(out, leak) {
				t.Errorf("Redact(%q) = %q still holds %q", in, out, leak)
			}
		}
		if !strings.Contains(out, "<jwt#") {
			t.Errorf("Redact(%q) = %q: want the whole token as one <jwt#...> mark", in, out)
		}
	}
	if got := r.Redact("grant_type=refresh_token&scope=a.b"); got != "grant_type=refresh_token&scope=a.b" {
		t.Errorf("Redact changed text without secrets: %q", got)
	}
}

// redactUnguarded is Redact's pattern pass without the cheap guards that
// skip a pattern when its required characters are absent: the guards must
// never change a result.
func redactUnguarded(s string) string {
	s = jwsPattern.ReplaceAllStringFunc(s, func(t string) string { return mark("jwt", t) })
	s = partialJWSPattern.ReplaceAllStringFunc(s, func(t string) string { return mark("jwt", t) })
	s = replaceSubmatch(s, jsonFieldPattern, 1, 3, func(v string) string {
		var u string
		if json.Unmarshal([]byte(`"`+v+`"`), &u) != nil {
			u = v
		}
		return u
	})
	s = replaceSubmatch(s, escapedJSONFieldPattern, 1, 3, func(v string) string { return v })
	s = replaceSubmatch(s, formFieldPattern, 2, 3, func(v string) string {
		if u, err := url.QueryUnescape(v); err == nil {
			return u
		}
		return v
	})
	return replaceSubmatch(s, authzPattern, -1, 2, func(v string) string { return v })
}

// guardCorpus holds inputs that exercise every pattern and its guard.
var guardCorpus = []string{
	"",
	"plain text without anything",
	"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl",
	"Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
	"abc.<jwt#0a1b2c>.def",
	"<refresh_token#123abc>.eyJ.sig",
	`{"refresh_token":"r-123","scope":"a b"}`,
	`{"Client_Secret" : "s\"x"}`,
	`{"body":"{\"refresh_token\":\"r-987\"}"}`,
	"grant_type=refresh_token&refresh_token=abc%2Fdef&client_secret=s3",
	"?code=xyz;token=t1",
	"AUTHORIZATION: Basic dXNlcjpwYXNz",
	"authorization=Bearer abcdefgh",
	`"Proxy-Authorization": "Digest abcdef"`,
	"AuThOrIzAtIoN: x",
	"authorizatio: almost",
	"a=1&b=2",
	`"quoted" but no colon`,
}

func TestRedactGuardsChangeNothing(t *testing.T) {
	for _, s := range guardCorpus {
		if got, want := NewRedactor().Redact(s), redactUnguarded(s); got != want {
			t.Errorf("Redact(%q) = %q, but without guards %q", s, got, want)
		}
	}
}

func FuzzRedactGuardsChangeNothing(f *testing.F) {
	for _, s := range guardCorpus {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := NewRedactor().Redact(s), redactUnguarded(s); got != want {
			t.Errorf("Redact(%q) = %q, but without guards %q", s, got, want)
		}
	})
}

func TestContainsFold(t *testing.T) {
	for _, c := range []struct {
		s    string
		want bool
	}{
		{"authorization", true}, {"x-AUTHORIZATION-y", true}, {"AuthoRization", true},
		{"authorizatio", false}, {"", false}, {"auth orization", false}, {"ÀUTHORIZATION", false},
	} {
		if got := containsFold(c.s, "authorization"); got != c.want {
			t.Errorf("containsFold(%q) = %v, want %v", c.s, got, c.want)
		}
	}
}
