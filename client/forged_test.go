package client

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
)

// seg encodes s as a base64url JWS segment.
func seg(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// A forged token's transcript shows its decoded header and claims, never
// the token, its signature, a registered secret inside its claims or a
// genuine token listed as forged.
func TestForgedTokensDecodedInTranscript(t *testing.T) {
	const secret = "ForgedCanarySecret-31337"
	genuine := seg(`{"alg":"RS256","kid":"k1"}`) + "." + seg(`{"jti":"genuine-jti-0001","scope":["rest"]}`) + "." + seg("genuine-signature-bytes-0123456789")
	red := NewRedactor()
	red.Add("credentials.primary.refresh_token", genuine)
	red.Add("credentials.primary.client_secret", secret)
	algNone := seg(`{"alg":"none","typ":"JWT"}`) + "." + strings.Split(genuine, ".")[1] + "."
	flipped := strings.Split(genuine, ".")[0] + "." + strings.Split(genuine, ".")[1] + "." + seg("genuine-signature-bytes-0123456788")
	leaky := seg(`{"alg":"HS256"}`) + "." + seg(`{"note":"`+secret+`"}`) + "." + seg("sig-bytes-abcdefghijklmnop")
	notJWS := "refreshconf.not-a-jws"
	unsent := seg(`{"alg":"none","unsent":true}`) + "." + seg(`{}`) + "."

	rec := newRecorder(t, nil)
	c := newTestClient(t, Config{TokenURL: rec.URL, Redactor: red})
	var out []string
	for _, tok := range []string{algNone, flipped, leaky, notJWS, genuine} {
		ex := c.Do(context.Background(), Request{
			Name:   "forged",
			Form:   []Field{{"grant_type", "refresh_token"}, {"refresh_token", tok}},
			Forged: []string{tok, unsent, genuine},
		})
		if ex.Err != nil {
			t.Fatal(ex.Err)
		}
		js, err := json.Marshal(ex)
		if err != nil {
			t.Fatal(err)
		}
		restored, err := UnmarshalExchange(js)
		if err != nil {
			t.Fatal(err)
		}
		if restored.Transcript() != ex.Transcript() {
			t.Errorf("the restored transcript differs:\n%s\n---\n%s", restored.Transcript(), ex.Transcript())
		}
		out = append(out, ex.Transcript())
	}
	for i, want := range [][]string{
		{`# forged token <jwt#`, `#   header:    {"alg":"none","typ":"JWT"}`, `#   claims:    {"jti":"genuine-jti-0001","scope":["rest"]}`, `#   signature: empty (no signature)`},
		{`#   header:    {"alg":"RS256","kid":"k1"}`, `#   signature: 34 bytes (not shown)`},
		{`#   claims:    {"note":"<credentials.primary.client_secret#` + h6(secret) + `>"}`},
		{"# forged token refreshconf.not-a-jws", "not a compact JWS: 2 dot-separated segment(s), want 3", "claims:    (9 characters, not base64url)"},
		{"is a registered secret, not a forgery: not decoded"},
	} {
		for _, w := range want {
			if !strings.Contains(out[i], w) {
				t.Errorf("transcript %d lacks %q:\n%s", i, w, out[i])
			}
		}
	}
	all := strings.Join(out, "\n")
	for _, bad := range []string{algNone, flipped, leaky, genuine, secret, `"unsent"`, strings.Split(genuine, ".")[2], strings.Split(flipped, ".")[2], seg(secret)} {
		if strings.Contains(all, bad) {
			t.Errorf("a transcript holds %q:\n%s", bad, all)
		}
	}
	if strings.Count(out[4], "header:") != 0 {
		t.Errorf("a genuine token was decoded:\n%s", out[4])
	}
}
