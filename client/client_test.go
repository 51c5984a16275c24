package client

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"ok defaults", Config{TokenURL: "http://127.0.0.1:1/token"}, ""},
		{"no token URL", Config{}, "token URL: empty"},
		{"relative URL", Config{TokenURL: "/token"}, "scheme"},
		{"ftp URL", Config{TokenURL: "ftp://h/x"}, "use http or https"},
		{"no marker in UA", Config{TokenURL: "http://h/t", UserAgent: "refreshconf/{version}"}, "has no {marker}"},
		{"UA with newline", Config{TokenURL: "http://h/t", UserAgent: "a {marker}\r\nX: y"}, "line break"},
		{"bad run ID", Config{TokenURL: "http://h/t", RunID: "has space"}, "run ID"},
		{"negative timeout", Config{TokenURL: "http://h/t", RequestTimeout: -1}, "negative"},
		{"negative concurrency", Config{TokenURL: "http://h/t", Concurrency: -2}, "concurrency"},
		{"missing CA file", Config{TokenURL: "https://h/t", CAFile: "/nonexistent/ca.pem"}, "reading the CA file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Warn = io.Discard
			c, err := New(tt.cfg)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				if !regexp.MustCompile(`^[0-9a-f]{8}$`).MatchString(c.RunID()) {
					t.Errorf("generated RunID %q is not 8 hex characters", c.RunID())
				}
				if c.MarkerPrefix() != "rc-"+c.RunID()+"-" {
					t.Errorf("MarkerPrefix = %q", c.MarkerPrefix())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestFormOrderDuplicatesAndEncoding(t *testing.T) {
	rec := newRecorder(t, nil)
	c := newTestClient(t, Config{TokenURL: rec.URL + "/token"})
	ex := c.Do(context.Background(), Request{Form: []Field{
		{"grant_type", "refresh_token"}, {"scope", "b"}, {"grant_type", "authorization_code"},
		{"z", "a b&c=d"}, {"a", ""},
	}})
	if ex.Err != nil || ex.Status != 200 {
		t.Fatalf("Do: status %d err %v", ex.Status, ex.Err)
	}
	got := rec.last(t)
	want := "grant_type=refresh_token&scope=b&grant_type=authorization_code&z=a+b%26c%3Dd&a="
	if got.Body != want {
		t.Errorf("wire body = %q, want %q", got.Body, want)
	}
	if got.Method != http.MethodPost {
		t.Errorf("method = %s, want POST", got.Method)
	}
	if ct := got.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		t.Errorf("Content-Type = %q", ct)
	}
}

func TestAuthModes(t *testing.T) {
	basic := func(s string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(s)) }
	form := []Field{{"grant_type", "refresh_token"}}
	tests := []struct {
		name     string
		auth     Auth
		wantAuth []string
		wantBody string
	}{
		{"none", Auth{Mode: AuthNone, ClientID: "id", ClientSecret: "sec"}, nil, "grant_type=refresh_token"},
		{"basic", Auth{Mode: AuthBasic, ClientID: "id", ClientSecret: "sec"}, []string{basic("id:sec")}, "grant_type=refresh_token"},
		{"basic encodes per RFC 6749", Auth{Mode: AuthBasic, ClientID: "i:d", ClientSecret: "s+c"}, []string{basic("i%3Ad:s%2Bc")}, "grant_type=refresh_token"},
		{"basic public client", Auth{Mode: AuthBasic, ClientID: "pub"}, []string{basic("pub:")}, "grant_type=refresh_token"},
		{"body", Auth{Mode: AuthBody, ClientID: "id", ClientSecret: "sec"}, nil, "grant_type=refresh_token&client_id=id&client_secret=sec"},
		{"body public client", Auth{Mode: AuthBody, ClientID: "pub"}, nil, "grant_type=refresh_token&client_id=pub"},
		{"both", Auth{Mode: AuthBoth, ClientID: "id", ClientSecret: "sec"}, []string{basic("id:sec")}, "grant_type=refresh_token&client_id=id&client_secret=sec"},
		{"raw header", Auth{Mode: AuthHeader, Header: "Bearer abc.def"}, []string{"Bearer abc.def"}, "grant_type=refresh_token"},
	}
	rec := newRecorder(t, nil)
	c := newTestClient(t, Config{TokenURL: rec.URL + "/token"})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex := c.Do(context.Background(), Request{Form: form, Auth: tt.auth})
			if ex.Err != nil {
				t.Fatal(ex.Err)
			}
			got := rec.last(t)
			if a := got.Header.Values("Authorization"); fmt.Sprint(a) != fmt.Sprint(tt.wantAuth) {
				t.Errorf("Authorization = %q, want %q", a, tt.wantAuth)
			}
			if got.Body != tt.wantBody {
				t.Errorf("body = %q, want %q", got.Body, tt.wantBody)
			}
		})
	}
	t.Run("unknown mode", func(t *testing.T) {
		ex := c.Do(context.Background(), Request{Auth: Auth{Mode: AuthMode(42)}})
		if !errors.Is(ex.Err, ErrBadRequest) || !strings.Contains(ex.Err.Error(), "unknown auth mode") {
			t.Fatalf("Err = %v, want ErrBadRequest naming the auth mode", ex.Err)
		}
	})
}

