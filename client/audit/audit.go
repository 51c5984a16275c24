// Package audit reads Login Audit Trail rows from a target and matches them
// to the correlation markers the harness stamps into every request's
// User-Agent.
//
// A Source reads rows: from a JSON endpoint (HTTP), a growing log file
// (JSONL), a NetSuite Login Audit Trail CSV export (CSV), any command
// printing JSON lines (Exec), or the target's own responses (Response).
// FromProfile builds the source a profile configures.
//
// One Poller per run batches the lookups: however many markers are pending,
// each poll is a single Fetch for the run's common marker prefix, and the
// rows are distributed to the markers they contain. Awaiting 100 markers
// therefore costs one query per poll interval, not 100.
package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Audit row status values.
const (
	StatusSuccess = "Success"
	StatusFailure = "Failure"
)

// Entry is one Login Audit Trail row. Its JSON form is the reference
// target's row shape (fixtures/target/API.md, "Audit trail JSON").
type Entry struct {
	// ID identifies the row within its source; sources without row IDs
	// synthesise a stable one (or leave it empty, see each source).
	ID string `json:"id,omitempty"`
	// Date is when the target recorded the row.
	Date time.Time `json:"date"`
	// User is the user's name (empty when the request failed before the
	// user was known).
	User string `json:"user,omitempty"`
	// Email is the user's email address.
	Email string `json:"email,omitempty"`
	// Role is the role's name.
	Role string `json:"role,omitempty"`
	// IPAddress is the client's address as the target saw it.
	IPAddress string `json:"ip_address,omitempty"`
	// RequestURI is the path of the request.
	RequestURI string `json:"request_uri,omitempty"`
	// Detail is the audit code (empty on success).
	Detail string `json:"detail,omitempty"`
	// Status is StatusSuccess or StatusFailure.
	Status string `json:"status,omitempty"`
	// Application is the Token-based Application Name.
	Application string `json:"application,omitempty"`
	// UserAgent is the request's User-Agent; it carries the marker.
	UserAgent string `json:"user_agent,omitempty"`
	// Account is the account (company) ID.
	Account string `json:"account,omitempty"`
	// Source names the Source the row was read from.
	Source string `json:"source,omitempty"`
	// Reason is the target's own reason for the row (redacted, short),
	// kept when classify rules produced Detail (Unclassified when none
	// matched), so the report can show it.
	Reason string `json:"reason,omitempty"`
}

// Query asks a Source for rows.
type Query struct {
	// Contains is a substring the row's UserAgent must contain (usually
	// the run's marker prefix); empty matches every row.
	Contains string
	// Cursor is the Cursor of the previous Batch; empty on the first call.
	Cursor string
	// Since is a lower bound on the row date, used by sources without
	// cursors; the zero time means no bound.
	Since time.Time
}

// Batch is the answer to a Query.
type Batch struct {
	// Entries are the new rows, oldest first where the source knows.
	Entries []Entry
	// Cursor is to be passed back in the next Query.
	Cursor string
}

// Source reads audit rows.
type Source interface {
	// Name identifies the source in errors and reports; it never holds a
	// secret.
	Name() string
	// Fetch returns entries whose UserAgent contains q.Contains and that
	// are newer than q.Cursor (or, for sources without cursors, newer than
	// q.Since); the returned Cursor is passed back next time.
	Fetch(ctx context.Context, q Query) (Batch, error)
}

// Noter is implemented by sources that can explain why rows may be
// missing (lines skipped, rows dropped by the date bound). The Poller
// appends the notes to its timeout errors.
type Noter interface {
	// Notes returns a short human-readable explanation, or "".
	Notes() string
}

// Field names of the JSON row shape, as used in field maps.
const (
	FieldID          = "id"
	FieldDate        = "date"
	FieldAccount     = "account"
	FieldUser        = "user"
	FieldEmail       = "email"
	FieldRole        = "role"
	FieldIPAddress   = "ip_address"
	FieldRequestURI  = "request_uri"
	FieldDetail      = "detail"
	FieldStatus      = "status"
	FieldApplication = "application"
	FieldUserAgent   = "user_agent"
)

