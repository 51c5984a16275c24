package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Transcript bounds.
const (
	maxBodyChars       = 4096
	maxHeaderChars     = 512
	maxTranscriptChars = 16384
	// maxRedactedBody bounds the redacted copy of a response body.
	maxRedactedBody = 64 << 10
)

// rawBody holds the response body behind a pointer, so printing an Exchange
// value with fmt shows an address, never the bytes.
type rawBody struct{ b []byte }

// Exchange is one recorded request and its response. Every exported field
// is already redacted; only Body returns unredacted bytes (on a live
// exchange).
type Exchange struct {
	// Marker is the correlation marker sent in the User-Agent (of the last
	// attempt).
	Marker string
	// Name is Request.Name.
	Name string
	// Started is when Do was called; Duration is how long it took overall.
	Started  time.Time
	Duration time.Duration
	// Method and URL (redacted) of the request.
	Method, URL string
	// Status is the HTTP status (0 when no response arrived).
	Status int
	// Header is the response header, redacted.
	Header http.Header
	// Truncated is set when the body exceeded Config.MaxBodyBytes and was cut.
	Truncated bool
	// Err is the transport failure, a *TransportError (redacted; it says
	// what happened, in which phase, and how to fix it), or nil.
	Err error
	// Attempts is the number of requests sent (more than 1 after 429s).
	Attempts int
	// PriorMarkers are the markers of earlier attempts answered 429.
	PriorMarkers []string

	body    *rawBody
	redBody string // redacted body
	reqText string // redacted request part of the transcript
	proto   string
}

// Body returns the response body: raw on a live exchange (it may hold
// tokens: NEVER print or log it), redacted on one restored by
// UnmarshalExchange.
func (e *Exchange) Body() []byte {
	if e == nil || e.body == nil {
		return nil
	}
	return e.body.b
}

// JSON decodes the body as a JSON object.
func (e *Exchange) JSON() (map[string]any, error) {
	b := e.Body()
	if len(b) == 0 {
		return nil, errors.New("the response body is empty, not a JSON object")
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("the response body is not a JSON object (Content-Type %q): %w", e.Header.Get("Content-Type"), err)
	}
	if m == nil {
		return nil, errors.New("the response body is JSON null, not an object")
	}
	return m, nil
}

// Field returns the top-level JSON string field name of the body, or "" if
// the body is not a JSON object or the field is absent or not a string.
func (e *Exchange) Field(name string) string {
	m, err := e.JSON()
	if err != nil {
		return ""
	}
	s, _ := m[name].(string)
	return s
}

// clip bounds s to n bytes, saying how much was left out.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && cut < len(s) && s[cut]&0xC0 == 0x80 { // not inside a UTF-8 sequence
		cut--
	}
	return s[:cut] + "…[" + strconv.Itoa(len(s)-cut) + " more bytes]"
}

// writeBody writes a (redacted) body, line by line with prefix, bounded.
func writeBody(b *strings.Builder, prefix, body string) {
	for _, line := range strings.Split(strings.TrimRight(clip(body, maxBodyChars), "\n"), "\n") {
		b.WriteString(prefix)
		b.WriteString(line)
		b.WriteByte('\n')
	}
}

// Transcript returns the request and response, redacted and bounded in
// length: request line, headers and body, response status, headers and
// body, and the transport error if any.
func (e *Exchange) Transcript() string {
	if e == nil {
		return "(no exchange)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# %s marker=%s attempts=%d duration=%s\n", e.displayName(), e.Marker, e.Attempts, e.Duration.Round(time.Microsecond))
	if len(e.PriorMarkers) > 0 {
		fmt.Fprintf(&b, "# earlier attempts answered 429: %s\n", strings.Join(e.PriorMarkers, ", "))
	}
	if e.reqText != "" {
		b.WriteString(e.reqText)
	} else {
		fmt.Fprintf(&b, "> %s %s\n", e.Method, e.URL)
	}
	if e.Status != 0 {
		proto := e.proto
		if proto == "" {
			proto = "HTTP/1.1"
		}
		fmt.Fprintf(&b, "< %s %d %s\n", proto, e.Status, http.StatusText(e.Status))
		keys := make([]string, 0, len(e.Header))
		for k := range e.Header {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			for _, v := range e.Header[k] {
				fmt.Fprintf(&b, "< %s: %s\n", k, clip(v, maxHeaderChars))
			}
		}
		if e.redBody != "" {
			b.WriteString("<\n")
			writeBody(&b, "< ", e.redBody)
		}
		if e.Truncated {
			b.WriteString("< …[body cut at the size limit]\n")
		}
	}
	if e.Err != nil {
		fmt.Fprintf(&b, "! %s\n", e.Err.Error())
	}
	return clip(b.String(), maxTranscriptChars)
}

// displayName is the name shown in transcripts.
func (e *Exchange) displayName() string {
	if e.Name == "" {
		return "(unnamed)"
	}
	return strconv.Quote(e.Name)
}

// Summary returns one redacted line: marker, method, URL, status and error
// value, or the transport error.
func (e *Exchange) Summary() string {
	if e == nil {
		return "(no exchange)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s", e.Marker, e.Method, e.URL)
	if e.Name != "" {
		fmt.Fprintf(&b, " [%s]", e.Name)
	}
	switch {
	case e.Err != nil:
		fmt.Fprintf(&b, " -> failed: %s", strings.Join(strings.Fields(e.Err.Error()), " "))
	default:
		fmt.Fprintf(&b, " -> %d", e.Status)
		if v := redactedField(e, "error"); v != "" {
			fmt.Fprintf(&b, " error=%q", v)
		}
		if e.Truncated {
			b.WriteString(" (body truncated)")
		}
	}
	fmt.Fprintf(&b, " (%s)", e.Duration.Round(time.Millisecond))
	return clip(b.String(), 1024)
}