func TestMethodsBodiesAndHeaders(t *testing.T) {
	rec := newRecorder(t, nil)
	c := newTestClient(t, Config{TokenURL: rec.URL + "/token"})
	tests := []struct {
		name       string
		req        Request
		wantMethod string
		wantCT     []string
		wantBody   string
		wantQuery  string
		check      func(t *testing.T, s seen)
	}{
		{name: "GET with query, no body", req: Request{Method: "GET", Query: []Field{{"grant_type", "refresh_token"}, {"refresh_token", "x y"}, {"a", "1"}, {"a", "2"}}},
			wantMethod: "GET", wantCT: nil, wantQuery: "grant_type=refresh_token&refresh_token=x+y&a=1&a=2"},
		{name: "query appended to existing query", req: Request{URL: rec.URL + "/token?fixed=1", Query: []Field{{"b", "2"}}, Form: []Field{{"f", "v"}}},
			wantMethod: "POST", wantCT: []string{"application/x-www-form-urlencoded"}, wantBody: "f=v", wantQuery: "fixed=1&b=2"},
		{name: "JSON raw body", req: Request{RawBody: []byte(`{"grant_type":"refresh_token"}`), ContentType: "application/json"},
			wantMethod: "POST", wantCT: []string{"application/json"}, wantBody: `{"grant_type":"refresh_token"}`},
		{name: "no content type", req: Request{Form: []Field{{"a", "b"}}, NoContentType: true},
			wantMethod: "POST", wantCT: nil, wantBody: "a=b"},
		{name: "empty raw body still gets a content type", req: Request{RawBody: []byte{}},
			wantMethod: "POST", wantCT: []string{"application/x-www-form-urlencoded"}},
		{name: "PUT", req: Request{Method: "PUT", Form: []Field{{"a", "b"}}},
			wantMethod: "PUT", wantCT: []string{"application/x-www-form-urlencoded"}, wantBody: "a=b"},
		{name: "content type from Header replaces the default", req: Request{Form: []Field{{"a", "b"}}, Header: http.Header{"Content-Type": {"text/plain"}}},
			wantMethod: "POST", wantCT: []string{"text/plain"}, wantBody: "a=b"},
		{name: "extra headers and a second Authorization", req: Request{Form: []Field{{"a", "b"}}, Auth: Auth{Mode: AuthBasic, ClientID: "i", ClientSecret: "s"},
			Header: http.Header{"X-Extra": {"1"}, "Authorization": {"Bearer second"}}},
			wantMethod: "POST", wantCT: []string{"application/x-www-form-urlencoded"}, wantBody: "a=b",
			check: func(t *testing.T, s seen) {
				if s.Header.Get("X-Extra") != "1" || len(s.Header.Values("Authorization")) != 2 {
					t.Errorf("headers = %v, want X-Extra and two Authorization values", s.Header)
				}
			}},
		{name: "User-Agent in Header ignored without KeepUserAgent", req: Request{Header: http.Header{"User-Agent": {"mine"}}},
			wantMethod: "POST", check: func(t *testing.T, s seen) {
				if !strings.Contains(s.Header.Get("User-Agent"), "rc-deadbeef-") {
					t.Errorf("User-Agent = %q, want the marker template", s.Header.Get("User-Agent"))
				}
			}},
		{name: "User-Agent kept", req: Request{Header: http.Header{"User-Agent": {"mine"}}, KeepUserAgent: true},
			wantMethod: "POST", check: func(t *testing.T, s seen) {
				if s.Header.Get("User-Agent") != "mine" {
					t.Errorf("User-Agent = %q, want mine", s.Header.Get("User-Agent"))
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex := c.Do(context.Background(), tt.req)
			if ex.Err != nil || ex.Status != 200 {
				t.Fatalf("status %d err %v", ex.Status, ex.Err)
			}
			s := rec.last(t)
			if s.Method != tt.wantMethod {
				t.Errorf("method = %s, want %s", s.Method, tt.wantMethod)
			}
			if ct := s.Header.Values("Content-Type"); fmt.Sprint(ct) != fmt.Sprint(tt.wantCT) {
				t.Errorf("Content-Type = %q, want %q", ct, tt.wantCT)
			}
			if s.Body != tt.wantBody {
				t.Errorf("body = %q, want %q", s.Body, tt.wantBody)
			}
			if s.RawQuery != tt.wantQuery {
				t.Errorf("query = %q, want %q", s.RawQuery, tt.wantQuery)
			}
			if tt.check != nil {
				tt.check(t, s)
			}
			if ex.Method != tt.wantMethod {
				t.Errorf("Exchange.Method = %s", ex.Method)
			}
		})
	}
}

func TestMarkersUniqueInUserAgent(t *testing.T) {
	rec := newRecorder(t, nil)
	c := newTestClient(t, Config{TokenURL: rec.URL + "/token", Version: "1.2.3", Concurrency: 8})
	const n = 40
	exs := make([]*Exchange, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			exs[i] = c.Do(context.Background(), Request{Form: []Field{{"i", fmt.Sprint(i)}}})
		}()
	}
	wg.Wait()
	markerRe := regexp.MustCompile(`^rc-deadbeef-\d{6}$`)
	fromEx := map[string]bool{}
	for _, ex := range exs {
		if ex.Err != nil {
			t.Fatal(ex.Err)
		}
		if !markerRe.MatchString(ex.Marker) {
			t.Errorf("marker %q does not match %s", ex.Marker, markerRe)
		}
		fromEx[ex.Marker] = true
	}
	uas := map[string]bool{}
	for _, s := range rec.all() {
		ua := s.Header.Get("User-Agent")
		m := regexp.MustCompile(`^refreshconf/1\.2\.3 \(\+(rc-deadbeef-\d{6})\)$`).FindStringSubmatch(ua)
		if m == nil {
			t.Fatalf("User-Agent %q does not follow the default template", ua)
		}
		if uas[m[1]] {
			t.Errorf("marker %s sent twice", m[1])
		}
		uas[m[1]] = true
		if !fromEx[m[1]] {
			t.Errorf("marker %s on the wire is not any Exchange.Marker", m[1])
		}
	}
	if len(uas) != n {
		t.Errorf("%d distinct markers on the wire, want %d", len(uas), n)
	}
	// A chosen marker is reused, and a custom template is honoured.
	c2 := newTestClient(t, Config{TokenURL: rec.URL + "/token", UserAgent: "probe {marker} v{version}", Version: "9"})
	ex := c2.Do(context.Background(), Request{Marker: "rc-deadbeef-chosen"})
	if ua := rec.last(t).Header.Get("User-Agent"); ua != "probe rc-deadbeef-chosen v9" || ex.Marker != "rc-deadbeef-chosen" {
		t.Errorf("User-Agent %q, marker %q", ua, ex.Marker)
	}
}

