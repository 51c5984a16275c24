package audit

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fuzzMarker is the marker prefix every fuzz query asks for.
const fuzzMarker = "rc-fuzz0001-"

// rowSeeds are row-shaped JSON objects (one line each) the fuzzers start from.
var rowSeeds = []string{
	`{"id":12,"date":"2026-11-28T12:00:00.123Z","account":"TSTDRV1","user":"Test User","email":"user@example.com","role":"Administrator","ip_address":"127.0.0.1","request_uri":"/TSTDRV1/services/rest/auth/oauth2/v1/token","detail":"InvalidSignature","status":"Failure","application":"refreshconf primary","user_agent":"refreshconf/0.1 (+rc-fuzz0001-000001)"}`,
	`{"id":"13","date":"2026-11-28 12:00:01","detail":"","status":"Success","user_agent":"rc-fuzz0001-000002"}`,
	`{"date":"11/28/2026 3:04 pm","detail":"RefreshTokenExpired","status":"Failure","user_agent":"x rc-fuzz0001-000003"}`,
	`{"id":-1,"date":"","user_agent":"rc-fuzz0001-"}`,
	`{"id":1e400,"date":null,"detail":7,"user_agent":["rc-fuzz0001-"]}`,
	`{"date":"2026-11-28T12:00:00Z","user_agent":"rc-fuzz0001-4","extra":{"nested":[1,2,{"a":null}]}}`,
	`[]`, `null`, `"str"`, `{`, `{"user_agent":"\u0000rc-fuzz0001-\ud800"}`,
}

// checkEntries asserts what every source promises about its entries.
func checkEntries(t *testing.T, src string, es []Entry) {
	t.Helper()
	for i, e := range es {
		if !strings.Contains(e.UserAgent, fuzzMarker) {
			t.Fatalf("%s: entry %d lacks the queried marker: UserAgent %q", src, i, e.UserAgent)
		}
		if e.Source == "" {
			t.Fatalf("%s: entry %d has no Source", src, i)
		}
	}
}

// withDeadline fails the fuzz input if fn takes longer than 10 s (a hang).
func withDeadline(t *testing.T, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s hangs", what)
	}
}

// FuzzHTTPBody fuzzes the body of the audit endpoint's answer, served over
// loopback to a real HTTPSource.
func FuzzHTTPBody(f *testing.F) {
	var mu sync.Mutex
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		b := body
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
	}))
	f.Cleanup(srv.Close)
	src, err := NewHTTP(HTTPConfig{URL: srv.URL + "/audit/rows", Headers: map[string]string{"Authorization": "Bearer " + adminToken}, Timeout: 5 * time.Second})
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(`{"rows":[` + rowSeeds[0] + `,` + rowSeeds[1] + `],"last_id":13}`))
	f.Add([]byte(`{"rows":[],"last_id":"abc"}`))
	f.Add([]byte(`{"rows":null}`))
	f.Add([]byte(`{"rows":{}}`))
	f.Add([]byte(`{"rows":[1]}`))
	f.Add([]byte(`{"last_id":1}`))
	for _, s := range rowSeeds {
		f.Add([]byte(`{"rows":[` + s + `],"last_id":99999999999999999999}`))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		mu.Lock()
		body = b
		mu.Unlock()
		withDeadline(t, "HTTP Fetch", func() {
			for _, cursor := range []string{"", "5", "x"} {
				batch, err := src.Fetch(context.Background(), Query{Contains: fuzzMarker, Cursor: cursor})
				if err != nil {
					continue
				}
				checkEntries(t, src.Name(), batch.Entries)
				if cur, ok := parseID(cursor); ok {
					for _, e := range batch.Entries {
						if id, numeric := parseID(e.ID); numeric && allNumericIDs(batch.Entries) && id <= cur {
							t.Fatalf("entry ID %s at or below cursor %s returned", e.ID, cursor)
						}
					}
				}
			}
		})
	})
}

func allNumericIDs(es []Entry) bool {
	for _, e := range es {
		if _, ok := parseID(e.ID); !ok {
			return false
		}
	}
	return true
}

