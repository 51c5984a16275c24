package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ResponseSource takes the audit code from the target's own responses, for
// targets that echo it in a response header or a JSON body field. The
// harness calls Observe after every exchange; Fetch returns the recorded
// entries. Its cursor is the sequence number of the last entry returned.
type ResponseSource struct {
	header     string
	field      []string
	classifier *Classifier

	mu      sync.Mutex
	entries []Entry
}

// NewResponse returns a source reading the code from the response header
// named header, or else from the JSON body field named field (dot-separated
// for nested objects, e.g. "error.audit_code"). At least one is required.
func NewResponse(header, field string) (*ResponseSource, error) {
	header, field = strings.TrimSpace(header), strings.TrimSpace(field)
	if header == "" && field == "" {
		return nil, errors.New("audit response source: neither header nor field is set; set audit.header (e.g. X-Audit-Code) or audit.field (e.g. audit_code) in the profile")
	}
	s := &ResponseSource{header: textproto.CanonicalMIMEHeaderKey(header)}
	if field != "" {
		s.field = strings.Split(field, ".")
	}
	return s, nil
}

// NewResponseClassified is NewResponse that, when the header and field
// give no code (or are not set), classifies the response with c. At least
// one of header, field and c is required.
func NewResponseClassified(header, field string, c *Classifier) (*ResponseSource, error) {
	if c == nil {
		return NewResponse(header, field)
	}
	s := &ResponseSource{header: textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(header)), classifier: c}
	if f := strings.TrimSpace(field); f != "" {
		s.field = strings.Split(f, ".")
	}
	return s, nil
}

// Name returns "response".
func (s *ResponseSource) Name() string { return "response" }

// Classify returns the Entry one exchange leaves, without recording it:
// UserAgent is marker, Detail the code found in the configured header or
// body field or else the classify rules' verdict (Unclassified with the
// redacted Reason when no rule matches), Status Success for a 2xx status
// and Failure otherwise (or the verdict's). The body is only parsed.
func (s *ResponseSource) Classify(marker string, status int, header http.Header, body []byte) Entry {
	code := ""
	if s.header != "" && header != nil {
		code = strings.TrimSpace(header.Get(s.header))
	}
	if code == "" && s.field != nil {
		code = bodyField(body, s.field)
	}
	st := StatusFailure
	if status >= 200 && status < 300 {
		st = StatusSuccess
	}
	e := Entry{Date: time.Now(), UserAgent: marker, Detail: code, Status: st, Source: s.Name()}
	switch {
	case code == "" && s.classifier != nil:
		v := s.classifier.Response(status, header, body)
		e.Detail, e.Status, e.Reason = v.Detail, v.Status, v.Reason
	case code == "" && IsTargetError(status):
		e.Detail, e.Reason = TargetError, fmt.Sprintf("HTTP %d", status)
	}
	return e
}

// Record stores an entry (from Classify, possibly in another process) with
// the next sequence number as its ID.
func (s *ResponseSource) Record(e Entry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e.ID = strconv.Itoa(len(s.entries) + 1)
	e.Source = s.Name()
	s.entries = append(s.entries, e)
}

// Observe records one exchange: Record(Classify(...)).
func (s *ResponseSource) Observe(marker string, status int, header http.Header, body []byte) {
	s.Record(s.Classify(marker, status, header, body))
}

// bodyField returns the string (or number) at path in a JSON object body.
func bodyField(body []byte, path []string) string {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return ""
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	x, ok := lookup(obj, path)
	if !ok {
		return ""
	}
	switch t := x.(type) {
	case string:
		return strings.TrimSpace(t)
	case json.Number:
		return t.String()
	}
	return ""
}

// Fetch returns the entries observed after q.Cursor whose UserAgent
// contains q.Contains.
func (s *ResponseSource) Fetch(ctx context.Context, q Query) (Batch, error) {
	if err := ctx.Err(); err != nil {
		return Batch{}, err
	}
	start := 0
	if q.Cursor != "" {
		n, err := strconv.Atoi(q.Cursor)
		if err != nil || n < 0 {
			return Batch{}, errors.New("response source: cursor " + strconv.Quote(q.Cursor) + " is not a sequence number")
		}
		start = n
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if start > len(s.entries) {
		start = len(s.entries)
	}
	var out []Entry
	for _, e := range s.entries[start:] {
		if q.Contains == "" || strings.Contains(e.UserAgent, q.Contains) {
			out = append(out, e)
		}
	}
	return Batch{Entries: out, Cursor: strconv.Itoa(len(s.entries))}, nil
}
