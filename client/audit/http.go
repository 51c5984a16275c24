package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Defaults of HTTPConfig.
const (
	DefaultHTTPTimeout  = 15 * time.Second
	DefaultMaxBodyBytes = 1 << 20
)

// HTTPConfig configures an HTTP source.
type HTTPConfig struct {
	// URL is the audit rows endpoint, e.g. "http://127.0.0.1:8787/audit/rows".
	// Existing query parameters are kept.
	URL string
	// Headers are sent with every query; their values are treated as
	// secrets (never shown in errors).
	Headers map[string]string
	// Timeout bounds one query; default DefaultHTTPTimeout.
	Timeout time.Duration
	// Client sends the queries; default a new client without cookies.
	Client *http.Client
	// MaxBodyBytes caps the response body; default DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Fields maps row-shape field names (FieldDetail, ...) to the keys of
	// the endpoint's rows when they differ (dot-separated for nesting).
	Fields map[string]string
}

// HTTPSource reads rows from a JSON endpoint shaped like the reference
// target's GET /audit/rows: it sends
// GET URL?contains=<q.Contains>&after=<cursor>&since=<RFC 3339> and parses
// {"rows":[Row,...],"last_id":N}.
//
// The cursor is the largest numeric row ID seen; rows at or below it are
// dropped even if the endpoint ignores "after", and rows whose User-Agent
// lacks q.Contains are dropped even if it ignores "contains". When IDs are
// not numeric the cursor is last_id (or the last row's ID) and is passed
// through unchanged.
type HTTPSource struct {
	u       *url.URL
	display string
	headers map[string]string
	secrets []string
	timeout time.Duration
	client  *http.Client
	maxBody int64
	fields  fieldMap
}

// NewHTTP validates cfg and returns an HTTP source.
func NewHTTP(cfg HTTPConfig) (*HTTPSource, error) {
	if strings.TrimSpace(cfg.URL) == "" {
		return nil, errors.New("audit http source: URL is empty; set audit.url in the profile (e.g. http://127.0.0.1:8787/audit/rows)")
	}
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("audit http source: URL is not a valid URL; fix audit.url: %w", errors.Unwrap(err))
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("audit http source: URL %q must be absolute http(s)://host/path; fix audit.url", displayURL(u))
	}
	if u.User != nil {
		return nil, errors.New("audit http source: URL must not carry user:password; send credentials in audit.headers instead")
	}
	if cfg.Timeout < 0 || cfg.MaxBodyBytes < 0 {
		return nil, errors.New("audit http source: Timeout and MaxBodyBytes must not be negative")
	}
	fm, err := newFieldMap(cfg.Fields)
	if err != nil {
		return nil, fmt.Errorf("audit http source: %w", err)
	}
	s := &HTTPSource{
		u:       u,
		display: displayURL(u),
		headers: make(map[string]string, len(cfg.Headers)),
		timeout: cfg.Timeout,
		client:  cfg.Client,
		maxBody: cfg.MaxBodyBytes,
		fields:  fm,
	}
	for k, v := range cfg.Headers {
		if strings.TrimSpace(k) == "" || strings.ContainsAny(k, " \t\r\n:") {
			return nil, fmt.Errorf("audit http source: invalid header name %q", k)
		}
		if strings.ContainsAny(v, "\r\n") {
			return nil, fmt.Errorf("audit http source: header %q value contains a line break", k)
		}
		s.headers[k] = v
		s.secrets = append(s.secrets, v)
		if f := strings.Fields(v); len(f) == 2 {
			s.secrets = append(s.secrets, f[1]) // the credential after a scheme
		}
	}
	if s.timeout == 0 {
		s.timeout = DefaultHTTPTimeout
	}
	if s.maxBody == 0 {
		s.maxBody = DefaultMaxBodyBytes
	}
	if s.client == nil {
		s.client = &http.Client{Timeout: s.timeout}
	}
	// Never follow a redirect: net/http would resend audit.headers (an API
	// key, say) to whatever host the answer names. A redirect is an error
	// that names where it pointed.
	c := *s.client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	s.client = &c
	return s, nil
}

// displayURL is u without query, fragment or user info (they may hold
// secrets).
func displayURL(u *url.URL) string {
	c := *u
	c.User, c.RawQuery, c.Fragment, c.RawFragment = nil, "", "", ""
	return c.String()
}

// Name returns "http <url without query>".
func (s *HTTPSource) Name() string { return "http " + s.display }