// FuzzJSONLLine fuzzes the content of a JSONL audit log, read by a real
// JSONLSource: the cursor must be a byte offset within the file, and
// reading again from it must return nothing.
func FuzzJSONLLine(f *testing.F) {
	dir := f.TempDir()
	for _, s := range rowSeeds {
		f.Add([]byte(s + "\n"))
	}
	f.Add([]byte(rowSeeds[0] + "\n" + rowSeeds[1])) // partial last line
	f.Add([]byte("\n\n  \r\n"))
	f.Add([]byte(strings.Repeat("x", 100) + "\n" + rowSeeds[2] + "\n"))
	n := 0
	f.Fuzz(func(t *testing.T, data []byte) {
		n++
		path := filepath.Join(dir, "audit-"+strconv.Itoa(n)+".jsonl")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(path)
		src, err := NewJSONL(path)
		if err != nil {
			t.Fatal(err)
		}
		withDeadline(t, "JSONL Fetch", func() {
			b, err := src.Fetch(context.Background(), Query{Contains: fuzzMarker})
			if err != nil {
				t.Fatalf("Fetch of an existing file: %v", err)
			}
			checkEntries(t, src.Name(), b.Entries)
			off, err := strconv.ParseInt(b.Cursor, 10, 64)
			if err != nil || off < 0 || off > int64(len(data)) {
				t.Fatalf("cursor %q is not an offset within the %d-byte file", b.Cursor, len(data))
			}
			if off > 0 && off < int64(len(data)) && data[off-1] != '\n' {
				t.Fatalf("cursor %d is not after a newline", off)
			}
			again, err := src.Fetch(context.Background(), Query{Contains: fuzzMarker, Cursor: b.Cursor})
			if err != nil || len(again.Entries) != 0 || again.Cursor != b.Cursor {
				t.Fatalf("re-reading from the cursor: %d entries, cursor %q, %v", len(again.Entries), again.Cursor, err)
			}
		})
	})
}

// FuzzCSVFile fuzzes a Login Audit Trail CSV export read by a real
// CSVSource: IDs are unique, and a second Fetch with the cursor returns
// nothing new.
func FuzzCSVFile(f *testing.F) {
	dir := f.TempDir()
	row := `"11/28/2026 3:04 pm","Test User","Administrator","u@example.com","127.0.0.1","/TSTDRV1/services/rest/auth/oauth2/v1/token","InvalidSignature","Failure","refreshconf primary","","refreshconf/0.1 (+rc-fuzz0001-000001)"`
	f.Add([]byte("\ufeff" + nsHeader + "\r\n" + row + "\r\n" + row + "\r\n"))
	f.Add([]byte(nsHeader + "\n" + `"2026-11-28 15:04:05","","","","","","","","","","rc-fuzz0001-2"` + "\n"))
	f.Add([]byte(nsHeader + "\n" + `"2026-11-28T15:04:05Z","","","","","","","","","","rc-fuzz0001-3"` + "\n"))
	f.Add([]byte(nsHeader + "\n" + `"bad date","","","","","","","","","","rc-fuzz0001-4"` + "\n"))
	f.Add([]byte(nsHeader + "\n" + `"short"` + "\n"))
	f.Add([]byte("Date,User\n1,2\n"))
	f.Add([]byte(`"unterminated`))
	f.Add([]byte(""))
	n := 0
	f.Fuzz(func(t *testing.T, data []byte) {
		n++
		path := filepath.Join(dir, "trail-"+strconv.Itoa(n)+".csv")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(path)
		src, err := NewCSV(path, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		withDeadline(t, "CSV Fetch", func() {
			b, err := src.Fetch(context.Background(), Query{Contains: fuzzMarker})
			if err != nil {
				return
			}
			checkEntries(t, src.Name(), b.Entries)
			seen := map[string]bool{}
			for _, e := range b.Entries {
				if e.ID == "" || seen[e.ID] {
					t.Fatalf("entry ID %q empty or repeated", e.ID)
				}
				seen[e.ID] = true
			}
			again, err := src.Fetch(context.Background(), Query{Contains: fuzzMarker, Cursor: b.Cursor})
			if err != nil || len(again.Entries) != 0 {
				t.Fatalf("second Fetch of an unchanged export: %d entries, %v", len(again.Entries), err)
			}
		})
	})
}

// FuzzExecOutput fuzzes the standard output of an exec source's command
// (cat of a file holding the fuzz input): entries carry the marker and a
// second Fetch with the cursor de-duplicates everything.
func FuzzExecOutput(f *testing.F) {
	cat, err := exec.LookPath("cat")
	if err != nil {
		f.Skip("no cat command on this system")
	}
	dir := f.TempDir()
	for _, s := range rowSeeds {
		f.Add([]byte(s + "\n"))
	}
	f.Add([]byte(rowSeeds[0] + "\n\n" + rowSeeds[0] + "\n" + rowSeeds[2] + "\n" + rowSeeds[2] + "\n"))
	f.Add([]byte("not json\n"))
	n := 0
	f.Fuzz(func(t *testing.T, data []byte) {
		n++
		path := filepath.Join(dir, "out-"+strconv.Itoa(n))
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(path)
		src, err := NewExec([]string{cat, path}, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		withDeadline(t, "exec Fetch", func() {
			b, err := src.Fetch(context.Background(), Query{Contains: fuzzMarker})
			if err != nil {
				return
			}
			checkEntries(t, src.Name(), b.Entries)
			again, err := src.Fetch(context.Background(), Query{Contains: fuzzMarker, Cursor: b.Cursor})
			if err != nil || len(again.Entries) != 0 {
				t.Fatalf("second Fetch of the same output: %d entries, %v", len(again.Entries), err)
			}
		})
	})
}