func TestTimeouts(t *testing.T) {
	silent := rawServer(t, func(c net.Conn, done <-chan struct{}) {
		readRequestHead(c)
		<-done
	})
	trickle := rawServer(t, func(c net.Conn, done <-chan struct{}) {
		readRequestHead(c)
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
		for {
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
				if _, err := c.Write([]byte("{")); err != nil {
					return
				}
			}
		}
	})
	tests := []struct {
		name      string
		url       string
		wantPhase string
	}{
		{"server never answers", silent, PhaseHeaders},
		{"server trickles the body", trickle, PhaseBody},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestClient(t, Config{TokenURL: tt.url, RequestTimeout: 300 * time.Millisecond})
			start := time.Now()
			ex := c.Do(context.Background(), Request{Form: []Field{{"a", "b"}}})
			if el := time.Since(start); el > 2*time.Second {
				t.Errorf("Do took %s with a 300ms timeout", el)
			}
			if !errors.Is(ex.Err, ErrTimeout) {
				t.Fatalf("Err = %v, want ErrTimeout", ex.Err)
			}
			var te *TransportError
			if !errors.As(ex.Err, &te) || te.Phase != tt.wantPhase {
				t.Errorf("phase = %q, want %q", te.Phase, tt.wantPhase)
			}
			if msg := ex.Err.Error(); !strings.Contains(msg, "timed out after 300ms") || !strings.Contains(msg, tt.wantPhase) {
				t.Errorf("Err = %q, want the phase and the limit", msg)
			}
		})
	}
	t.Run("caller deadline", func(t *testing.T) {
		c := newTestClient(t, Config{TokenURL: silent})
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		ex := c.Do(ctx, Request{})
		if !errors.Is(ex.Err, ErrTimeout) || !strings.Contains(ex.Err.Error(), "caller's deadline") {
			t.Fatalf("Err = %v, want the caller's deadline", ex.Err)
		}
	})
}

