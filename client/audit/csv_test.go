package audit

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const nsHeader = `"Date","User","Role","Email Address","IP Address","Request URI","Detail","Status","Token-based Application Name","Token-based Access Token Name","User Agent"`

func writeCSV(t *testing.T, path string, lines ...string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\r\n")+"\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestCSVNetSuiteExport(t *testing.T) {
	path := filepath.Join(t.TempDir(), "LoginAuditTrail.csv")
	writeCSV(t, path,
		"\ufeff"+nsHeader,
		`"11/28/2026 3:04 pm","Test User","Administrator","u@example.com","127.0.0.1","/TSTDRV1/services/rest/auth/oauth2/v1/token","InvalidSignature","Failure","refreshconf primary","","refreshconf/0.1 (+rc-1a2b3c4d-000001)"`,
		`"11/28/2026 3:04 pm","","","","127.0.0.1","/TSTDRV1/services/rest/auth/oauth2/v1/token","ClientAuthenticationFailed","Failure","","","curl/8.0"`,
		`"11/28/2026 3:05 pm","","","","127.0.0.1","/TSTDRV1/services/rest/auth/oauth2/v1/token","RefreshTokenExpired","Failure","refreshconf primary","","refreshconf/0.1 (+rc-1a2b3c4d-000002)"`,
		// A genuine duplicate row: identical content, must count twice.
		`"11/28/2026 3:05 pm","","","","127.0.0.1","/TSTDRV1/services/rest/auth/oauth2/v1/token","RefreshTokenExpired","Failure","refreshconf primary","","refreshconf/0.1 (+rc-1a2b3c4d-000002)"`,
	)
	s, err := NewCSV(path, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// Since inside the 3:04 minute: the 3:04 row is kept (minute precision).
	q := Query{Contains: "rc-1a2b3c4d-", Since: time.Date(2026, 11, 28, 15, 4, 30, 0, time.UTC)}
	b, err := s.Fetch(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if got := details(b.Entries); got != "InvalidSignature,RefreshTokenExpired,RefreshTokenExpired" {
		t.Fatalf("details = %q", got)
	}
	e := b.Entries[0]
	want := Entry{User: "Test User", Role: "Administrator", Email: "u@example.com", IPAddress: "127.0.0.1",
		RequestURI: "/TSTDRV1/services/rest/auth/oauth2/v1/token", Detail: "InvalidSignature", Status: "Failure",
		Application: "refreshconf primary", UserAgent: "refreshconf/0.1 (+rc-1a2b3c4d-000001)", Source: "csv " + path}
	if !e.Date.Equal(time.Date(2026, 11, 28, 15, 4, 0, 0, time.UTC)) {
		t.Fatalf("date = %v", e.Date)
	}
	e.Date, e.ID = time.Time{}, ""
	if e != want {
		t.Fatalf("entry = %+v\nwant    %+v", e, want)
	}
	if b.Entries[1].ID == b.Entries[2].ID || b.Entries[1].ID == "" {
		t.Fatalf("duplicate rows share ID %q", b.Entries[1].ID)
	}
	// Re-reading returns nothing new.
	q.Cursor = b.Cursor
	b2, err := s.Fetch(ctx, q)
	if err != nil || len(b2.Entries) != 0 {
		t.Fatalf("second fetch = %+v, %v", b2.Entries, err)
	}
	// A newer export (rows in another order, one more row) returns only the new row.
	writeCSV(t, path,
		nsHeader,
		`"11/28/2026 3:06 pm","","","","127.0.0.1","/x","InvalidScope","Failure","","","refreshconf/0.1 (+rc-1a2b3c4d-000003)"`,
		`"11/28/2026 3:05 pm","","","","127.0.0.1","/TSTDRV1/services/rest/auth/oauth2/v1/token","RefreshTokenExpired","Failure","refreshconf primary","","refreshconf/0.1 (+rc-1a2b3c4d-000002)"`,
		`"11/28/2026 3:04 pm","Test User","Administrator","u@example.com","127.0.0.1","/TSTDRV1/services/rest/auth/oauth2/v1/token","InvalidSignature","Failure","refreshconf primary","","refreshconf/0.1 (+rc-1a2b3c4d-000001)"`,
		`"11/28/2026 3:05 pm","","","","127.0.0.1","/TSTDRV1/services/rest/auth/oauth2/v1/token","RefreshTokenExpired","Failure","refreshconf primary","","refreshconf/0.1 (+rc-1a2b3c4d-000002)"`,
	)
	q.Cursor = b2.Cursor
	b3, err := s.Fetch(ctx, q)
	if err != nil || details(b3.Entries) != "InvalidScope" {
		t.Fatalf("third fetch = %q, %v", details(b3.Entries), err)
	}
	// Rows before Since are dropped and explained.
	q = Query{Contains: "rc-1a2b3c4d-", Since: time.Date(2026, 11, 28, 15, 5, 30, 0, time.UTC)}
	b4, err := s.Fetch(ctx, q)
	if err != nil || details(b4.Entries) != "InvalidScope,RefreshTokenExpired,RefreshTokenExpired" {
		t.Fatalf("since fetch = %q, %v", details(b4.Entries), err)
	}
	if n := s.Notes(); !strings.Contains(n, "dropped 1 matching row(s) older than the run start") || !strings.Contains(n, "time zone UTC") {
		t.Fatalf("notes = %q", n)
	}
}

func TestCSVFormats(t *testing.T) {
	nyc := time.FixedZone("NYC", -5*3600)
	tests := []struct {
		name    string
		lines   []string
		loc     *time.Location
		want    time.Time
		wantErr []string
	}{
		{name: "lower-case header, reordered, iso date", loc: time.UTC,
			lines: []string{`user agent,detail,status,date,user,role,ip address,request uri,token-based application name`, `rc-z-1,InvalidScope,Failure,2026-11-28 15:04:05,,,1.2.3.4,/t,app`},
			want:  time.Date(2026, 11, 28, 15, 4, 5, 0, time.UTC)},
		{name: "rfc3339 ignores location", loc: nyc,
			lines: []string{nsHeader, `2026-11-28T15:04:05Z,,,,,,D,Failure,,,rc-z-1`},
			want:  time.Date(2026, 11, 28, 15, 4, 5, 0, time.UTC)},
		{name: "netsuite date in location", loc: nyc,
			lines: []string{nsHeader, `11/28/2026 3:04 pm,,,,,,D,Failure,,,rc-z-1`},
			want:  time.Date(2026, 11, 28, 20, 4, 0, 0, time.UTC)},
		{name: "missing columns", loc: time.UTC,
			lines:   []string{`"Date","User","Role","IP Address","Request URI","Status","User Agent"`, `x`},
			wantErr: []string{`missing column(s) "Detail", "Token-based Application Name"`, "add them under Results"}},
		{name: "bad date", loc: time.UTC,
			lines:   []string{nsHeader, `11/28/2026 3:04 pm,,,,,,D,Failure,,,rc-z-1`, `28.11.2026 15:04,,,,,,D,Failure,,,rc-z-2`},
			wantErr: []string{"line 3", `column "Date"`, `unparsable date "28.11.2026 15:04"`}},
		{name: "short row", loc: time.UTC,
			lines:   []string{nsHeader, `11/28/2026 3:04 pm,,,,,,D`},
			wantErr: []string{"line 2 has 7 fields", `"Status"`}},
		{name: "empty file", loc: time.UTC, lines: []string{""}, wantErr: []string{"file is empty"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "export.csv")
			writeCSV(t, path, tc.lines...)
			if tc.name == "empty file" {
				_ = os.WriteFile(path, nil, 0o600)
			}
			s, err := NewCSV(path, tc.loc)
			if err != nil {
				t.Fatal(err)
			}
			b, err := s.Fetch(context.Background(), Query{Contains: "rc-z-"})
			if tc.wantErr != nil {
				if err == nil {
					t.Fatal("no error")
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				return
			}
			if err != nil || len(b.Entries) != 1 {
				t.Fatalf("fetch = %+v, %v", b.Entries, err)
			}
			if !b.Entries[0].Date.Equal(tc.want) || b.Entries[0].UserAgent != "rc-z-1" {
				t.Fatalf("entry = %+v, want date %v", b.Entries[0], tc.want)
			}
		})
	}
	s, _ := NewCSV(filepath.Join(t.TempDir(), "none.csv"), nil)
	if _, err := s.Fetch(context.Background(), Query{}); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("missing file error = %v", err)
	}
}