// rowFields lists every field of the row shape in a fixed order.
var rowFields = []string{
	FieldID, FieldDate, FieldAccount, FieldUser, FieldEmail, FieldRole, FieldIPAddress,
	FieldRequestURI, FieldDetail, FieldStatus, FieldApplication, FieldUserAgent,
}

// fieldMap maps a row-shape field name to the path of keys holding it in a
// JSON object.
type fieldMap map[string][]string

// newFieldMap returns the default map overridden by custom, which maps
// row-shape field names to (dot-separated) keys of the JSON objects.
func newFieldMap(custom map[string]string) (fieldMap, error) {
	fm := make(fieldMap, len(rowFields))
	for _, f := range rowFields {
		fm[f] = []string{f}
	}
	for k, v := range custom {
		if _, ok := fm[k]; !ok {
			return nil, fmt.Errorf("field map: unknown field %q (valid: %s)", k, strings.Join(rowFields, ", "))
		}
		v = strings.TrimSpace(v)
		if v == "" {
			return nil, fmt.Errorf("field map: field %q maps to an empty key", k)
		}
		fm[k] = strings.Split(v, ".")
	}
	return fm, nil
}

// decodeObject parses one JSON object, keeping numbers exact.
func decodeObject(data []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("not JSON: trailing data after the object")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("want a JSON object, got %s", jsonType(v))
	}
	return obj, nil
}

// jsonType names the JSON type of a decoded value.
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case json.Number, float64:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// lookup follows path through nested objects.
func lookup(obj map[string]any, path []string) (any, bool) {
	var cur any = obj
	for _, k := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		cur, ok = m[k]
		if !ok {
			return nil, false
		}
	}
	return cur, true
}

// entryFromObject converts a decoded JSON row into an Entry. It returns the
// date's precision (how much later than Date the row may really be).
func entryFromObject(obj map[string]any, fm fieldMap, loc *time.Location) (Entry, time.Duration, error) {
	var e Entry
	var prec time.Duration
	for _, f := range rowFields {
		path := fm[f]
		v, ok := lookup(obj, path)
		if !ok || v == nil {
			continue
		}
		key := strings.Join(path, ".")
		switch f {
		case FieldID:
			switch x := v.(type) {
			case string:
				e.ID = x
			case json.Number:
				e.ID = x.String()
			default:
				return Entry{}, 0, fmt.Errorf("field %q: want string or number, got %s", key, jsonType(v))
			}
			continue
		case FieldDate:
			switch x := v.(type) {
			case string:
				if x == "" {
					continue
				}
				t, p, err := parseDate(x, loc)
				if err != nil {
					return Entry{}, 0, fmt.Errorf("field %q: %w", key, err)
				}
				e.Date, prec = t, p
			case json.Number:
				sec, err := x.Float64()
				if err != nil {
					return Entry{}, 0, fmt.Errorf("field %q: bad number %s", key, x)
				}
				e.Date = time.Unix(0, int64(sec*1e9)).UTC()
			default:
				return Entry{}, 0, fmt.Errorf("field %q: want an RFC 3339 string or Unix seconds, got %s", key, jsonType(v))
			}
			continue
		}
		s, ok := v.(string)
		if !ok {
			return Entry{}, 0, fmt.Errorf("field %q: want string, got %s", key, jsonType(v))
		}
		switch f {
		case FieldAccount:
			e.Account = s
		case FieldUser:
			e.User = s
		case FieldEmail:
			e.Email = s
		case FieldRole:
			e.Role = s
		case FieldIPAddress:
			e.IPAddress = s
		case FieldRequestURI:
			e.RequestURI = s
		case FieldDetail:
			e.Detail = s
		case FieldStatus:
			e.Status = s
		case FieldApplication:
			e.Application = s
		case FieldUserAgent:
			e.UserAgent = s
		}
	}
	return e, prec, nil
}

// dateLayout is one accepted date format and its precision.
type dateLayout struct {
	layout string
	prec   time.Duration
	upper  bool // parse the upper-cased input (am/pm)
}