// redactedField is Field read from the redacted body.
func redactedField(e *Exchange, name string) string {
	var m map[string]any
	if json.Unmarshal([]byte(e.redBody), &m) != nil {
		return ""
	}
	s, _ := m[name].(string)
	return s
}

// String returns Summary.
func (e *Exchange) String() string { return e.Summary() }

// GoString returns Summary, so %#v does not dump the body.
func (e *Exchange) GoString() string { return "client.Exchange{" + e.Summary() + "}" }

// Format prints Summary for %v and %s, and the Transcript for %+v.
func (e *Exchange) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'):
		fmt.Fprint(f, e.GoString())
	case verb == 'v' && f.Flag('+'):
		fmt.Fprint(f, e.Transcript())
	case verb == 'q':
		fmt.Fprintf(f, "%q", e.Summary())
	default:
		fmt.Fprint(f, e.Summary())
	}
}

// exchangeWire is the redacted JSON form of an Exchange.
type exchangeWire struct {
	Marker       string      `json:"marker"`
	Name         string      `json:"name,omitempty"`
	Started      time.Time   `json:"started"`
	Duration     string      `json:"duration"`
	Method       string      `json:"method"`
	URL          string      `json:"url"`
	Status       int         `json:"status"`
	Proto        string      `json:"proto,omitempty"`
	Header       http.Header `json:"header,omitempty"`
	Truncated    bool        `json:"truncated,omitempty"`
	Attempts     int         `json:"attempts"`
	PriorMarkers []string    `json:"prior_markers,omitempty"`
	Error        *errorWire  `json:"error,omitempty"`
	Request      string      `json:"request,omitempty"`
	// JSON is the redacted response body when it is a JSON object, for
	// readers of reports; Body is the same text, authoritative on restore.
	JSON       json.RawMessage `json:"json,omitempty"`
	Body       *string         `json:"body,omitempty"`
	Transcript string          `json:"transcript"`
}

// errorWire is the redacted JSON form of a TransportError.
type errorWire struct {
	Kind    string `json:"kind"`
	Phase   string `json:"phase"`
	Detail  string `json:"detail"`
	Message string `json:"message"`
}

// MarshalJSON encodes the redacted view only: the redacted transcript,
// status, headers, the transport error, and the response body (also as
// JSON when it is an object) with token and secret fields redacted. Use it for reports and to pass
// exchanges between Ginkgo processes.
func (e *Exchange) MarshalJSON() ([]byte, error) {
	if e == nil {
		return []byte("null"), nil
	}
	w := exchangeWire{
		Marker: e.Marker, Name: e.Name, Started: e.Started, Duration: e.Duration.String(),
		Method: e.Method, URL: e.URL, Status: e.Status, Proto: e.proto, Header: e.Header,
		Truncated: e.Truncated, Attempts: e.Attempts, PriorMarkers: e.PriorMarkers,
		Request: e.reqText, Transcript: e.Transcript(),
	}
	if e.Err != nil {
		ew := &errorWire{Kind: kindNames[ErrNetwork], Message: e.Err.Error()}
		var te *TransportError
		if errors.As(e.Err, &te) {
			ew.Phase, ew.Detail = te.Phase, te.Detail
			if n, ok := kindNames[te.Kind]; ok {
				ew.Kind = n
			}
		} else {
			ew.Detail = e.Err.Error()
		}
		w.Error = ew
	}
	if e.redBody != "" {
		trimmed := strings.TrimSpace(e.redBody)
		if strings.HasPrefix(trimmed, "{") && json.Valid([]byte(trimmed)) {
			w.JSON = json.RawMessage(trimmed)
		}
		s := e.redBody
		w.Body = &s
	}
	b, err := json.Marshal(w)
	if err != nil {
		return nil, fmt.Errorf("encoding exchange %s: %w", e.Marker, err)
	}
	return b, nil
}

// UnmarshalExchange restores an exchange from MarshalJSON's redacted view.
// Body then returns the redacted body, and Err is a *TransportError with
// the recorded kind and phase.
func UnmarshalExchange(b []byte) (*Exchange, error) {
	var w exchangeWire
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, fmt.Errorf("decoding a recorded exchange: %w", err)
	}
	e := &Exchange{
		Marker: w.Marker, Name: w.Name, Started: w.Started, Method: w.Method, URL: w.URL,
		Status: w.Status, proto: w.Proto, Header: w.Header, Truncated: w.Truncated,
		Attempts: w.Attempts, PriorMarkers: w.PriorMarkers, reqText: w.Request,
		body: &rawBody{},
	}
	if w.Duration != "" {
		d, err := time.ParseDuration(w.Duration)
		if err != nil {
			return nil, fmt.Errorf("decoding a recorded exchange: duration %q: %w", w.Duration, err)
		}
		e.Duration = d
	}
	switch {
	case w.Body != nil:
		e.redBody = *w.Body
	case len(w.JSON) > 0:
		e.redBody = string(w.JSON)
	}
	e.body.b = []byte(e.redBody)
	if w.Error != nil {
		e.Err = &TransportError{Method: w.Method, URL: w.URL, Phase: w.Error.Phase, Kind: kindByName(w.Error.Kind), Detail: w.Error.Detail}
	}
	return e, nil
}

// SentHeader reports whether the request carried header name (read from
// the redacted request part of the transcript, so it also works on an
// exchange restored by UnmarshalExchange).
func (e *Exchange) SentHeader(name string) bool {
	if e == nil {
		return false
	}
	prefix := "> " + http.CanonicalHeaderKey(name) + ":"
	for _, l := range strings.Split(e.reqText, "\n") {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}