// Fetch queries the endpoint once.
func (s *HTTPSource) Fetch(ctx context.Context, q Query) (Batch, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()

	u := *s.u
	qv := u.Query()
	if q.Contains != "" {
		qv.Set("contains", q.Contains)
	}
	if q.Cursor != "" {
		qv.Set("after", q.Cursor)
	}
	if !q.Since.IsZero() {
		qv.Set("since", q.Since.UTC().Format(time.RFC3339Nano))
	}
	u.RawQuery = qv.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return Batch{}, fmt.Errorf("%s: building request: %w", s.Name(), err)
	}
	req.Header.Set("Accept", "application/json")
	for k, v := range s.headers {
		req.Header.Set(k, v)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		// url.Error repeats the full URL; report ours without the query.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return Batch{}, fmt.Errorf("%s: no answer within %s (raise timeouts.request or check the endpoint): %w", s.Name(), s.timeout, err)
		}
		return Batch{}, fmt.Errorf("%s: GET failed: %w", s.Name(), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, s.maxBody+1))
	if err != nil {
		return Batch{}, fmt.Errorf("%s: reading response: %w", s.Name(), err)
	}
	if resp.StatusCode != http.StatusOK {
		shown := snippet(body, s.secrets...)
		hint := ""
		switch resp.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden:
			hint = " (check audit.headers, e.g. Authorization: Bearer ${ADMIN_TOKEN})"
		case http.StatusNotFound:
			hint = " (check audit.url)"
		case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
			hint = " (redirects are not followed, so that audit.headers go to audit.url's host only: set audit.url to the final URL"
			if loc, err := resp.Location(); err == nil {
				hint += ", which the answer gave as " + displayURL(loc)
			}
			hint += ")"
			shown = "(body not shown: it repeats the redirect's URL, whose query may be a credential)"
		}
		return Batch{}, fmt.Errorf("%s: status %s%s: %s", s.Name(), resp.Status, hint, shown)
	}
	if int64(len(body)) > s.maxBody {
		return Batch{}, fmt.Errorf("%s: response larger than %d bytes; raise limits.max_body_bytes or make the endpoint page its rows", s.Name(), s.maxBody)
	}
	rows, lastID, err := s.parse(body)
	if err != nil {
		return Batch{}, fmt.Errorf("%s: %w", s.Name(), err)
	}
	return s.batch(rows, lastID, q)
}

// parse decodes {"rows":[...],"last_id":N}.
func (s *HTTPSource) parse(body []byte) ([]map[string]any, string, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, "", fmt.Errorf("response is not JSON (%v): %s", err, snippet(body, s.secrets...))
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return nil, "", fmt.Errorf(`response is a JSON %s, want an object {"rows":[...],"last_id":N}`, jsonType(doc))
	}
	rawRows, ok := obj["rows"]
	if !ok {
		return nil, "", errors.New(`response has no "rows" field; want {"rows":[...],"last_id":N}`)
	}
	var list []any
	switch r := rawRows.(type) {
	case nil:
	case []any:
		list = r
	default:
		return nil, "", fmt.Errorf(`field "rows": want array, got %s`, jsonType(rawRows))
	}
	var lastID string
	switch v := obj["last_id"].(type) {
	case nil:
	case json.Number:
		lastID = v.String()
	case string:
		lastID = v
	default:
		return nil, "", fmt.Errorf(`field "last_id": want number, got %s`, jsonType(v))
	}
	rows := make([]map[string]any, 0, len(list))
	for i, r := range list {
		m, ok := r.(map[string]any)
		if !ok {
			return nil, "", fmt.Errorf("rows[%d]: want object, got %s", i, jsonType(r))
		}
		rows = append(rows, m)
	}
	return rows, lastID, nil
}

// batch converts rows and advances the cursor.
func (s *HTTPSource) batch(rows []map[string]any, lastID string, q Query) (Batch, error) {
	cur, curNumeric := parseID(q.Cursor)
	if q.Cursor == "" {
		curNumeric = true
	}
	maxID := cur
	allNumeric := curNumeric
	var lastRowID string
	out := make([]Entry, 0, len(rows))
	for i, r := range rows {
		e, _, err := entryFromObject(r, s.fields, time.UTC)
		if err != nil {
			return Batch{}, fmt.Errorf("rows[%d]: %w", i, err)
		}
		e.Source = s.Name()
		lastRowID = e.ID
		id, numeric := parseID(e.ID)
		if !numeric {
			allNumeric = false
		} else if allNumeric && q.Cursor != "" && id <= cur {
			continue // endpoint ignored "after"
		}
		if numeric && id > maxID {
			maxID = id
		}
		if q.Contains != "" && !strings.Contains(e.UserAgent, q.Contains) {
			continue // endpoint ignored "contains"
		}
		out = append(out, e)
	}
	next := q.Cursor
	switch {
	case allNumeric && len(rows) > 0:
		next = strconv.FormatInt(maxID, 10)
	case !allNumeric && lastID != "":
		next = lastID
	case !allNumeric && lastRowID != "":
		next = lastRowID
	}
	return Batch{Entries: out, Cursor: next}, nil
}

// parseID parses a non-negative decimal row ID.
func parseID(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}
