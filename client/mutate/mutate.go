// Package mutate is the mutation engine of `refreshconf fuzz`: from one
// valid refresh request (a client's credentials and refresh token) it
// derives an endless, seeded stream of requests that must all fail —
// mutated form fields (names, values, duplicates, encodings), headers
// (content type, Authorization variants), methods and tokens (the forge's
// attacks plus byte-level edits of the refresh token) — and it judges each
// answer against RFC 6749 §5.2 (Check).
//
// Every mutation is chosen so that no conformant server can answer it with
// success: mutations a server may legitimately accept (a charset parameter,
// a differently-cased media type or Basic scheme, percent-encoding of
// unreserved characters, unknown extra parameters, a public client that
// omits client_id, ...) are never generated, and a mutated token is never
// equal to the original. The two that RFC 6749 lets a server accept (a
// client_secret, or a copy of the refresh token, in the query of an
// otherwise valid request: the RFC binds the client there) carry
// Mutation.MayAccept and are judged only by what must still hold. Any other
// 2xx answer is a finding.
package mutate

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/refreshconf/refreshconf/client"
	"github.com/refreshconf/refreshconf/fixtures/forge"
)

// Base is the valid refresh request the mutations start from.
type Base struct {
	// TokenURL is the token endpoint (empty: the client's default).
	TokenURL string
	// ClientID and ClientSecret authenticate the client (HTTP Basic for a
	// confidential client, body client_id for a public one).
	ClientID, ClientSecret string
	// Public marks a public client (no secret).
	Public bool
	// RefreshToken is the client's valid refresh token. It is never sent
	// unmodified with otherwise valid parameters.
	RefreshToken string
	// AccessToken, when set, is sent as a refresh token (a token mutation).
	AccessToken string
	// NotJWT says the refresh token is opaque: the forge's JWS attacks are
	// not generated, only byte-level edits.
	NotJWT bool
	// BroaderScopeIgnored says the target may ignore a scope broader than
	// the grant (profile stance broader_scope: ignore): no scope mutation.
	BroaderScopeIgnored bool
}

// Families of mutations.
const (
	FamilyForm   = "form"
	FamilyHeader = "header"
	FamilyMethod = "method"
	FamilyToken  = "token"
)

// Families returns the mutation families in report order.
func Families() []string { return []string{FamilyForm, FamilyHeader, FamilyMethod, FamilyToken} }

// Mutation is one mutated request.
type Mutation struct {
	// Family is one of the Family* constants.
	Family string
	// Name says what was mutated, e.g. "form/duplicate-grant_type" or
	// "token/alg-none-None". It never contains a secret.
	Name string
	// Request is the request to send (it holds secrets: never print it).
	Request client.Request
	// MayAccept, when set, says why a correct server may accept this
	// mutation (RFC 6749 binds the client there, not the server): a 2xx
	// answer is then judged only by what must still hold (a token
	// response, no secret echoed, one audit row).
	MayAccept string
}

// namedToken is a prebuilt mutated token.
type namedToken struct{ name, tok string }

// Generator derives mutations from a Base. It is safe for concurrent use;
// for one seed the sequence of mutations returned by Next is always the
// same.
type Generator struct {
	base   Base
	tokens []namedToken
	ops    map[string][]op

	mu  sync.Mutex
	rng *rand.Rand
}

// op builds one mutation from the generator's random source.
type op struct {
	name  string
	build func(g *Generator, r *rand.Rand) (client.Request, string)
}

// mayAccept says why a correct server may accept the mutation named name
// ("family/op-detail"), or "" when it must refuse it.
func mayAccept(name string) string {
	switch name {
	case FamilyForm + "/secret-in-query":
		return acceptSecretInQuery
	case FamilyForm + "/token-in-query-also":
		return acceptTokenAlsoInQuery
	}
	return ""
}

// Why a correct server may accept a mutation.
const (
	// acceptSecretInQuery: the request still authenticates with valid
	// HTTP Basic credentials; RFC 6749 §2.3.1's MUST NOT (no credentials
	// in the URI) binds the client, and a server may ignore the extra
	// query parameter.
	acceptSecretInQuery = "the request still carries valid HTTP Basic credentials; RFC 6749 §2.3.1's MUST NOT binds the client, and a server may ignore the query parameter"
	// acceptTokenAlsoInQuery: the body is a complete, valid refresh; the
	// query repeats the token, which a server may ignore.
	acceptTokenAlsoInQuery = "the body is a complete, valid refresh; a server may ignore the query component (RFC 6749 §3.2)"
)

