package audit

import (
	"strings"
	"testing"
	"time"
)

// testJWT is shaped like a compact JWS; it must never appear in errors.
const testJWT = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiIzOzciLCJqdGkiOiJUU1Quci54In0.c2lnbmF0dXJlLWJ5dGVzLWhlcmU"

func TestParseDate(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		ny = time.FixedZone("EST", -5*3600)
	}
	tests := []struct {
		in   string
		loc  *time.Location
		want time.Time
		prec time.Duration
		bad  bool
	}{
		{in: "2026-11-28T12:00:00.123Z", loc: time.UTC, want: time.Date(2026, 11, 28, 12, 0, 0, 123e6, time.UTC), prec: time.Second},
		{in: "2026-11-28T12:00:00+02:00", loc: time.UTC, want: time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC), prec: time.Second},
		{in: "2026-11-28 15:04:05", loc: time.UTC, want: time.Date(2026, 11, 28, 15, 4, 5, 0, time.UTC), prec: time.Second},
		{in: "11/28/2026 3:04 pm", loc: time.UTC, want: time.Date(2026, 11, 28, 15, 4, 0, 0, time.UTC), prec: time.Minute},
		{in: "11/28/2026 3:04 PM", loc: time.UTC, want: time.Date(2026, 11, 28, 15, 4, 0, 0, time.UTC), prec: time.Minute},
		{in: "1/2/2026 12:05 am", loc: time.UTC, want: time.Date(2026, 1, 2, 0, 5, 0, 0, time.UTC), prec: time.Minute},
		{in: "1/2/2026  9:05:07 am", loc: time.UTC, want: time.Date(2026, 1, 2, 9, 5, 7, 0, time.UTC), prec: time.Second},
		{in: "11/28/2026 3:04 pm", loc: ny, want: time.Date(2026, 11, 28, 15, 4, 0, 0, ny), prec: time.Minute},
		{in: "28.11.2026", loc: time.UTC, bad: true},
		{in: "yesterday", loc: time.UTC, bad: true},
		{in: "13/45/2026 3:04 pm", loc: time.UTC, bad: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, prec, err := parseDate(tc.in, tc.loc)
			if tc.bad {
				if err == nil || !strings.Contains(err.Error(), "unparsable date") || !strings.Contains(err.Error(), "M/D/YYYY") {
					t.Fatalf("parseDate(%q) error = %v, want unparsable date naming the formats", tc.in, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseDate(%q): %v", tc.in, err)
			}
			if !got.Equal(tc.want) || prec != tc.prec {
				t.Fatalf("parseDate(%q) = %v, %v; want %v, %v", tc.in, got, prec, tc.want, tc.prec)
			}
		})
	}
}

func TestRedactText(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		secrets []string
		leak    []string
		keep    []string
	}{
		{name: "jwt", in: `{"error":"invalid_grant","token":"` + testJWT + `"}`, leak: []string{"eyJzdWIi", "c2lnbmF0dXJl"}, keep: []string{"invalid_grant"}},
		{name: "truncated jwt", in: "x " + testJWT[:60], leak: []string{testJWT[:40]}},
		{name: "bearer", in: "Authorization: Bearer s3cr3t-admin-token", leak: []string{"s3cr3t-admin-token"}, keep: []string{"Bearer"}},
		{name: "form field", in: "client_secret=hunter2hunter2&grant_type=refresh_token", leak: []string{"hunter2"}, keep: []string{"grant_type"}},
		{name: "literal", in: "echo: opaque-admin-value", secrets: []string{"opaque-admin-value"}, leak: []string{"opaque-admin-value"}, keep: []string{"echo"}},
		{name: "plain", in: "database is locked", keep: []string{"database is locked"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := redactText(tc.in, tc.secrets...)
			for _, l := range tc.leak {
				if strings.Contains(got, l) {
					t.Errorf("redactText leaked %q: %s", l, got)
				}
			}
			for _, k := range tc.keep {
				if !strings.Contains(got, k) {
					t.Errorf("redactText lost %q: %s", k, got)
				}
			}
		})
	}
}

func TestEntryFromObject(t *testing.T) {
	fm, err := newFieldMap(map[string]string{FieldDetail: "audit.code"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		json    string
		want    Entry
		wantErr string
	}{
		{name: "numeric id and nested detail", json: `{"id":12,"date":"2026-11-28T12:00:00Z","audit":{"code":"InvalidSignature"},"user_agent":"ua","status":"Failure"}`,
			want: Entry{ID: "12", Date: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC), Detail: "InvalidSignature", UserAgent: "ua", Status: "Failure"}},
		{name: "string id, nulls", json: `{"id":"a1","user":null,"date":null}`, want: Entry{ID: "a1"}},
		{name: "unix date", json: `{"date":1700000000}`, want: Entry{Date: time.Unix(1700000000, 0).UTC()}},
		{name: "status number", json: `{"status":1}`, wantErr: `field "status": want string, got number`},
		{name: "id bool", json: `{"id":true}`, wantErr: `field "id": want string or number, got boolean`},
		{name: "date object", json: `{"date":{}}`, wantErr: `field "date"`},
		{name: "bad date", json: `{"date":"soon"}`, wantErr: `unparsable date "soon"`},
		{name: "detail array", json: `{"audit":{"code":["x"]}}`, wantErr: `field "audit.code": want string, got array`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			obj, err := decodeObject([]byte(tc.json))
			if err != nil {
				t.Fatal(err)
			}
			got, _, err := entryFromObject(obj, fm, time.UTC)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !got.Date.Equal(tc.want.Date) {
				t.Fatalf("date = %v, want %v", got.Date, tc.want.Date)
			}
			got.Date, tc.want.Date = time.Time{}, time.Time{}
			if got != tc.want {
				t.Fatalf("entry = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestFieldMapAndDecodeErrors(t *testing.T) {
	if _, err := newFieldMap(map[string]string{"code": "x"}); err == nil || !strings.Contains(err.Error(), `unknown field "code"`) {
		t.Fatalf("unknown field: err = %v", err)
	}
	if _, err := newFieldMap(map[string]string{FieldDetail: " "}); err == nil {
		t.Fatal("empty key accepted")
	}
	for _, in := range []string{`[1,2]`, `"x"`, `{"a":1} {"b":2}`, `{"a":`} {
		if _, err := decodeObject([]byte(in)); err == nil {
			t.Errorf("decodeObject(%s) accepted", in)
		}
	}
}

func TestNewerThan(t *testing.T) {
	since := time.Date(2026, 11, 28, 15, 4, 30, 0, time.UTC)
	tests := []struct {
		d    time.Time
		prec time.Duration
		want bool
	}{
		{time.Date(2026, 11, 28, 15, 4, 0, 0, time.UTC), time.Minute, true}, // same minute
		{time.Date(2026, 11, 28, 15, 3, 0, 0, time.UTC), time.Minute, false},
		{time.Date(2026, 11, 28, 15, 4, 29, 0, time.UTC), time.Second, false},
		{time.Date(2026, 11, 28, 15, 4, 29, 500, time.UTC), time.Second, true},
		{time.Time{}, 0, true},
	}
	for _, tc := range tests {
		if got := newerThan(tc.d, tc.prec, since); got != tc.want {
			t.Errorf("newerThan(%v, %v) = %v, want %v", tc.d, tc.prec, got, tc.want)
		}
	}
}
