package client

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"
)

// maxForgedPart bounds one decoded part of a forged token in a transcript.
const maxForgedPart = 1024

// writeForged appends to a request's transcript the decoded header and
// claims of every token of p.forged that the request carries: a reviewer
// sees what was sent ("alg": "none", an injected kid, edited claims)
// where the token itself shows as its redaction mark. Decoded parts go
// through Redact like everything else, and a token that is a registered
// secret (one the target issued, listed by mistake) is never decoded.
func (c *Client) writeForged(b *strings.Builder, req *http.Request, p *plan) {
	if len(p.forged) == 0 {
		return
	}
	var sent strings.Builder
	sent.WriteString(req.URL.String())
	sent.Write(p.body)
	for _, vs := range req.Header {
		for _, v := range vs {
			sent.WriteString("\n" + v)
		}
	}
	seen := map[string]bool{}
	for _, tok := range p.forged {
		if tok == "" || seen[tok] || !strings.Contains(sent.String(), tok) {
			continue
		}
		seen[tok] = true
		shown := clip(c.red.Redact(tok), 96)
		c.red.mu.RLock()
		genuine := c.red.variants.has(tok)
		c.red.mu.RUnlock()
		if genuine {
			fmt.Fprintf(b, "# token %s is a registered secret, not a forgery: not decoded\n", shown)
			continue
		}
		fmt.Fprintf(b, "# forged token %s, decoded (crafted by the harness; the raw token stays redacted):\n", shown)
		for _, line := range c.decodeForged(tok) {
			b.WriteString("#   " + line + "\n")
		}
	}
}

// decodeForged describes a crafted token part by part: the header and the
// claims decoded (redacted), the signature by its length only.
func (c *Client) decodeForged(tok string) []string {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		out := []string{fmt.Sprintf("not a compact JWS: %d dot-separated segment(s), want 3", len(parts))}
		if len(parts) == 2 {
			out = append(out, "header:    "+c.forgedPart(parts[0]), "claims:    "+c.forgedPart(parts[1]))
		}
		return out
	}
	sig := "empty (no signature)"
	if parts[2] != "" {
		if raw, err := decodeSegment(parts[2]); err == nil {
			sig = fmt.Sprintf("%d bytes (not shown)", len(raw))
		} else {
			sig = fmt.Sprintf("%d characters, not base64url (not shown)", len(parts[2]))
		}
	}
	return []string{"header:    " + c.forgedPart(parts[0]), "claims:    " + c.forgedPart(parts[1]), "signature: " + sig}
}

// forgedPart decodes one base64url segment for display: compact JSON, or
// quoted text, or a note; redacted and bounded.
func (c *Client) forgedPart(seg string) string {
	if seg == "" {
		return "(empty segment)"
	}
	raw, err := decodeSegment(seg)
	switch {
	case err != nil:
		return fmt.Sprintf("(%d characters, not base64url)", len(seg))
	case json.Valid(raw):
		var b bytes.Buffer
		if json.Compact(&b, raw) == nil {
			raw = b.Bytes()
		}
		return clip(c.red.Redact(string(raw)), maxForgedPart)
	case utf8.Valid(raw):
		return clip(c.red.Redact(fmt.Sprintf("%q (not JSON)", raw)), maxForgedPart)
	}
	return fmt.Sprintf("(%d bytes, not text)", len(raw))
}

// decodeSegment decodes a base64url segment, padded or not.
func decodeSegment(seg string) ([]byte, error) {
	if raw, err := base64.RawURLEncoding.DecodeString(seg); err == nil {
		return raw, nil
	}
	return base64.URLEncoding.DecodeString(seg)
}