// New returns a generator for b seeded with seed. It builds the forge's
// attacks on b.RefreshToken once (attacker keys are generated here).
func New(b Base, seed uint64) (*Generator, error) {
	if b.ClientID == "" || b.RefreshToken == "" {
		return nil, errors.New("mutate: the base request needs a client_id and a refresh token (profile credential set primary)")
	}
	if !b.Public && b.ClientSecret == "" {
		return nil, errors.New("mutate: a confidential client needs its client_secret (or mark the credential set public)")
	}
	g := &Generator{base: b, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	if !b.NotJWT {
		toks, err := forgeTokens(b.RefreshToken)
		if err != nil {
			return nil, err
		}
		g.tokens = toks
	}
	if b.AccessToken != "" && b.AccessToken != b.RefreshToken {
		g.tokens = append(g.tokens, namedToken{"access-token-as-refresh-token", b.AccessToken})
	}
	g.ops = map[string][]op{
		FamilyForm:   formOps(b),
		FamilyHeader: headerOps(b),
		FamilyMethod: methodOps(),
		FamilyToken:  tokenOps(),
	}
	return g, nil
}

// Next returns the next mutation. Families are drawn with weights form 3,
// header 2, method 1, token 4.
func (g *Generator) Next() Mutation {
	g.mu.Lock()
	defer g.mu.Unlock()
	fam := FamilyToken
	switch n := g.rng.IntN(10); {
	case n < 3:
		fam = FamilyForm
	case n < 5:
		fam = FamilyHeader
	case n < 6:
		fam = FamilyMethod
	}
	ops := g.ops[fam]
	o := ops[g.rng.IntN(len(ops))]
	req, detail := o.build(g, g.rng)
	name := fam + "/" + o.name
	if detail != "" {
		name += "-" + detail
	}
	if req.URL == "" {
		req.URL = g.base.TokenURL
	}
	req.Name = "fuzz " + name
	return Mutation{Family: fam, Name: name, Request: req, MayAccept: mayAccept(name)}
}

// valid returns the valid request with token tok.
func (g *Generator) valid(tok string) client.Request {
	return client.Request{
		Form: []client.Field{{Name: "grant_type", Value: "refresh_token"}, {Name: "refresh_token", Value: tok}},
		Auth: g.auth(),
	}
}

func (g *Generator) auth() client.Auth {
	if g.base.Public {
		return client.Auth{Mode: client.AuthBody, ClientID: g.base.ClientID}
	}
	return client.Auth{Mode: client.AuthBasic, ClientID: g.base.ClientID, ClientSecret: g.base.ClientSecret}
}

// rawForm encodes fields (in order, duplicates kept) plus the client_id
// of a public client first, for mutations that send a raw body.
func (g *Generator) rawForm(fields ...client.Field) string {
	var parts []string
	if g.base.Public {
		parts = append(parts, "client_id="+url.QueryEscape(g.base.ClientID))
	}
	for _, f := range fields {
		parts = append(parts, url.QueryEscape(f.Name)+"="+url.QueryEscape(f.Value))
	}
	return strings.Join(parts, "&")
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

const b64url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// randString returns n random printable ASCII characters.
func randString(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(' ' + r.IntN(95))
	}
	return string(b)
}

// ---- form ----

func formOps(b Base) []op {
	ops := []op{
		{"drop-grant_type", func(g *Generator, _ *rand.Rand) (client.Request, string) {
			q := g.valid(g.base.RefreshToken)
			q.Form = q.Form[1:]
			return q, ""
		}},
		{"drop-refresh_token", func(g *Generator, _ *rand.Rand) (client.Request, string) {
			q := g.valid(g.base.RefreshToken)
			q.Form = q.Form[:1]
			return q, ""
		}},
		{"empty-value", func(g *Generator, r *rand.Rand) (client.Request, string) {
			q := g.valid(g.base.RefreshToken)
			i := r.IntN(2)
			q.Form[i].Value = ""
			return q, q.Form[i].Name
		}},
		{"grant_type-value", func(g *Generator, r *rand.Rand) (client.Request, string) {
			vals := []string{"password", "client_credentials", "authorization_code", "implicit", "REFRESH_TOKEN",
				"Refresh_Token", "refresh_token ", " refresh_token", "refresh_token\x00", "refresh token", "refresh-token",
				"urn:ietf:params:oauth:grant-type:jwt-bearer", "refresh_token,refresh_token", "refresh_tokenx", "\u0280efresh_token"}
			q := g.valid(g.base.RefreshToken)
			i := r.IntN(len(vals) + 1)
			if i == len(vals) {
				q.Form[0].Value = randString(r, 1+r.IntN(40))
				return q, "random"
			}
			q.Form[0].Value = vals[i]
			return q, fmt.Sprintf("%d", i)
		}},
		{"duplicate", func(g *Generator, r *rand.Rand) (client.Request, string) {
			q := g.valid(g.base.RefreshToken)
			f := q.Form[r.IntN(2)]
			if r.IntN(2) == 0 {
				q.Form = append(q.Form, f) // same value twice
				return q, f.Name + "-same"
			}
			q.Form = append([]client.Field{{Name: f.Name, Value: "x" + f.Value}}, q.Form...)
			return q, f.Name + "-different"
		}},
		{"rename", func(g *Generator, r *rand.Rand) (client.Request, string) {
			q := g.valid(g.base.RefreshToken)
			i := r.IntN(2)
			n := q.Form[i].Name
			variants := []string{strings.ToUpper(n), strings.ReplaceAll(n, "_", "-"), strings.ReplaceAll(n, "_", ""),
				n + "[]", n + " ", " " + n, n + "\x00", "x" + n, n[:len(n)-1], strings.ToUpper(n[:1]) + n[1:]}
			j := r.IntN(len(variants))
			q.Form[i].Name = variants[j]
			return q, fmt.Sprintf("%s-%d", n, j)
		}},
		{"double-encoded-token", func(g *Generator, _ *rand.Rand) (client.Request, string) {
			// Every byte percent-encoded, then the '%' encoded again: the
			// server decodes once and sees "%41%42...", never the token.
			var sb strings.Builder
			for i := 0; i < len(g.base.RefreshToken); i++ {
				fmt.Fprintf(&sb, "%%25%02X", g.base.RefreshToken[i])
			}
			body := g.rawForm(client.Field{Name: "grant_type", Value: "refresh_token"}) + "&refresh_token=" + sb.String()
			q := client.Request{RawBody: []byte(body), Auth: g.auth()}
			if g.base.Public {
				q.Auth = client.Auth{}
			}
			return q, ""
		}},
		{"truncated-body", func(g *Generator, r *rand.Rand) (client.Request, string) {
			body := g.rawForm(client.Field{Name: "grant_type", Value: "refresh_token"}, client.Field{Name: "refresh_token", Value: g.base.RefreshToken})
			q := client.Request{RawBody: []byte(body[:r.IntN(len(body))]), Auth: g.auth()}
			if g.base.Public {
				q.Auth = client.Auth{}
			}
			return q, ""
		}},
		{"garbage-body", func(g *Generator, r *rand.Rand) (client.Request, string) {
			b := make([]byte, r.IntN(512))
			for i := range b {
				b[i] = byte(r.IntN(256))
			}
			return client.Request{RawBody: b, Auth: g.auth()}, ""
		}},
		{"json-body", func(g *Generator, _ *rand.Rand) (client.Request, string) {
			body := fmt.Sprintf(`{"grant_type":"refresh_token","refresh_token":%q}`, g.base.RefreshToken)
			return client.Request{RawBody: []byte(body), Auth: g.auth()}, ""
		}},
		{"token-in-query", func(g *Generator, r *rand.Rand) (client.Request, string) {
			q := g.valid(g.base.RefreshToken)
			if r.IntN(2) == 0 {
				q.Query = []client.Field{q.Form[1]}
				q.Form = q.Form[:1]
				return q, "moved"
			}
			q.Query = []client.Field{q.Form[1]}
			return q, "also"
		}},
		{"token-edited-in-body", func(g *Generator, r *rand.Rand) (client.Request, string) {
			edits := []struct {
				name string
				f    func(string) string
			}{
				{"nul", func(s string) string { return s + "\x00" }},
				{"fullwidth-dot", func(s string) string { return strings.Replace(s, ".", "\uff0e", 1) }},
				{"newline", func(s string) string { return s[:len(s)/2] + "\n" + s[len(s)/2:] }},
				{"prefix-bearer", func(s string) string { return "Bearer " + s }},
				{"quoted", func(s string) string { return `"` + s + `"` }},
			}
			e := pick(r, edits)
			tok := e.f(g.base.RefreshToken)
			if tok == g.base.RefreshToken {
				tok += "\x00"
			}
			return g.valid(tok), e.name
		}},
	}
	if !b.BroaderScopeIgnored {
		ops = append(ops, op{"scope-broader", func(g *Generator, r *rand.Rand) (client.Request, string) {
			q := g.valid(g.base.RefreshToken)
			q.Form = append(q.Form, client.Field{Name: "scope", Value: "refreshconf_fuzz_" + fmt.Sprint(r.Uint32())})
			return q, ""
		}})
	}
	if !b.Public {
		ops = append(ops, op{"secret-in-query", func(g *Generator, _ *rand.Rand) (client.Request, string) {
			q := g.valid(g.base.RefreshToken)
			q.Query = []client.Field{{Name: "client_secret", Value: g.base.ClientSecret}}
			return q, ""
		}})
	}
	return ops
}

// ---- header ----

func headerOps(b Base) []op {
	ops := []op{
		{"content-type", func(g *Generator, r *rand.Rand) (client.Request, string) {
			types := []string{"application/json", "text/plain", "multipart/form-data; boundary=xyz", "application/xml",
				"application/x-www-form-urlencodedx", "application/x-www-form", "text/html", "application/octet-stream", "none"}
			t := pick(r, types)
			q := g.valid(g.base.RefreshToken)
			if t == "none" {
				q.NoContentType = true
			} else {
				q.ContentType = t
			}
			return q, strings.SplitN(strings.ReplaceAll(t, "/", "-"), ";", 2)[0]
		}},
	}
	if b.Public {
		ops = append(ops,
			op{"public-client-with-secret", func(g *Generator, r *rand.Rand) (client.Request, string) {
				q := g.valid(g.base.RefreshToken)
				q.Auth = client.Auth{Mode: client.AuthBasic, ClientID: g.base.ClientID, ClientSecret: "fuzz-" + fmt.Sprint(r.Uint32())}
				return q, ""
			}},
			op{"public-client-wrong-id", func(g *Generator, r *rand.Rand) (client.Request, string) {
				q := g.valid(g.base.RefreshToken)
				q.Auth.ClientID = "x" + g.base.ClientID + fmt.Sprint(r.IntN(10))
				return q, ""
			}},
		)
		return ops
	}
	basic := func(user, pass string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
	}
	ops = append(ops,
		op{"authorization", func(g *Generator, r *rand.Rand) (client.Request, string) {
			id, sec := url.QueryEscape(g.base.ClientID), url.QueryEscape(g.base.ClientSecret)
			variants := []struct{ name, value string }{
				{"wrong-secret", basic(id, sec+"x")},
				{"swapped", basic(sec, id)},
				{"empty-secret", basic(id, "")},
				{"no-colon", "Basic " + base64.StdEncoding.EncodeToString([]byte(id+sec))},
				{"not-base64", "Basic !!" + randString(r, 8)},
				{"empty", "Basic "},
				{"scheme-only", "Basic"},
				{"unknown-scheme", "Digest username=\"" + id + "\""},
				{"bearer-refresh-token", "Bearer " + g.base.RefreshToken},
				{"truncated", strings.TrimRight(basic(id, sec), "=")[:len(strings.TrimRight(basic(id, sec), "="))-2]},
			}
			v := pick(r, variants)
			q := g.valid(g.base.RefreshToken)
			q.Auth = client.Auth{Mode: client.AuthHeader, Header: v.value}
			return q, v.name
		}},
		op{"no-client-auth", func(g *Generator, _ *rand.Rand) (client.Request, string) {
			q := g.valid(g.base.RefreshToken)
			q.Auth = client.Auth{}
			return q, ""
		}},
		op{"basic-and-body-secret", func(g *Generator, _ *rand.Rand) (client.Request, string) {
			q := g.valid(g.base.RefreshToken)
			q.Auth.Mode = client.AuthBoth
			return q, ""
		}},
		op{"body-client_id-mismatch", func(g *Generator, r *rand.Rand) (client.Request, string) {
			q := g.valid(g.base.RefreshToken)
			q.Form = append(q.Form, client.Field{Name: "client_id", Value: "x" + g.base.ClientID + fmt.Sprint(r.IntN(10))})
			return q, ""
		}},
		op{"body-secret-wrong", func(g *Generator, r *rand.Rand) (client.Request, string) {
			q := g.valid(g.base.RefreshToken)
			q.Auth = client.Auth{Mode: client.AuthBody, ClientID: g.base.ClientID, ClientSecret: g.base.ClientSecret + randString(r, 1)}
			return q, ""
		}},
	)
	return ops
}

// ---- method ----

func methodOps() []op {
	return []op{
		{"method", func(g *Generator, r *rand.Rand) (client.Request, string) {
			m := pick(r, []string{http.MethodPut, http.MethodPatch, http.MethodDelete, "GET"})
			q := g.valid(g.base.RefreshToken)
			q.Method = m
			return q, m
		}},
		{"get-with-query", func(g *Generator, _ *rand.Rand) (client.Request, string) {
			q := g.valid(g.base.RefreshToken)
			q.Method = http.MethodGet
			q.Query, q.Form = q.Form, nil
			if g.base.Public {
				q.Query = append(q.Query, client.Field{Name: "client_id", Value: g.base.ClientID})
				q.Auth = client.Auth{}
			}
			return q, ""
		}},
	}
}

// ---- token ----

func tokenOps() []op {
	return []op{
		{"forged", func(g *Generator, r *rand.Rand) (client.Request, string) {
			if len(g.tokens) == 0 {
				return g.byteEdit(r)
			}
			t := pick(r, g.tokens)
			return g.valid(t.tok), t.name
		}},
		{"edit", func(g *Generator, r *rand.Rand) (client.Request, string) { return g.byteEdit(r) }},
	}
}

// byteEdit returns the valid request with a byte-level edit of the token
// that is guaranteed to change what the token decodes to: header and
// payload characters are covered by the signature; the last character of
// the signature segment (whose low bits base64 decoders may ignore) is
// never substituted.
func (g *Generator) byteEdit(r *rand.Rand) (client.Request, string) {
	tok := g.base.RefreshToken
	for range 8 {
		name, out := editToken(r, tok)
		if out != tok {
			return g.valid(out), name
		}
	}
	return g.valid(tok + "A"), "append"
}

func editToken(r *rand.Rand, tok string) (string, string) {
	lastSig := len(tok) - 1
	if i := strings.LastIndexByte(tok, '.'); i >= 0 && i == len(tok)-1 {
		lastSig = -1 // empty signature segment
	}
	pos := r.IntN(len(tok))
	switch r.IntN(8) {
	case 0:
		if pos == lastSig {
			pos--
		}
		if pos < 0 || tok[pos] == '.' {
			return "append-segment", tok + "." + randB64(r, 1+r.IntN(12))
		}
		c := b64url[r.IntN(len(b64url))]
		if c == tok[pos] {
			c = b64url[(strings.IndexByte(b64url, c)+1)%len(b64url)]
		}
		return "substitute", tok[:pos] + string(c) + tok[pos+1:]
	case 1:
		return "delete", tok[:pos] + tok[pos+1:]
	case 2:
		return "insert", tok[:pos] + string(b64url[r.IntN(len(b64url))]) + tok[pos:]
	case 3:
		return "truncate", tok[:pos]
	case 4:
		return "append-segment", tok + "." + randB64(r, r.IntN(12))
	case 5:
		p := strings.Split(tok, ".")
		if len(p) < 2 {
			return "duplicate", tok + tok
		}
		i, j := r.IntN(len(p)), r.IntN(len(p))
		p[i], p[j] = p[j], p[i]
		return "swap-segments", strings.Join(p, ".")
	case 6:
		if pos == lastSig && pos > 0 {
			pos--
		}
		return "random-byte", tok[:pos] + string([]byte{byte(r.IntN(256))}) + tok[pos+1:]
	default:
		if pos == lastSig {
			pos--
		}
		if pos < 0 {
			return "empty", ""
		}
		c := tok[pos]
		switch {
		case c >= 'a' && c <= 'z':
			c -= 32
		case c >= 'A' && c <= 'Z':
			c += 32
		default:
			return "case-flip", strings.ToUpper(tok)
		}
		return "case-flip", tok[:pos] + string(c) + tok[pos+1:]
	}
}

func randB64(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = b64url[r.IntN(len(b64url))]
	}
	return string(b)
}

