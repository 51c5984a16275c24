package audit

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func appendFile(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func details(es []Entry) string {
	var d []string
	for _, e := range es {
		d = append(d, e.Detail)
	}
	return strings.Join(d, ",")
}

func TestJSONLGrowingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	s, err := NewJSONL(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	q := Query{Contains: "rc-1a2b3c4d-"}
	if _, err := s.Fetch(ctx, q); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("missing file error = %v", err)
	}

	steps := []struct {
		name    string
		write   string
		want    string // details returned, comma-separated
		skipped int
	}{
		{name: "two lines, one foreign", write: `{"id":1,"detail":"A","user_agent":"x (+rc-1a2b3c4d-000001)"}` + "\n" + `{"id":2,"detail":"F","user_agent":"curl"}` + "\n", want: "A"},
		{name: "partial line", write: `{"id":3,"detail":"B","user_`, want: ""},
		{name: "partial completed", write: `agent":"rc-1a2b3c4d-000002"}` + "\n", want: "B"},
		{name: "garbage skipped", write: "plain text log line\n" + `{"id":4,"detail":5,"user_agent":"rc-1a2b3c4d-000003"}` + "\n" + `{"id":5,"detail":"C","user_agent":"rc-1a2b3c4d-000004"}` + "\n\n", want: "C", skipped: 2},
		{name: "nothing new", write: "", want: "", skipped: 2},
	}
	for _, st := range steps {
		if st.write != "" {
			appendFile(t, path, st.write)
		}
		b, err := s.Fetch(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got := details(b.Entries); got != st.want {
			t.Fatalf("%s: details = %q, want %q", st.name, got, st.want)
		}
		if s.Skipped() != st.skipped {
			t.Fatalf("%s: skipped = %d, want %d", st.name, s.Skipped(), st.skipped)
		}
		q.Cursor = b.Cursor
	}
	if n := s.Notes(); !strings.Contains(n, "skipped 2 unparsable line(s)") || !strings.Contains(n, `field "detail": want string, got number`) {
		t.Fatalf("notes = %q", n)
	}

	// Truncation: the file shrinks below the offset; reading restarts at 0.
	if err := os.WriteFile(path, []byte(`{"id":1,"detail":"T","user_agent":"rc-1a2b3c4d-000005"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := s.Fetch(ctx, q)
	if err != nil || details(b.Entries) != "T" {
		t.Fatalf("after truncation: %v %v", details(b.Entries), err)
	}
	q.Cursor = b.Cursor

	// Rotation: the file is renamed away and a new, longer one created.
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	appendFile(t, path, `{"id":1,"detail":"R1","user_agent":"rc-1a2b3c4d-000006"}`+"\n"+`{"id":2,"detail":"R2","user_agent":"rc-1a2b3c4d-000007","pad":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}`+"\n")
	b, err = s.Fetch(ctx, q)
	if err != nil || details(b.Entries) != "R1,R2" {
		t.Fatalf("after rotation: %q %v", details(b.Entries), err)
	}
	// An empty cursor restarts from the beginning.
	b, err = s.Fetch(ctx, Query{Contains: "rc-1a2b3c4d-"})
	if err != nil || details(b.Entries) != "R1,R2" {
		t.Fatalf("empty cursor: %q %v", details(b.Entries), err)
	}
	if _, err := s.Fetch(ctx, Query{Cursor: "x"}); err == nil {
		t.Fatal("bad cursor accepted")
	}
}

func TestJSONLFieldMap(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	appendFile(t, path, `{"ts":"2026-11-28T12:00:00Z","ua":"rc-m-1","audit":{"code":"InvalidSignature","ok":"Failure"}}`+"\n")
	s, err := NewJSONLWithFields(path, map[string]string{FieldDate: "ts", FieldUserAgent: "ua", FieldDetail: "audit.code", FieldStatus: "audit.ok"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Fetch(context.Background(), Query{Contains: "rc-m-"})
	if err != nil || len(b.Entries) != 1 {
		t.Fatalf("fetch: %+v %v", b, err)
	}
	e := b.Entries[0]
	if e.Detail != "InvalidSignature" || e.Status != "Failure" || e.UserAgent != "rc-m-1" || e.Date.IsZero() || e.Source != "jsonl "+path {
		t.Fatalf("entry = %+v", e)
	}
	if _, err := NewJSONLWithFields(path, map[string]string{"bogus": "x"}); err == nil {
		t.Fatal("bad field map accepted")
	}
	if _, err := NewJSONL(" "); err == nil {
		t.Fatal("empty path accepted")
	}
}
