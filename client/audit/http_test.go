package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const adminToken = "adm-7f3c9e1b2a4d"

// fakeTarget serves GET /audit/rows like the reference target.
type fakeTarget struct {
	mu          sync.Mutex
	rows        []fakeTargetRow
	hits        atomic.Int64
	ignoreAfter bool
	lastQuery   atomicString
}

type fakeTargetRow struct {
	id        int64
	date      time.Time
	ua        string
	detail    string
	visibleAt time.Time
}

type atomicString struct {
	mu sync.Mutex
	s  string
}

func (a *atomicString) Set(s string) { a.mu.Lock(); a.s = s; a.mu.Unlock() }
func (a *atomicString) Get() string  { a.mu.Lock(); defer a.mu.Unlock(); return a.s }

func (f *fakeTarget) add(ua, detail string, latency time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now()
	f.rows = append(f.rows, fakeTargetRow{id: int64(len(f.rows) + 1), date: now, ua: ua, detail: detail, visibleAt: now.Add(latency)})
}

func (f *fakeTarget) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.hits.Add(1)
	f.lastQuery.Set(r.URL.RawQuery)
	if r.Header.Get("Authorization") != "Bearer "+adminToken {
		http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
		return
	}
	q := r.URL.Query()
	after, _ := strconv.ParseInt(q.Get("after"), 10, 64)
	var since time.Time
	if s := q.Get("since"); s != "" {
		var err error
		if since, err = time.Parse(time.RFC3339Nano, s); err != nil {
			http.Error(w, "bad since", http.StatusBadRequest)
			return
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now()
	type row struct {
		ID        int64  `json:"id"`
		Date      string `json:"date"`
		Detail    string `json:"detail"`
		Status    string `json:"status"`
		UserAgent string `json:"user_agent"`
	}
	out := struct {
		Rows   []row `json:"rows"`
		LastID int64 `json:"last_id"`
	}{Rows: []row{}}
	for _, x := range f.rows {
		if now.Before(x.visibleAt) {
			break
		}
		if (!f.ignoreAfter && x.id <= after) || !strings.Contains(x.ua, q.Get("contains")) || x.date.Before(since) {
			continue
		}
		out.Rows = append(out.Rows, row{ID: x.id, Date: x.date.UTC().Format(time.RFC3339Nano), Detail: x.detail, Status: "Failure", UserAgent: x.ua})
		out.LastID = x.id
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

func newHTTPForTest(t testing.TB, url string) *HTTPSource {
	t.Helper()
	s, err := NewHTTP(HTTPConfig{URL: url, Headers: map[string]string{"Authorization": "Bearer " + adminToken}, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestHTTPSourceCursor(t *testing.T) {
	for _, ignoreAfter := range []bool{false, true} {
		t.Run(fmt.Sprintf("ignoreAfter=%v", ignoreAfter), func(t *testing.T) {
			ft := &fakeTarget{ignoreAfter: ignoreAfter}
			srv := httptest.NewServer(ft)
			defer srv.Close()
			s := newHTTPForTest(t, srv.URL+"/audit/rows?account=TSTDRV1")
			ctx := context.Background()
			ft.add("refreshconf/0.1 (+rc-1a2b3c4d-000001)", "InvalidSignature", 0)
			ft.add("curl/8", "ClientAuthenticationFailed", 0)
			ft.add("refreshconf/0.1 (+rc-1a2b3c4d-000002)", "RefreshTokenExpired", 0)

			since := time.Now().Add(-time.Hour)
			b, err := s.Fetch(ctx, Query{Contains: "rc-1a2b3c4d-", Since: since})
			if err != nil {
				t.Fatal(err)
			}
			if len(b.Entries) != 2 || b.Entries[0].Detail != "InvalidSignature" || b.Entries[1].ID != "3" || b.Cursor != "3" {
				t.Fatalf("first batch = %+v cursor %q", b.Entries, b.Cursor)
			}
			if b.Entries[0].Source != "http "+srv.URL+"/audit/rows" || b.Entries[0].Date.IsZero() {
				t.Fatalf("entry source/date = %q %v", b.Entries[0].Source, b.Entries[0].Date)
			}
			qs := ft.lastQuery.Get()
			for _, want := range []string{"account=TSTDRV1", "contains=rc-1a2b3c4d-", "since=" + strings.ReplaceAll(since.UTC().Format(time.RFC3339Nano), ":", "%3A")} {
				if !strings.Contains(qs, want) {
					t.Errorf("query %q lacks %q", qs, want)
				}
			}
			// Nothing new: nothing returned, cursor kept.
			b2, err := s.Fetch(ctx, Query{Contains: "rc-1a2b3c4d-", Cursor: b.Cursor})
			if err != nil {
				t.Fatal(err)
			}
			if len(b2.Entries) != 0 || b2.Cursor != "3" {
				t.Fatalf("second batch = %+v cursor %q, want none and 3", b2.Entries, b2.Cursor)
			}
			if !strings.Contains(ft.lastQuery.Get(), "after=3") {
				t.Errorf("query %q lacks after=3", ft.lastQuery.Get())
			}
			ft.add("refreshconf/0.1 (+rc-1a2b3c4d-000003)", "InvalidScope", 0)
			b3, err := s.Fetch(ctx, Query{Contains: "rc-1a2b3c4d-", Cursor: b2.Cursor})
			if err != nil {
				t.Fatal(err)
			}
			if len(b3.Entries) != 1 || b3.Entries[0].ID != "4" || b3.Cursor != "4" {
				t.Fatalf("third batch = %+v cursor %q", b3.Entries, b3.Cursor)
			}
		})
	}
}

func TestHTTPSourceErrors(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		body    string
		wantErr []string
	}{
		{name: "500 with jwt and echoed secret", status: 500, body: `{"error":"db down","token":"` + testJWT + `","auth":"Bearer ` + adminToken + `"}`, wantErr: []string{"status 500 Internal Server Error", "db down"}},
		{name: "401", status: 401, body: "nope", wantErr: []string{"status 401", "audit.headers"}},
		{name: "404", status: 404, body: "", wantErr: []string{"status 404", "audit.url", "(empty)"}},
		{name: "not json", status: 200, body: "<html>login</html>", wantErr: []string{"response is not JSON", "<html>login"}},
		{name: "array", status: 200, body: `[1]`, wantErr: []string{"response is a JSON array"}},
		{name: "no rows", status: 200, body: `{"last_id":3}`, wantErr: []string{`no "rows" field`}},
		{name: "rows wrong type", status: 200, body: `{"rows":{}}`, wantErr: []string{`field "rows": want array, got object`}},
		{name: "row not object", status: 200, body: `{"rows":[1]}`, wantErr: []string{"rows[0]: want object, got number"}},
		{name: "field wrong type", status: 200, body: `{"rows":[{"id":1,"user_agent":"rc-x"},{"id":2,"detail":42}]}`, wantErr: []string{`rows[1]: field "detail": want string, got number`}},
		{name: "last_id wrong type", status: 200, body: `{"rows":[],"last_id":true}`, wantErr: []string{`"last_id": want number, got boolean`}},
		{name: "too large", status: 200, body: `{"rows":[],"pad":"` + strings.Repeat("x", 300) + `"}`, wantErr: []string{"larger than 256 bytes", "limits.max_body_bytes"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			s, err := NewHTTP(HTTPConfig{URL: srv.URL + "/audit/rows?token=" + adminToken, Headers: map[string]string{"Authorization": "Bearer " + adminToken}, MaxBodyBytes: 256})
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.Fetch(context.Background(), Query{Contains: "rc-"})
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			for _, w := range tc.wantErr {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
			for _, leak := range []string{adminToken, "eyJzdWIi", "c2lnbmF0dXJl"} {
				if strings.Contains(msg, leak) {
					t.Errorf("error leaks %q: %s", leak, msg)
				}
			}
		})
	}
}

func TestHTTPSourceTimeoutAndUnreachable(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	s, err := NewHTTP(HTTPConfig{URL: srv.URL + "/audit/rows", Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = s.Fetch(context.Background(), Query{})
	if err == nil || !strings.Contains(err.Error(), "no answer within 100ms") {
		t.Fatalf("timeout error = %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("timeout took %v", d)
	}

	// A closed port on loopback.
	dead := httptest.NewServer(http.NotFoundHandler())
	u := dead.URL
	dead.Close()
	s2, err := NewHTTP(HTTPConfig{URL: u + "/audit/rows?token=" + adminToken, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s2.Fetch(context.Background(), Query{})
	if err == nil || !strings.Contains(err.Error(), "GET failed") || strings.Contains(err.Error(), adminToken) {
		t.Fatalf("unreachable error = %v", err)
	}
}

func TestNewHTTPValidation(t *testing.T) {
	tests := []struct {
		name string
		cfg  HTTPConfig
		want string
	}{
		{"empty", HTTPConfig{}, "URL is empty"},
		{"relative", HTTPConfig{URL: "/audit/rows"}, "must be absolute"},
		{"ftp", HTTPConfig{URL: "ftp://127.0.0.1/x"}, "must be absolute"},
		{"userinfo", HTTPConfig{URL: "http://u:p@127.0.0.1/x"}, "must not carry user:password"},
		{"bad header", HTTPConfig{URL: "http://127.0.0.1/x", Headers: map[string]string{"A B": "x"}}, "invalid header name"},
		{"crlf", HTTPConfig{URL: "http://127.0.0.1/x", Headers: map[string]string{"X": "a\r\nb"}}, "line break"},
		{"negative", HTTPConfig{URL: "http://127.0.0.1/x", Timeout: -1}, "negative"},
		{"field map", HTTPConfig{URL: "http://127.0.0.1/x", Fields: map[string]string{"nope": "x"}}, "unknown field"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewHTTP(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "u:p") {
				t.Fatalf("error leaks user info: %v", err)
			}
		})
	}
}

func TestHTTPSourceNonNumericIDs(t *testing.T) {
	var gotAfter atomicString
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAfter.Set(r.URL.Query().Get("after"))
		if r.URL.Query().Get("after") == "" {
			_, _ = w.Write([]byte(`{"rows":[{"id":"a-1","user_agent":"rc-x-1"},{"id":"a-2","user_agent":"rc-x-2"}],"last_id":"a-2"}`))
			return
		}
		_, _ = w.Write([]byte(`{"rows":[],"last_id":"a-2"}`))
	}))
	defer srv.Close()
	s, err := NewHTTP(HTTPConfig{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Fetch(context.Background(), Query{Contains: "rc-x-"})
	if err != nil || len(b.Entries) != 2 || b.Cursor != "a-2" {
		t.Fatalf("batch = %+v, %v", b, err)
	}
	b, err = s.Fetch(context.Background(), Query{Contains: "rc-x-", Cursor: b.Cursor})
	if err != nil || len(b.Entries) != 0 || b.Cursor != "a-2" || gotAfter.Get() != "a-2" {
		t.Fatalf("batch = %+v, %v, after=%q", b, err, gotAfter.Get())
	}
}

// TestHTTPSourceDoesNotFollowRedirects: a redirect would carry
// audit.headers (here an API key, which net/http forwards to any host) to
// another server; the source must stop at the 3xx and name its target.
func TestHTTPSourceDoesNotFollowRedirects(t *testing.T) {
	var elsewhereHits atomic.Int32
	var leaked atomic.Value
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhereHits.Add(1)
		leaked.Store(r.Header.Get("X-Api-Key"))
		_, _ = w.Write([]byte(`{"rows":[]}`))
	}))
	defer elsewhere.Close()
	for _, code := range []int{http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, elsewhere.URL+"/rows?sig=secret-in-query", code)
		}))
		s, err := NewHTTP(HTTPConfig{URL: srv.URL + "/audit/rows", Headers: map[string]string{"X-Api-Key": adminToken}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Fetch(context.Background(), Query{Contains: "rc-"})
		srv.Close()
		if err == nil {
			t.Fatalf("%d: Fetch followed the redirect (no error)", code)
		}
		for _, want := range []string{fmt.Sprint(code), "redirects are not followed", elsewhere.URL + "/rows", "audit.url"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%d: error %q lacks %q", code, err, want)
			}
		}
		if strings.Contains(err.Error(), "secret-in-query") || strings.Contains(err.Error(), adminToken) {
			t.Errorf("%d: error shows the redirect's query or the key: %s", code, err)
		}
	}
	if n := elsewhereHits.Load(); n != 0 {
		t.Errorf("the redirect target was queried %d times (key sent: %v)", n, leaked.Load())
	}
}
