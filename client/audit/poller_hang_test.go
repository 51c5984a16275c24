package audit

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// hangingSource never answers: every Fetch blocks until its context ends.
type hangingSource struct{}

func (hangingSource) Name() string { return "hanging" }

func (hangingSource) Fetch(ctx context.Context, _ Query) (Batch, error) {
	<-ctx.Done()
	return Batch{}, ctx.Err()
}

// A source that never answers must not be reported as "no row, last error:
// none, check the User-Agent": the timeout says the query is still waiting.
func TestPollerTimeoutNamesASourceThatNeverAnswers(t *testing.T) {
	p := startPoller(t, hangingSource{}, PollerOptions{FetchTimeout: time.Minute})
	_, err := p.Await(context.Background(), marker(1), 200*time.Millisecond)
	var te *TimeoutError
	if !errors.As(err, &te) {
		t.Fatalf("err = %v (%T), want *TimeoutError", err, err)
	}
	if te.Waiting < 100*time.Millisecond {
		t.Errorf("Waiting = %s, want about the whole 200ms wait", te.Waiting)
	}
	msg := err.Error()
	for _, want := range []string{"0 polls", "had been waiting", "the audit source is not answering", "raise timeouts.request"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q: %s", want, msg)
		}
	}
	if strings.Contains(msg, "records the User-Agent") {
		t.Errorf("message blames the User-Agent for a source that never answered: %s", msg)
	}
}

// A healthy source that answers without the row keeps the usual hint.
func TestPollerTimeoutWithoutHangKeepsTheHint(t *testing.T) {
	p := startPoller(t, &fakeSource{}, PollerOptions{})
	_, err := p.Await(context.Background(), marker(2), 150*time.Millisecond)
	var te *TimeoutError
	if !errors.As(err, &te) || te.Waiting != 0 {
		t.Fatalf("err = %v, want a *TimeoutError with Waiting 0", err)
	}
	if !strings.Contains(err.Error(), "records the User-Agent") || strings.Contains(err.Error(), "not answering") {
		t.Errorf("message: %s", err)
	}
}

// A query that times out just before Await gives up leaves no query in
// flight; the source was as silent, and the message must say so all the
// same (the order of the two timers is chance).
func TestPollerTimeoutNamesASourceWhoseQueryTimedOutFirst(t *testing.T) {
	p := startPoller(t, hangingSource{}, PollerOptions{FetchTimeout: 150 * time.Millisecond, Interval: time.Hour})
	_, err := p.Await(context.Background(), marker(3), 200*time.Millisecond)
	var te *TimeoutError
	if !errors.As(err, &te) {
		t.Fatalf("err = %v (%T), want *TimeoutError", err, err)
	}
	if te.Waiting < 100*time.Millisecond || te.LastError == "" {
		t.Errorf("Waiting = %s, LastError %q: want the timed-out query's wait and its error", te.Waiting, te.LastError)
	}
	if msg := err.Error(); !strings.Contains(msg, "the audit source is not answering") || strings.Contains(msg, "records the User-Agent") {
		t.Errorf("message: %s", msg)
	}
}