// forgeTokens builds the forge's attacks on raw once; tokens equal to raw
// (e.g. a standard-alphabet variant of a token that has no '-' or '_')
// are dropped.
func forgeTokens(raw string) ([]namedToken, error) {
	if _, err := forge.Parse(raw); err != nil {
		return nil, fmt.Errorf("mutate: the refresh token is not a compact JWS (%w); set features.jwt_refresh_tokens: false in the profile for opaque tokens", err)
	}
	var out []namedToken
	add := func(name, tok string, err error) {
		if err == nil && tok != raw {
			out = append(out, namedToken{name, tok})
		}
	}
	vs, err := forge.MalformedVariants(raw)
	if err != nil {
		return nil, fmt.Errorf("mutate: %w", err)
	}
	for _, v := range vs {
		add("malformed-"+v.Name, v.Token, nil)
	}
	for _, sp := range forge.NoneSpellings() {
		t, err := forge.AlgNone(raw, sp)
		add("alg-none-"+sp, t, err)
	}
	for name, f := range map[string]func(string) (string, error){
		"null-signature": forge.NullSignature, "truncated-signature": forge.TruncatedSignature,
		"bit-flipped-signature": forge.BitFlippedSignature, "psychic-signature": forge.PsychicSignature,
		"no-kid": forge.StripKeyID, "empty-hmac-key": forge.EmptyHMACKey,
	} {
		t, err := f(raw)
		add(name, t, err)
	}
	for _, kp := range forge.KidInjectionPayloads() {
		t, err := forge.KidInjection(raw, kp.Kid, kp.Key)
		add("kid-injection-"+kp.Name, t, err)
	}
	t, err := forge.SetKeyID(raw, "refreshconf-unknown-kid")
	add("unknown-kid", t, err)
	cs, err := forge.TypeConfusions(raw)
	if err == nil {
		for _, c := range cs {
			t, err := forge.ClaimTypeConfusion(raw, c.Claim, c.Value)
			add("type-confusion-"+c.Name, t, err)
		}
	}
	now := time.Now()
	for name, edit := range map[string]func(map[string]any){
		"claims-expired": forge.ExpiredClaims(now), "claims-future-iat": forge.FutureIat(now),
		"claims-scope": forge.Set("scope", []string{"refreshconf_fuzz"}), "claims-no-jti": forge.Delete("jti"),
		"claims-sub": forge.Set("sub", "1;1"), "claims-iss": forge.Set("iss", "https://attacker.example"),
	} {
		t, err := forge.EditClaims(raw, edit)
		add(name, t, err)
	}
	keys, err := forge.NewAttackerKeys()
	if err != nil {
		return nil, fmt.Errorf("mutate: %w", err)
	}
	t, err = forge.ResignRSA(raw, keys.RSA, forge.KidSame)
	add("attacker-rsa-key", t, err)
	t, err = forge.ResignEC(raw, keys.EC, forge.KidSame)
	add("attacker-ec-key", t, err)
	t, err = forge.EmbeddedJWK(raw, keys.RSA)
	add("embedded-jwk", t, err)
	t, err = forge.X5C(raw, keys.RSA)
	add("x5c", t, err)
	// Sort by name so the sequence depends on the seed only (map order).
	slices.SortFunc(out, func(a, b namedToken) int { return strings.Compare(a.name, b.name) })
	return out, nil
}