func TestBodyCap(t *testing.T) {
	rec := newRecorder(t, func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		_, _ = w.Write(bytes.Repeat([]byte("x"), 1000))
	})
	tests := []struct {
		max       int64
		wantLen   int
		truncated bool
	}{{100, 100, true}, {1000, 1000, false}, {5000, 1000, false}}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.max), func(t *testing.T) {
			c := newTestClient(t, Config{TokenURL: rec.URL, MaxBodyBytes: tt.max})
			ex := c.Do(context.Background(), Request{})
			if ex.Err != nil {
				t.Fatal(ex.Err)
			}
			if len(ex.Body()) != tt.wantLen || ex.Truncated != tt.truncated {
				t.Errorf("body %d bytes truncated=%v, want %d, %v", len(ex.Body()), ex.Truncated, tt.wantLen, tt.truncated)
			}
		})
	}
}

func TestRetryAfter429(t *testing.T) {
	var n atomic.Int32
	rec := newRecorder(t, func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		if n.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token":"abc-opaque-token","token_type":"bearer"}`))
	})
	c := newTestClient(t, Config{TokenURL: rec.URL})
	start := time.Now()
	ex := c.Do(context.Background(), Request{Form: []Field{{"a", "b"}}})
	el := time.Since(start)
	if ex.Err != nil || ex.Status != 200 {
		t.Fatalf("status %d err %v, want 200 after the retry", ex.Status, ex.Err)
	}
	if el < 900*time.Millisecond {
		t.Errorf("retried after %s, want Retry-After (1s) honoured", el)
	}
	if ex.Attempts != 2 || len(ex.PriorMarkers) != 1 || ex.PriorMarkers[0] == ex.Marker {
		t.Errorf("attempts %d prior %v marker %s", ex.Attempts, ex.PriorMarkers, ex.Marker)
	}
	seenUA := rec.all()
	if len(seenUA) != 2 || !strings.Contains(seenUA[0].Header.Get("User-Agent"), ex.PriorMarkers[0]) || !strings.Contains(seenUA[1].Header.Get("User-Agent"), ex.Marker) {
		t.Errorf("wire markers do not match the exchange: %v", seenUA)
	}
	if ex.Field("access_token") != "abc-opaque-token" {
		t.Errorf("the live exchange's access_token is not readable")
	}

	t.Run("retries exhausted", func(t *testing.T) {
		var hits atomic.Int32
		always := newRecorder(t, func(w http.ResponseWriter, _ *http.Request, _ []byte) {
			hits.Add(1)
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
		})
		c := newTestClient(t, Config{TokenURL: always.URL, MaxRetries429: 2})
		ex := c.Do(context.Background(), Request{})
		if ex.Err != nil || ex.Status != 429 || ex.Attempts != 3 || hits.Load() != 3 {
			t.Errorf("status %d err %v attempts %d hits %d, want 429 after 3 attempts", ex.Status, ex.Err, ex.Attempts, hits.Load())
		}
	})
}

