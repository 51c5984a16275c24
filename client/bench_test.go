package client

import (
	"context"
	"net/http"
	"testing"
)

// BenchmarkDo measures one refresh-shaped exchange against a loopback
// server, including redaction of the recorded exchange.
func BenchmarkDo(b *testing.B) {
	rec := newRecorder(b, func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":"invalid_grant"}`))
	})
	red := NewRedactor()
	for _, s := range []string{"primary-secret-0001", "secondary-secret-0002", "eyJhbGciOiJSUzI1NiJ9.eyJqdGkiOiJUU1Quci4xIn0.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWc"} {
		red.Add("bench", s)
	}
	c := newTestClient(b, Config{TokenURL: rec.URL + "/token", Redactor: red})
	req := Request{
		Name: "bench",
		Form: []Field{{"grant_type", "refresh_token"}, {"refresh_token", "eyJhbGciOiJSUzI1NiJ9.eyJqdGkiOiJUU1Quci4xIn0.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWc"}},
		Auth: Auth{Mode: AuthBasic, ClientID: "client-id", ClientSecret: "primary-secret-0001"},
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if ex := c.Do(ctx, req); ex.Err != nil || ex.Status != http.StatusBadRequest {
			b.Fatalf("status %d err %v", ex.Status, ex.Err)
		}
	}
}
