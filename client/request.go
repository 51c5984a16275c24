package client

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Field is one form or query field. Fields are encoded in order, and a name
// may repeat.
type Field struct{ Name, Value string }

// AuthMode is how the client authenticates (RFC 6749 §2.3.1).
type AuthMode int

// Client-authentication modes.
const (
	// AuthNone sends no client credentials.
	AuthNone AuthMode = iota
	// AuthBasic sends HTTP Basic "client_id:client_secret" (each
	// form-urlencoded first, RFC 6749 §2.3.1); "client_id:" for a public
	// client (empty secret).
	AuthBasic
	// AuthBody appends client_id and client_secret form fields (client_secret
	// only when non-empty).
	AuthBody
	// AuthBoth does AuthBasic and AuthBody at once.
	AuthBoth
	// AuthHeader sends Auth.Header verbatim as the Authorization value.
	AuthHeader
)

// String names the mode.
func (m AuthMode) String() string {
	switch m {
	case AuthNone:
		return "none"
	case AuthBasic:
		return "basic"
	case AuthBody:
		return "body"
	case AuthBoth:
		return "basic+body"
	case AuthHeader:
		return "header"
	}
	return "AuthMode(" + strconv.Itoa(int(m)) + ")"
}

// Auth is the client authentication of a request.
type Auth struct {
	Mode         AuthMode
	ClientID     string
	ClientSecret string
	// Header is the raw Authorization value for AuthHeader.
	Header string
}

// Request is anything a scenario sends. Zero fields take defaults.
type Request struct {
	// Name is the scenario/step name shown in the transcript.
	Name string
	// Method defaults to POST.
	Method string
	// URL defaults to Config.TokenURL.
	URL string
	// Form fields are encoded by hand, in order, duplicates kept. AuthBody
	// and AuthBoth append client_id and client_secret after them.
	Form []Field
	// Query fields are appended to the URL's query, in order.
	Query []Field
	// RawBody, when non-nil, is sent verbatim instead of Form (AuthBody
	// then adds nothing to the body).
	RawBody []byte
	// ContentType defaults to application/x-www-form-urlencoded when a body
	// is sent (Form non-empty or RawBody non-nil).
	ContentType string
	// NoContentType sends no Content-Type at all.
	NoContentType bool
	// Header holds extra headers, added after the client's own (so a second
	// Authorization is possible). A Content-Type here replaces the default;
	// a Host sets the request's Host; a User-Agent is ignored unless
	// KeepUserAgent is set.
	Header http.Header
	// KeepUserAgent sends Header's User-Agent instead of the marker
	// template (the audit trail then cannot be matched on the marker).
	KeepUserAgent bool
	// Auth is the client authentication.
	Auth Auth
	// Marker reuses a marker (default: NewMarker() per attempt).
	Marker string
	// Forged lists tokens the harness crafted itself (forged, tampered,
	// re-signed, malformed) that the request may carry. The transcript
	// shows the decoded header and claims of each one the request carries
	// (what was sent is the evidence); the token itself stays redacted, its
	// signature may be a genuine one's. Never list a token the target
	// issued: a registered secret is not decoded.
	Forged []string
}

// encodeFields encodes fields as application/x-www-form-urlencoded, in
// order and with duplicates.
func encodeFields(fields []Field) string {
	var b strings.Builder
	for i, f := range fields {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(f.Name))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(f.Value))
	}
	return b.String()
}

// plan is a request ready to be sent, attempt after attempt.
type plan struct {
	method  string
	url     string
	body    []byte
	hasBody bool
	header  http.Header // without User-Agent
	host    string
	ua      string // a kept User-Agent, when KeepUserAgent
	keepUA  bool
	forged  []string // Request.Forged
}