func TestRetryAfterParsing(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", time.Second},
		{"0", 0},
		{"3", 3 * time.Second},
		{" 2 ", 2 * time.Second},
		{"3600", MaxRetryAfter},
		{"-5", time.Second},
		{"soon", time.Second},
		{now.Add(4 * time.Second).Format(http.TimeFormat), 4 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{now.Add(time.Hour).Format(http.TimeFormat), MaxRetryAfter},
	}
	for _, tt := range tests {
		if got := retryAfter(tt.in, now); got != tt.want {
			t.Errorf("retryAfter(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	c := newTestClient(t, Config{TokenURL: "http://" + addr + "/token"})
	ex := c.Do(context.Background(), Request{})
	if !errors.Is(ex.Err, ErrRefused) {
		t.Fatalf("Err = %v, want ErrRefused", ex.Err)
	}
	msg := ex.Err.Error()
	for _, want := range []string{"connection refused", addr, PhaseConnect, "check the token URL"} {
		if !strings.Contains(msg, want) {
			t.Errorf("Err %q does not contain %q", msg, want)
		}
	}
	if ex.Status != 0 || ex.Attempts != 1 {
		t.Errorf("status %d attempts %d", ex.Status, ex.Attempts)
	}
}

func TestTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("{}")) }))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusted-certificate case makes the server log
	srv.StartTLS()
	t.Cleanup(srv.Close)
	t.Run("insecure warns once", func(t *testing.T) {
		var warn bytes.Buffer
		c := newTestClient(t, Config{TokenURL: srv.URL, Insecure: true, Warn: &warn})
		for range 3 {
			if ex := c.Do(context.Background(), Request{}); ex.Err != nil || ex.Status != 200 {
				t.Fatalf("status %d err %v", ex.Status, ex.Err)
			}
		}
		if n := strings.Count(warn.String(), "WARNING"); n != 1 {
			t.Errorf("%d warnings printed, want 1: %q", n, warn.String())
		}
	})
	t.Run("untrusted certificate", func(t *testing.T) {
		var warn bytes.Buffer
		c := newTestClient(t, Config{TokenURL: srv.URL, Warn: &warn})
		ex := c.Do(context.Background(), Request{})
		if !errors.Is(ex.Err, ErrTLS) || !strings.Contains(ex.Err.Error(), "ca_file") {
			t.Fatalf("Err = %v, want ErrTLS advising the CA file", ex.Err)
		}
		if warn.Len() != 0 {
			t.Errorf("unexpected warning %q", warn.String())
		}
	})
	t.Run("CA file", func(t *testing.T) {
		ca := filepath.Join(t.TempDir(), "ca.pem")
		if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
			t.Fatal(err)
		}
		c := newTestClient(t, Config{TokenURL: srv.URL, CAFile: ca})
		if ex := c.Do(context.Background(), Request{}); ex.Err != nil || ex.Status != 200 {
			t.Fatalf("status %d err %v", ex.Status, ex.Err)
		}
	})
	t.Run("CA file without certificates", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "bad.pem")
		if err := os.WriteFile(bad, []byte("not a cert"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := New(Config{TokenURL: srv.URL, CAFile: bad}); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
			t.Fatalf("New = %v, want a no-certificate error", err)
		}
	})
}

// inflight counts the maximum number of concurrent requests.
type inflight struct{ cur, max atomic.Int32 }

func (f *inflight) handler(d time.Duration) func(http.ResponseWriter, *http.Request, []byte) {
	return func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		n := f.cur.Add(1)
		for {
			m := f.max.Load()
			if n <= m || f.max.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(d)
		f.cur.Add(-1)
		_, _ = w.Write([]byte("{}"))
	}
}