// dateLayouts are tried in order. Fractional seconds are accepted after
// the seconds field by time.Parse even when the layout lacks them.
var dateLayouts = []dateLayout{
	{time.RFC3339Nano, time.Second, false},
	{"2006-01-02 15:04:05Z07:00", time.Second, false},
	{"2006-01-02T15:04:05", time.Second, false},
	{"2006-01-02 15:04:05", time.Second, false},
	{"2006-01-02 15:04", time.Minute, false},
	{"1/2/2006 3:04:05 PM", time.Second, true},
	{"1/2/2006 3:04 PM", time.Minute, true},
	{"1/2/2006 15:04:05", time.Second, false},
	{"1/2/2006 15:04", time.Minute, false},
}

// DateFormats describes the accepted date formats (for error messages).
const DateFormats = `RFC 3339 ("2026-11-28T15:04:05Z"), "2026-11-28 15:04:05", or NetSuite's M/D/YYYY h:mm am/pm ("11/28/2026 3:04 pm")`

// parseDate parses s in one of the accepted formats; dates without a zone
// are read in loc. It returns the format's precision.
func parseDate(s string, loc *time.Location) (time.Time, time.Duration, error) {
	if loc == nil {
		loc = time.Local
	}
	s = strings.Join(strings.Fields(s), " ")
	up := strings.ToUpper(s)
	for _, l := range dateLayouts {
		in := s
		if l.upper {
			in = up
		}
		if t, err := time.ParseInLocation(l.layout, in, loc); err == nil {
			return t, l.prec, nil
		}
	}
	return time.Time{}, 0, fmt.Errorf("unparsable date %q: want %s", truncate(s, 64), DateFormats)
}

// newerThan reports whether an entry dated d with precision prec may be
// at or after since. Undated entries always pass.
func newerThan(d time.Time, prec time.Duration, since time.Time) bool {
	if since.IsZero() || d.IsZero() {
		return true
	}
	return d.Add(prec).After(since) || d.Equal(since)
}

// contentID returns a stable synthetic ID for a row without one: a hash of
// its content plus its occurrence number among identical rows (so genuine
// duplicate rows keep distinct IDs).
func contentID(parts []string, occurrence int) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return fmt.Sprintf("h%s.%d", hex.EncodeToString(h.Sum(nil))[:16], occurrence)
}

// entryKey is the content of an entry used for synthetic IDs.
func entryKey(e Entry) []string {
	return []string{
		e.Date.UTC().Format(time.RFC3339Nano), e.User, e.Email, e.Role, e.IPAddress, e.RequestURI,
		e.Detail, e.Status, e.Application, e.UserAgent, e.Account,
	}
}

var (
	// jwsLike matches compact JWS/JWE and any long base64url JSON
	// ("eyJ...") fragment, including a truncated one.
	jwsLike = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}(?:\.[A-Za-z0-9_-]*){0,4}`)
	// authScheme matches credentials after an HTTP auth scheme.
	authScheme = regexp.MustCompile(`(?i)\b(bearer|basic|digest|dpop)(\s+)[A-Za-z0-9._~+/=-]{4,}`)
	// secretField matches name=value and "name":"value" for secret names.
	secretField = regexp.MustCompile(`(?i)("?(?:client_secret|refresh_token|access_token|id_token|token|password|secret|api_key|apikey|admin_token|private_key(?:_pem)?)"?\s*[:=]\s*"?)([^"&\s,;}]+)`)
)

// redacted replaces secrets in s.
const redacted = "[redacted]"

// redactText removes JWTs, bearer/basic credentials, secret-named fields
// and the literal secrets given from s.
func redactText(s string, secrets ...string) string {
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, redacted)
		}
	}
	s = jwsLike.ReplaceAllString(s, redacted)
	s = authScheme.ReplaceAllString(s, "${1}${2}"+redacted)
	s = secretField.ReplaceAllString(s, "${1}"+redacted)
	return s
}

// truncate shortens s to at most n bytes on a rune boundary, marking the
// cut with "...".
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// snippet is what errors show of a body: redacted, single-line, at most
// 200 bytes.
func snippet(b []byte, secrets ...string) string {
	s := redactText(string(b), secrets...)
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return "(empty)"
	}
	return truncate(s, 200)
}