// buildPlan turns r into a plan.
func (c *Client) buildPlan(r Request) (*plan, error) {
	p := &plan{method: r.Method, header: make(http.Header), forged: r.Forged}
	if p.method == "" {
		p.method = http.MethodPost
	}
	raw := r.URL
	if raw == "" {
		raw = c.cfg.TokenURL
	}
	if err := validateURL(raw); err != nil {
		return nil, fmt.Errorf("request URL: %w", err)
	}
	if len(r.Query) > 0 {
		sep := "?"
		if strings.Contains(raw, "?") {
			sep = "&"
			if strings.HasSuffix(raw, "?") || strings.HasSuffix(raw, "&") {
				sep = ""
			}
		}
		raw += sep + encodeFields(r.Query)
	}
	p.url = raw

	form := r.Form
	if r.Auth.Mode == AuthBody || r.Auth.Mode == AuthBoth {
		form = append(append([]Field(nil), form...), Field{"client_id", r.Auth.ClientID})
		if r.Auth.ClientSecret != "" {
			form = append(form, Field{"client_secret", r.Auth.ClientSecret})
		}
	}
	switch {
	case r.RawBody != nil:
		p.body, p.hasBody = r.RawBody, true
	case len(form) > 0:
		p.body, p.hasBody = []byte(encodeFields(form)), true
	}

	switch r.Auth.Mode {
	case AuthNone, AuthBody:
	case AuthBasic, AuthBoth:
		cred := url.QueryEscape(r.Auth.ClientID) + ":" + url.QueryEscape(r.Auth.ClientSecret)
		p.header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(cred)))
	case AuthHeader:
		p.header.Set("Authorization", r.Auth.Header)
	default:
		return nil, fmt.Errorf("unknown auth mode %d: use AuthNone, AuthBasic, AuthBody, AuthBoth or AuthHeader", int(r.Auth.Mode))
	}

	ctSet := false
	for k, vs := range r.Header {
		switch {
		case strings.EqualFold(k, "User-Agent"):
			if r.KeepUserAgent && len(vs) > 0 {
				p.ua, p.keepUA = vs[0], true
			}
		case strings.EqualFold(k, "Host"):
			if len(vs) > 0 {
				p.host = vs[0]
			}
		case strings.EqualFold(k, "Content-Type"):
			ctSet = true
			p.header[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
		default:
			ck := http.CanonicalHeaderKey(k)
			p.header[ck] = append(p.header[ck], vs...)
		}
	}
	if p.hasBody && !ctSet && !r.NoContentType {
		ct := r.ContentType
		if ct == "" {
			ct = "application/x-www-form-urlencoded"
		}
		p.header.Set("Content-Type", ct)
	}
	if r.NoContentType {
		p.header.Del("Content-Type")
	}
	for k, vs := range p.header {
		for _, v := range vs {
			if strings.ContainsAny(k+v, "\r\n\x00") {
				return nil, fmt.Errorf("header %s holds a line break or NUL: remove it", k)
			}
		}
	}
	return p, nil
}

// Do sends r and returns the recorded exchange. It never panics and never
// returns nil: a transport failure is in Exchange.Err (a *TransportError).
// A 429 answer is retried up to Config.MaxRetries429 times after its
// Retry-After (at most 10s), each retry with a new marker unless r.Marker
// is set; earlier markers are in Exchange.PriorMarkers.
func (c *Client) Do(ctx context.Context, r Request) (ex *Exchange) {
	return c.do(ctx, r, false)
}

// MaxRace is how many requests DoRace sends at once: a race is two
// requests, so exempting it from Config.Concurrency stays bounded.
const MaxRace = 2