func TestConcurrencyAndRateLimits(t *testing.T) {
	tests := []struct {
		name        string
		cfg         Config
		n           int
		wantMax     int32
		minDuration time.Duration
	}{
		{"concurrency cap 3", Config{Concurrency: 3}, 12, 3, 4 * 50 * time.Millisecond},
		{"rate 20/s", Config{RequestsPerSecond: 20}, 8, 0, 300 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f inflight
			rec := newRecorder(t, f.handler(50*time.Millisecond))
			tt.cfg.TokenURL = rec.URL
			c := newTestClient(t, tt.cfg)
			start := time.Now()
			var wg sync.WaitGroup
			for range tt.n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if ex := c.Do(context.Background(), Request{}); ex.Err != nil {
						t.Error(ex.Err)
					}
				}()
			}
			wg.Wait()
			if el := time.Since(start); el < tt.minDuration {
				t.Errorf("%d requests took %s, want at least %s", tt.n, el, tt.minDuration)
			}
			if tt.wantMax > 0 && f.max.Load() != tt.wantMax {
				t.Errorf("max in flight = %d, want %d", f.max.Load(), tt.wantMax)
			}
			if len(rec.all()) != tt.n {
				t.Errorf("server saw %d requests, want %d", len(rec.all()), tt.n)
			}
		})
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	rec := newRecorder(t, func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("WWW-Authenticate", `Basic realm="TSTDRV1"`)
		w.WriteHeader(401)
		_, _ = w.Write([]byte(`{"error":"invalid_client","refresh_token":"leaked-opaque-value"}`))
	})
	c := newTestClient(t, Config{TokenURL: rec.URL + "/token"})
	ex := c.Do(context.Background(), Request{Name: "bad client", Form: []Field{{"grant_type", "refresh_token"}}})
	b, err := json.Marshal(ex)
	if err != nil {
		t.Fatal(err)
	}
	got, err := UnmarshalExchange(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != 401 || got.Marker != ex.Marker || got.Name != "bad client" || got.Method != "POST" || got.Duration != ex.Duration {
		t.Errorf("restored %+v", got.Summary())
	}
	if got.Header.Get("WWW-Authenticate") != `Basic realm="TSTDRV1"` || got.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("restored header %v", got.Header)
	}
	if got.Field("error") != "invalid_client" {
		t.Errorf("restored error field %q", got.Field("error"))
	}
	if rt := got.Field("refresh_token"); !regexp.MustCompile(`^<[a-z_.]*refresh_token#[0-9a-f]{6}>$`).MatchString(rt) {
		t.Errorf("restored refresh_token = %q, want a redaction mark", rt)
	}
	if strings.Contains(string(got.Body()), "leaked-opaque-value") || strings.Contains(string(b), "leaked-opaque-value") {
		t.Error("the leaked token survived marshalling")
	}
	if got.Transcript() != ex.Transcript() {
		t.Errorf("transcripts differ:\n%s\n---\n%s", got.Transcript(), ex.Transcript())
	}

	// A transport error keeps its kind and phase.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	_ = ln.Close()
	c2 := newTestClient(t, Config{TokenURL: "http://" + addr + "/t"})
	fail := c2.Do(context.Background(), Request{})
	b, _ = json.Marshal(fail)
	got, err = UnmarshalExchange(b)
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(got.Err, ErrRefused) || got.Err.Error() != fail.Err.Error() {
		t.Errorf("restored Err = %v, want %v", got.Err, fail.Err)
	}
	if _, err := UnmarshalExchange([]byte("{nope")); err == nil {
		t.Error("UnmarshalExchange accepted garbage")
	}
}

func TestExchangeAccessors(t *testing.T) {
	var nilEx *Exchange
	if nilEx.Body() != nil || nilEx.Field("x") != "" || nilEx.Summary() != "(no exchange)" || nilEx.Transcript() != "(no exchange)" {
		t.Error("nil exchange accessors")
	}
	tests := []struct {
		body    string
		wantErr bool
		field   string
	}{
		{`{"error":"invalid_grant","n":1}`, false, "invalid_grant"},
		{`[1,2]`, true, ""},
		{`null`, true, ""},
		{``, true, ""},
		{`<html>`, true, ""},
	}
	for _, tt := range tests {
		ex := &Exchange{body: &rawBody{b: []byte(tt.body)}}
		_, err := ex.JSON()
		if (err != nil) != tt.wantErr {
			t.Errorf("JSON(%q) err = %v", tt.body, err)
		}
		if got := ex.Field("error"); got != tt.field {
			t.Errorf("Field(error) of %q = %q", tt.body, got)
		}
	}
	if (&Exchange{body: &rawBody{b: []byte(`{"n":1}`)}}).Field("n") != "" {
		t.Error("Field returned a non-string")
	}
}

func TestBadRequestsDoNotPanic(t *testing.T) {
	c := newTestClient(t, Config{TokenURL: "http://127.0.0.1:1/token"})
	tests := []Request{
		{URL: "::bad"},
		{Method: "BAD METHOD"},
		{Header: http.Header{"X-Evil": {"a\r\nInjected: 1"}}},
	}
	for _, r := range tests {
		ex := c.Do(context.Background(), r)
		if ex == nil || !errors.Is(ex.Err, ErrBadRequest) {
			t.Errorf("Do(%+v).Err = %v, want ErrBadRequest", r, ex.Err)
		}
	}
}
