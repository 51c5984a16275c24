package client

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
)

// minSecretLen is the shortest value Add registers: shorter values would
// redact ordinary text.
const minSecretLen = 4

// minSegmentLen is the shortest JWS segment (and the shortest unaligned
// base64 core) registered on its own.
const minSegmentLen = 16

// sensitiveFields are the form, query and JSON field names whose values are
// always redacted, whatever their value.
var sensitiveFields = []string{
	"client_secret", "refresh_token", "access_token", "id_token", "token",
	"code", "code_verifier", "client_assertion", "assertion", "password",
}

var (
	// jwsPattern matches anything shaped like a compact JWS.
	jwsPattern = regexp.MustCompile(`eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*`)
	// jsonFieldPattern matches "name": "value" for a sensitive name.
	jsonFieldPattern = regexp.MustCompile(`(?i)"(` + strings.Join(sensitiveFields, "|") + `)"(\s*:\s*)"((?:[^"\\]|\\.)*)"`)
	// escapedJSONFieldPattern matches \"name\": \"value\", a sensitive
	// field of JSON held inside a JSON string (an echoed request body).
	escapedJSONFieldPattern = regexp.MustCompile(`(?i)\\"(` + strings.Join(sensitiveFields, "|") + `)\\"(\s*:\s*)\\"([^"\\]+)\\"`)
	// formFieldPattern matches name=value for a sensitive name in form
	// bodies, query strings and free text.
	formFieldPattern = regexp.MustCompile(`(?i)(^|[?&;\s"'(,])(` + strings.Join(sensitiveFields, "|") + `)=([^&\s"'<>#;,)]+)`)
	// authzPattern matches an Authorization header (or field) in free text;
	// the scheme is kept.
	authzPattern = regexp.MustCompile(`(?i)((?:proxy-)?authorization"?\s*[:=]\s*"?(?:(?:basic|bearer|digest|dpop|mac|negotiate)\s+)?)([A-Za-z0-9._~+/=-]{4,})`)
	// markPattern matches a redaction mark the Redactor writes.
	markPattern = regexp.MustCompile(`^<[A-Za-z0-9_.\-]+#[0-9a-f]{6}>$`)
	// partialJWSPattern matches a dotted token some of whose segments were
	// redacted and some not (a forged token built from a real one: a
	// tampered signature next to the real payload). The whole token is
	// redacted: a bit-flipped signature reveals the real one.
	partialJWSPattern = regexp.MustCompile(`(?:[A-Za-z0-9_-]+\.)*<[A-Za-z0-9_.\-]+#[0-9a-f]{6}>(?:\.(?:<[A-Za-z0-9_.\-]+#[0-9a-f]{6}>|[A-Za-z0-9_-]*))+|(?:[A-Za-z0-9_-]+\.)+<[A-Za-z0-9_.\-]+#[0-9a-f]{6}>`)
	// labelBad matches characters not allowed in a label.
	labelBad = regexp.MustCompile(`[^A-Za-z0-9_.\-]`)
)

// Redactor replaces secrets with stable marks. A registered secret becomes
// "<label#h6>", where h6 is the first six hex digits of the SHA-256 of the
// secret: two captures can be compared without revealing the value. Besides
// registered values it always redacts values of sensitive form, query and
// JSON fields (client_secret, refresh_token, access_token, token, code,
// code_verifier, client_assertion, password, ...), Authorization values
// (the scheme is kept) and anything shaped like a compact JWS ("<jwt#h6>").
//
// A Redactor is safe for concurrent use; the zero value is not usable, call
// NewRedactor.
type Redactor struct {
	mu       sync.RWMutex
	variants *secretSet // every registered form of every secret, with its mark
}

// NewRedactor returns a Redactor with no registered secrets.
func NewRedactor() *Redactor {
	return &Redactor{variants: newSecretSet()}
}

// mark returns "<label#h6>" for value.
func mark(label, value string) string {
	sum := sha256.Sum256([]byte(value))
	return "<" + label + "#" + hex.EncodeToString(sum[:3]) + ">"
}

// cleanLabel makes label safe to print inside a mark.
func cleanLabel(label string) string {
	label = labelBad.ReplaceAllString(label, "_")
	if label == "" {
		return "secret"
	}
	return label
}

// Add registers a secret under label. Values shorter than four characters
// are ignored. Besides the value itself it registers its base64 forms
// (standard and URL alphabets, padded and raw, and the parts that stay the
// same whatever bytes surround the value, so "id:secret" in a Basic header
// is covered), its URL-encoded forms (QueryEscape and PathEscape), its JSON
// string escapes, each line of a multi-line value, and for a compact JWS
// each of its three segments of at least 16 characters.
func (r *Redactor) Add(label, value string) {
	if r == nil || len(value) < minSecretLen {
		return
	}
	m := mark(cleanLabel(label), value)
	vs := variantsOf(value)
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, v := range vs {
		r.variants.add(v, m)
	}
}