// DoRace sends reqs (at most MaxRace) at the same moment, to race them
// against each other (e.g. two refreshes of one one-time token). They are
// exempt from Config.Concurrency, which would otherwise serialise them
// (with concurrency 1, or behind other requests), but not from the rate
// limit: each takes its place in it and both leave at the later of their
// times. A 429 answer is not retried (a retry would not race); the caller
// must treat it as a race that did not happen. Exchanges are in the order
// of reqs.
func (c *Client) DoRace(ctx context.Context, reqs []Request) []*Exchange {
	out := make([]*Exchange, len(reqs))
	if len(reqs) > MaxRace {
		for i, r := range reqs {
			out[i] = &Exchange{Name: c.red.Redact(r.Name), Started: time.Now(), body: &rawBody{}, Marker: r.Marker,
				Err: &TransportError{Phase: PhaseBuild, Kind: ErrBadRequest, Detail: fmt.Sprintf("a race of %d requests exceeds the bound of %d (a harness bug)", len(reqs), MaxRace)}}
		}
		return out
	}
	if c.limiter != nil {
		var wait time.Duration
		for range reqs {
			if d := c.limiter.Reserve().Delay(); d > wait {
				wait = d
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
		}
	}
	var start, done sync.WaitGroup
	start.Add(1)
	for i, r := range reqs {
		done.Go(func() {
			start.Wait()
			out[i] = c.do(ctx, r, true)
		})
	}
	start.Done()
	done.Wait()
	return out
}

// do is Do; a race request skips the concurrency slot, the rate limiter
// (DoRace took it) and 429 retries.
func (c *Client) do(ctx context.Context, r Request, race bool) (ex *Exchange) {
	ex = &Exchange{Name: c.red.Redact(r.Name), Started: time.Now(), body: &rawBody{}}
	method := r.Method
	if method == "" {
		method = http.MethodPost
	}
	ex.Method = method
	ex.URL = c.red.Redact(r.URL)
	defer func() {
		if p := recover(); p != nil {
			ex.Err = &TransportError{Method: ex.Method, URL: ex.URL, Phase: phaseUnknownName, Kind: ErrNetwork,
				Detail: c.red.Redact(fmt.Sprintf("internal error (please report it as a refreshconf bug): %v", p))}
		}
		ex.Duration = time.Since(ex.Started)
	}()
	p, err := c.buildPlan(r)
	if err != nil {
		ex.Marker = r.Marker
		ex.Err = &TransportError{Method: ex.Method, URL: ex.URL, Phase: PhaseBuild, Kind: ErrBadRequest, Detail: c.red.Redact(err.Error())}
		return ex
	}
	ex.URL = c.red.Redact(p.url)
	for attempt := 0; ; attempt++ {
		marker := r.Marker
		if marker == "" {
			marker = c.NewMarker()
		}
		ex.Marker = marker
		if race {
			if err := ctx.Err(); err != nil {
				ex.Err = classify(ctx, c.red, ex.Method, ex.URL, PhaseWait, err, &c.cfg)
				return ex
			}
			c.once(ctx, p, marker, ex)
			ex.Attempts++
			return ex
		}
		if err := c.acquire(ctx); err != nil {
			ex.Err = classify(ctx, c.red, ex.Method, ex.URL, PhaseWait, err, &c.cfg)
			return ex
		}
		c.once(ctx, p, marker, ex)
		c.release()
		ex.Attempts++
		if ex.Err != nil || ex.Status != http.StatusTooManyRequests || attempt >= c.cfg.MaxRetries429 {
			return ex
		}
		wait := retryAfter(ex.Header.Get("Retry-After"), time.Now())
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			ex.Err = classify(ctx, c.red, ex.Method, ex.URL, PhaseRetryWait, ctx.Err(), &c.cfg)
			return ex
		case <-t.C:
		}
		if r.Marker == "" {
			ex.PriorMarkers = append(ex.PriorMarkers, marker)
		}
	}
}

