package client

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// TestDoRaceIsExemptFromConcurrency: with Concurrency 1, two Do calls are
// serialised, but DoRace's two requests are in flight together: the server
// answers each only once both have arrived (or, after 0.5 s, 504).
func TestDoRaceIsExemptFromConcurrency(t *testing.T) {
	var inFlight atomic.Int32
	both := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if inFlight.Add(1) == 2 {
			close(both)
		}
		select {
		case <-both:
			w.WriteHeader(http.StatusOK)
		case <-time.After(500 * time.Millisecond):
			w.WriteHeader(http.StatusGatewayTimeout)
		}
	}))
	defer srv.Close()
	c := newTestClient(t, Config{TokenURL: srv.URL, Concurrency: 1, RequestsPerSecond: 50})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	exs := c.DoRace(ctx, []Request{{Name: "a"}, {Name: "b"}})
	for i, ex := range exs {
		if ex.Err != nil || ex.Status != http.StatusOK {
			t.Errorf("race request %d: status %d, err %v: the two requests were not in flight together", i, ex.Status, ex.Err)
		}
	}
	// The same two requests through Do at concurrency 1 cannot meet.
	inFlight.Store(0)
	both = make(chan struct{})
	var got [2]int
	done := make(chan struct{})
	for i := range 2 {
		go func() { got[i] = c.Do(ctx, Request{}).Status; done <- struct{}{} }()
	}
	<-done
	<-done
	if got[0] == http.StatusOK && got[1] == http.StatusOK {
		t.Errorf("two Do calls met at concurrency 1: the control proves nothing")
	}
}

func TestDoRaceIsBounded(t *testing.T) {
	c := newTestClient(t, Config{TokenURL: "http://127.0.0.1:1"})
	exs := c.DoRace(context.Background(), []Request{{}, {}, {}})
	if len(exs) != 3 {
		t.Fatalf("%d exchanges", len(exs))
	}
	for _, ex := range exs {
		if ex.Err == nil {
			t.Errorf("a race of 3 requests was sent; want an error (bound %d)", MaxRace)
		}
	}
}
