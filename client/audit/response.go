package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
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
	header string
	field  []string

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

// Name returns "response".
func (s *ResponseSource) Name() string { return "response" }

// Observe records one exchange: an Entry whose UserAgent is marker, whose
// Detail is the code found in the response (empty if none) and whose Status
// is Success for a 2xx status and Failure otherwise. The body is only
// parsed, never stored.
func (s *ResponseSource) Observe(marker string, status int, header http.Header, body []byte) {
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
	s.mu.Lock()
	defer s.mu.Unlock()
	s.entries = append(s.entries, Entry{
		ID:        strconv.Itoa(len(s.entries) + 1),
		Date:      time.Now(),
		UserAgent: marker,
		Detail:    code,
		Status:    st,
		Source:    s.Name(),
	})
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