// once sends one attempt of p and records it into ex (replacing any
// earlier attempt's response).
func (c *Client) once(ctx context.Context, p *plan, marker string, ex *Exchange) {
	ex.Status, ex.Header, ex.Truncated, ex.Err, ex.proto = 0, nil, false, nil, ""
	ex.body.b, ex.redBody = nil, ""
	actx, cancel := context.WithTimeoutCause(ctx, c.cfg.RequestTimeout, errAttemptTimeout)
	defer cancel()
	var phase atomic.Pointer[string]
	set := func(s string) func() {
		return func() { phase.Store(&s) }
	}
	set(PhaseConnect)()
	trace := &httptrace.ClientTrace{
		DNSStart:          func(httptrace.DNSStartInfo) { set(PhaseDNS)() },
		ConnectStart:      func(string, string) { set(PhaseConnect)() },
		TLSHandshakeStart: set(PhaseTLS),
		GotConn:           func(httptrace.GotConnInfo) { set(PhaseSend)() },
		WroteRequest:      func(httptrace.WroteRequestInfo) { set(PhaseHeaders)() },
	}
	var body io.Reader
	if p.hasBody {
		body = bytes.NewReader(p.body)
	}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(actx, trace), p.method, p.url, body)
	if err != nil {
		ex.Err = &TransportError{Method: ex.Method, URL: ex.URL, Phase: PhaseBuild, Kind: ErrBadRequest,
			Detail: c.red.Redact(err.Error()) + ": check the method and URL"}
		return
	}
	for k, vs := range p.header {
		req.Header[k] = vs
	}
	if p.keepUA {
		req.Header.Set("User-Agent", p.ua)
	} else {
		req.Header.Set("User-Agent", c.userAgent(marker))
	}
	if p.host != "" {
		req.Host = p.host
	}
	ex.reqText = c.renderRequest(req, p)
	resp, err := c.http.Do(req)
	if err != nil {
		ex.Err = classify(ctx, c.red, ex.Method, ex.URL, *phase.Load(), err, &c.cfg)
		return
	}
	defer resp.Body.Close()
	ex.Status, ex.proto = resp.StatusCode, resp.Proto
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxBodyBytes+1))
	if int64(len(data)) > c.cfg.MaxBodyBytes {
		data, ex.Truncated = data[:c.cfg.MaxBodyBytes], true
	}
	c.registerTokens(data)
	ex.Header = c.red.RedactHeader(resp.Header)
	ex.body.b = data
	// Only the first maxRedactedBody bytes are kept in the redacted view
	// (what transcripts, reports and other processes see): redacting a
	// hostile megabyte costs about a second, and no token response or
	// error body comes near the limit.
	ex.redBody = c.red.Redact(string(data[:min(len(data), maxRedactedBody)]))
	if err != nil {
		ex.Err = classify(ctx, c.red, ex.Method, ex.URL, PhaseBody, err, &c.cfg)
	}
}

// registerTokens registers the tokens a response carries, so that they are
// redacted wherever they show up later (audit rows, other transcripts).
func (c *Client) registerTokens(body []byte) {
	if len(body) == 0 || body[0] != '{' {
		return
	}
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return
	}
	for _, name := range []string{"access_token", "refresh_token", "id_token"} {
		if v, ok := m[name].(string); ok {
			c.red.Add("response."+name, v)
		}
	}
}

// renderRequest is the redacted request part of the transcript.
func (c *Client) renderRequest(req *http.Request, p *plan) string {
	var b strings.Builder
	fmt.Fprintf(&b, "> %s %s HTTP/1.1\n", req.Method, c.red.Redact(req.URL.RequestURI()))
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	fmt.Fprintf(&b, "> Host: %s\n", c.red.Redact(host))
	keys := make([]string, 0, len(req.Header))
	for k := range req.Header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range req.Header[k] {
			fmt.Fprintf(&b, "> %s: %s\n", k, clip(c.red.redactHeaderValue(k, v), maxHeaderChars))
		}
	}
	if p.hasBody {
		fmt.Fprintf(&b, "> Content-Length: %d\n>\n", len(p.body))
		writeBody(&b, "> ", c.red.Redact(string(p.body)))
	}
	c.writeForged(&b, req, p)
	return b.String()
}

// retryAfter is how long to wait after a 429 with Retry-After v (seconds or
// an HTTP date), capped at MaxRetryAfter; one second when v is absent or
// unusable.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return defaultRetryAfter
	}
	var d time.Duration
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return defaultRetryAfter
		}
		if n > int64(MaxRetryAfter/time.Second) {
			return MaxRetryAfter
		}
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	} else {
		return defaultRetryAfter
	}
	return min(max(d, 0), MaxRetryAfter)
}