// variantsOf lists the encodings of value that are redacted with it.
func variantsOf(value string) []string {
	out := []string{value, url.QueryEscape(value), url.PathEscape(value)}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		out = append(out, enc.EncodeToString([]byte(value)))
	}
	// The base64 characters that depend on value alone, at each of the
	// three alignments it can have inside a longer encoded string.
	for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
		for k := 0; k < 3; k++ {
			buf := append(make([]byte, k), value...)
			s := enc.EncodeToString(buf)
			start := (8*k + 5) / 6
			end := 8 * len(buf) / 6
			if end-start >= minSegmentLen/2 && end <= len(s) {
				out = append(out, s[start:end])
			}
		}
	}
	for _, escapeHTML := range []bool{true, false} {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(escapeHTML)
		if enc.Encode(value) == nil {
			s := strings.TrimSuffix(b.String(), "\n")
			s = strings.TrimSuffix(strings.TrimPrefix(s, `"`), `"`)
			out = append(out, s, strings.ReplaceAll(s, "/", `\/`)) // some encoders escape '/'
		}
	}
	if strings.ContainsAny(value, "\r\n") {
		for _, line := range strings.FieldsFunc(value, func(c rune) bool { return c == '\r' || c == '\n' }) {
			if line = strings.TrimSpace(line); len(line) >= minSegmentLen && !strings.HasPrefix(line, "-----") {
				out = append(out, line)
			}
		}
	}
	if jwsPattern.MatchString(value) {
		for _, seg := range strings.Split(value, ".") {
			if len(seg) >= minSegmentLen {
				out = append(out, seg)
			}
		}
	}
	return out
}

// Redact returns s with every registered secret (in every registered form),
// every compact JWS, every sensitive form/query/JSON field value and every
// Authorization credential replaced by its mark.
func (r *Redactor) Redact(s string) string {
	if s == "" {
		return s
	}
	if r != nil {
		r.mu.RLock()
		s = r.variants.replace(s)
		r.mu.RUnlock()
	}
	// Each pattern is tried only when s holds the characters every match
	// of it needs: most header values and many bodies need none of them,
	// and six regular-expression scans per value were a tenth of a run.
	if strings.Contains(s, "eyJ") {
		s = jwsPattern.ReplaceAllStringFunc(s, func(t string) string { return mark("jwt", t) })
	}
	if strings.Contains(s, "#") && strings.Contains(s, ".") {
		s = partialJWSPattern.ReplaceAllStringFunc(s, func(t string) string { return mark("jwt", t) })
	}
	if strings.Contains(s, `"`) {
		s = replaceSubmatch(s, jsonFieldPattern, 1, 3, func(v string) string {
			var u string
			if json.Unmarshal([]byte(`"`+v+`"`), &u) != nil {
				u = v
			}
			return u
		})
		if strings.Contains(s, `\"`) {
			s = replaceSubmatch(s, escapedJSONFieldPattern, 1, 3, func(v string) string { return v })
		}
	}
	if strings.Contains(s, "=") {
		s = replaceSubmatch(s, formFieldPattern, 2, 3, func(v string) string {
			if u, err := url.QueryUnescape(v); err == nil {
				return u
			}
			return v
		})
	}
	if containsFold(s, "authorization") {
		s = replaceSubmatch(s, authzPattern, -1, 2, func(v string) string { return v })
	}
	return s
}

// containsFold reports whether s contains the lower-case ASCII word w in
// any case.
func containsFold(s, w string) bool {
	for i := 0; i+len(w) <= len(s); i++ {
		if c := s[i]; (c == w[0] || c == w[0]-'a'+'A') && strings.EqualFold(s[i:i+len(w)], w) {
			return true
		}
	}
	return false
}

// replaceSubmatch replaces group valGroup of every match of re with the
// mark of its decoded value, labelled with group labelGroup (lower-cased)
// or "authorization" when labelGroup < 0. Values that already are marks are
// left alone.
func replaceSubmatch(s string, re *regexp.Regexp, labelGroup, valGroup int, decode func(string) string) string {
	idx := re.FindAllStringSubmatchIndex(s, -1)
	if len(idx) == 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	last := 0
	for _, m := range idx {
		vs, ve := m[2*valGroup], m[2*valGroup+1]
		if vs < 0 || ve <= vs {
			continue
		}
		v := s[vs:ve]
		if markPattern.MatchString(v) || strings.HasPrefix(v, "<") {
			continue
		}
		label := "authorization"
		if labelGroup >= 0 {
			label = strings.ToLower(s[m[2*labelGroup]:m[2*labelGroup+1]])
		}
		b.WriteString(s[last:vs])
		b.WriteString(mark(label, decode(v)))
		last = ve
	}
	b.WriteString(s[last:])
	return b.String()
}

// RedactHeader returns a redacted copy of h: credential headers keep only
// their scheme, every other value goes through Redact.
func (r *Redactor) RedactHeader(h http.Header) http.Header {
	if h == nil {
		return nil
	}
	out := make(http.Header, len(h))
	for k, vs := range h {
		nv := make([]string, len(vs))
		for i, v := range vs {
			nv[i] = r.redactHeaderValue(k, v)
		}
		out[k] = nv
	}
	return out
}

// redactHeaderValue redacts one header value.
func (r *Redactor) redactHeaderValue(name, v string) string {
	switch strings.ToLower(name) {
	case "authorization", "proxy-authorization":
		scheme, cred, ok := strings.Cut(strings.TrimSpace(v), " ")
		if !ok {
			return mark("authorization", v)
		}
		return scheme + " " + mark("authorization", strings.TrimSpace(cred))
	case "cookie", "set-cookie":
		return mark(strings.ToLower(name), v)
	}
	return r.Redact(v)
}
