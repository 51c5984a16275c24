package audit

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const runPrefix = "rc-1a2b3c4d-"

func marker(i int) string { return fmt.Sprintf("%s%06d", runPrefix, i) }

// fakeSource is an in-memory cursor source with visibility latency.
type fakeSource struct {
	mu          sync.Mutex
	rows        []fakeRow
	queries     int
	queriesList []Query
	failures    int   // fail this many next Fetches
	failAfter   int   // fail every Fetch after this many (0: never)
	maxPerFetch int   // 0: unlimited
	sinceFilter bool  // drop rows dated before q.Since
	err         error // error to fail with
}

type fakeRow struct {
	e         Entry
	visibleAt time.Time
}

func (f *fakeSource) Name() string { return "fake" }

func (f *fakeSource) add(m, detail string, latency time.Duration, date time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := strconv.Itoa(len(f.rows) + 1)
	f.rows = append(f.rows, fakeRow{e: Entry{ID: id, Date: date, UserAgent: "refreshconf/0.1 (+" + m + ")", Detail: detail, Status: StatusFailure}, visibleAt: time.Now().Add(latency)})
}

func (f *fakeSource) Fetch(ctx context.Context, q Query) (Batch, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queries++
	f.queriesList = append(f.queriesList, q)
	if f.failures > 0 {
		f.failures--
		return Batch{}, f.err
	}
	if f.failAfter > 0 && f.queries > f.failAfter {
		return Batch{}, f.err
	}
	start, _ := strconv.Atoi(q.Cursor)
	now := time.Now()
	var out []Entry
	i := start
	for ; i < len(f.rows); i++ {
		r := f.rows[i]
		if now.Before(r.visibleAt) || (f.maxPerFetch > 0 && len(out) == f.maxPerFetch) {
			break
		}
		if !strings.Contains(r.e.UserAgent, q.Contains) {
			continue
		}
		if f.sinceFilter && r.e.Date.Before(q.Since) {
			continue
		}
		out = append(out, r.e)
	}
	return Batch{Entries: out, Cursor: strconv.Itoa(i)}, nil
}

func (f *fakeSource) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.queries
}

func startPoller(t testing.TB, src Source, o PollerOptions) *Poller {
	t.Helper()
	if o.Contains == "" {
		o.Contains = runPrefix
	}
	if o.Interval == 0 {
		o.Interval = 10 * time.Millisecond
	}
	p := NewPoller(src, o)
	ctx, cancel := context.WithCancel(context.Background())
	p.Start(ctx)
	t.Cleanup(func() {
		cancel()
		<-p.Stopped()
	})
	return p
}

// awaitAll awaits n markers concurrently and returns their results.
func awaitAll(p *Poller, n int, timeout time.Duration) ([][]Entry, []error) {
	res := make([][]Entry, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i], errs[i] = p.Await(context.Background(), marker(i), timeout)
		}()
	}
	wg.Wait()
	return res, errs
}

func TestPoller100MarkersOneFetchPerPoll(t *testing.T) {
	src := &fakeSource{}
	p := startPoller(t, src, PollerOptions{})
	for i := range 100 {
		src.add(marker(i), "InvalidSignature", 60*time.Millisecond, time.Now())
	}
	res, errs := awaitAll(p, 100, 5*time.Second)
	for i := range 100 {
		if errs[i] != nil || len(res[i]) != 1 || !strings.Contains(res[i][0].UserAgent, marker(i)) {
			t.Fatalf("marker %d: %+v, %v", i, res[i], errs[i])
		}
	}
	st := p.Stats()
	if int64(src.count()) != st.Queries || st.Queries != st.Polls || st.Errors != 0 {
		t.Fatalf("source saw %d fetches; stats %+v", src.count(), st)
	}
	// About latency/interval polls plus a confirming one; never one per marker.
	if st.Queries > 30 {
		t.Fatalf("%d queries for 100 markers", st.Queries)
	}
	if st.Entries != 100 || st.Pending != 0 {
		t.Fatalf("stats = %+v", st)
	}
	for _, q := range src.queriesList {
		if q.Contains != runPrefix {
			t.Fatalf("query contains %q, want the run prefix", q.Contains)
		}
	}
	// Idle now: no more polling.
	n := src.count()
	time.Sleep(60 * time.Millisecond)
	if src.count() != n {
		t.Fatalf("poller kept polling while idle: %d -> %d", n, src.count())
	}
}

func TestPoller100MarkersHTTP(t *testing.T) {
	ft := &fakeTarget{}
	srv := httptest.NewServer(ft)
	defer srv.Close()
	p := startPoller(t, newHTTPForTest(t, srv.URL+"/audit/rows"), PollerOptions{})
	for i := range 100 {
		ft.add("refreshconf/0.1 (+"+marker(i)+")", "InvalidSignature", 50*time.Millisecond)
	}
	res, errs := awaitAll(p, 100, 5*time.Second)
	for i := range 100 {
		if errs[i] != nil || len(res[i]) != 1 || res[i][0].ID != strconv.Itoa(i+1) {
			t.Fatalf("marker %d: %+v, %v", i, res[i], errs[i])
		}
	}
	st := p.Stats()
	if ft.hits.Load() != st.Queries || st.Queries > 30 || st.Errors != 0 {
		t.Fatalf("server hits %d; stats %+v", ft.hits.Load(), st)
	}
}

func TestPollerLateRowsAndDuplicates(t *testing.T) {
	src := &fakeSource{maxPerFetch: 1}
	p := startPoller(t, src, PollerOptions{})
	// Marker 1: its row becomes visible only after 200ms.
	src.add(marker(1), "RefreshTokenExpired", 200*time.Millisecond, time.Now())
	// Marker 2: two rows (a duplicate) that the source returns one per poll.
	src.add(marker(2), "InvalidSignature", 200*time.Millisecond, time.Now())
	src.add(marker(2), "InvalidSignature", 200*time.Millisecond, time.Now())
	start := time.Now()
	got, err := p.Await(context.Background(), marker(1), 3*time.Second)
	if err != nil || details(got) != "RefreshTokenExpired" {
		t.Fatalf("late row: %+v, %v", got, err)
	}
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Fatalf("resolved after %v, before the row was visible", d)
	}
	got, err = p.Await(context.Background(), marker(2), 3*time.Second)
	if err != nil || details(got) != "InvalidSignature,InvalidSignature" || got[0].ID == got[1].ID {
		t.Fatalf("duplicate: %+v, %v", got, err)
	}
	if e := p.Entries(marker(2)); len(e) != 2 {
		t.Fatalf("Entries = %+v", e)
	}
	if e := p.Entries(marker(9)); len(e) != 0 {
		t.Fatalf("Entries(unknown) = %+v", e)
	}
}

func TestPollerRowsBeforeAwait(t *testing.T) {
	src := &fakeSource{}
	p := startPoller(t, src, PollerOptions{})
	src.add(marker(1), "A", 0, time.Now())
	src.add(marker(2), "B", 0, time.Now())
	// Await marker 1 only; marker 2's row is received meanwhile.
	if _, err := p.Await(context.Background(), marker(1), 2*time.Second); err != nil {
		t.Fatal(err)
	}
	if e := p.Entries(marker(2)); details(e) != "B" {
		t.Fatalf("Entries(marker 2) = %+v", e)
	}
	n := src.count()
	got, err := p.Await(context.Background(), marker(2), 2*time.Second)
	if err != nil || details(got) != "B" {
		t.Fatalf("await marker 2: %+v, %v", got, err)
	}
	if src.count() != n {
		t.Fatalf("already-confirmed marker caused %d more fetches", src.count()-n)
	}
}

func TestPollerTimeoutAndErrors(t *testing.T) {
	tests := []struct {
		name     string
		failures int
		err      error
		rows     bool
		wantErr  []string
	}{
		{name: "no row", wantErr: []string{"no audit row for marker " + marker(7) + " within 150ms (", "polls, last error: none)", "source fake", "audit latency"}},
		{name: "source failing", failures: 1 << 30, err: errors.New("fake: status 503"), wantErr: []string{"no audit row for marker " + marker(7) + " within 150ms (", "last error: fake: status 503)"}},
		{name: "errors retried", failures: 2, err: errors.New("fake: flaky"), rows: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := &fakeSource{failures: tc.failures, err: tc.err}
			p := startPoller(t, src, PollerOptions{})
			if tc.rows {
				src.add(marker(7), "X", 0, time.Now())
			}
			timeout := 150 * time.Millisecond
			if tc.wantErr == nil {
				timeout = 3 * time.Second
			}
			got, err := p.Await(context.Background(), marker(7), timeout)
			if tc.wantErr == nil {
				if err != nil || details(got) != "X" {
					t.Fatalf("got %+v, %v", got, err)
				}
				if st := p.Stats(); st.Errors != int64(tc.failures) || st.LastError != tc.err.Error() {
					t.Fatalf("stats = %+v", st)
				}
				return
			}
			var te *TimeoutError
			if !errors.As(err, &te) || te.Polls < 1 {
				t.Fatalf("err = %v (%T), want *TimeoutError after some polls", err, err)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestPollerSeenButUnconfirmed(t *testing.T) {
	// After the first successful poll, every further Fetch fails.
	src := &fakeSource{failAfter: 1, err: errors.New("fake: down")}
	p := startPoller(t, src, PollerOptions{Interval: 20 * time.Millisecond})
	src.add(marker(1), "A", 0, time.Now())
	got, err := p.Await(context.Background(), marker(1), 200*time.Millisecond)
	var te *TimeoutError
	if !errors.As(err, &te) || !te.Seen || len(got) != 1 || !strings.Contains(err.Error(), "seen but not confirmed") || !strings.Contains(err.Error(), "last error: fake: down") {
		t.Fatalf("got %+v, %v", got, err)
	}
}

func TestPollerClockSkew(t *testing.T) {
	start := time.Now()
	// The target's clock runs 2s behind: its row is dated before Start.
	tests := []struct {
		name  string
		skew  time.Duration
		found bool
	}{
		{"default skew tolerates 2s", 0, true},
		{"3s skew tolerates 2s", 3 * time.Second, true},
		{"1s skew does not", time.Second, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := &fakeSource{sinceFilter: true}
			p := startPoller(t, src, PollerOptions{Start: start, ClockSkew: tc.skew})
			src.add(marker(1), "A", 0, start.Add(-2*time.Second))
			timeout := 150 * time.Millisecond
			if tc.found {
				timeout = 3 * time.Second
			}
			_, err := p.Await(context.Background(), marker(1), timeout)
			if (err == nil) != tc.found {
				t.Fatalf("err = %v, want found=%v", err, tc.found)
			}
			skew := tc.skew
			if skew == 0 {
				skew = DefaultClockSkew
			}
			if q := src.queriesList[0]; !q.Since.Equal(start.Add(-skew)) || !p.Since().Equal(q.Since) {
				t.Fatalf("since = %v, want %v", q.Since, start.Add(-skew))
			}
		})
	}
}

func TestPollerSettle(t *testing.T) {
	src := &fakeSource{}
	p := startPoller(t, src, PollerOptions{Settle: 150 * time.Millisecond})
	src.add(marker(1), "A", 0, time.Now())
	src.add(marker(1), "A", 100*time.Millisecond, time.Now()) // a late duplicate
	got, err := p.Await(context.Background(), marker(1), 2*time.Second)
	if err != nil || len(got) != 2 {
		t.Fatalf("settle: %+v, %v", got, err)
	}
}

func TestPollerIdleTouchExpect(t *testing.T) {
	src := &fakeSource{}
	p := startPoller(t, src, PollerOptions{PendingTimeout: 500 * time.Millisecond})
	time.Sleep(50 * time.Millisecond)
	if n := src.count(); n != 0 {
		t.Fatalf("idle poller fetched %d times", n)
	}
	p.Touch()
	waitFor(t, func() bool { return src.count() == 1 })
	time.Sleep(50 * time.Millisecond)
	if n := src.count(); n != 1 {
		t.Fatalf("Touch caused %d fetches, want 1", n)
	}
	// Expect without Await polls until PendingTimeout, then stops.
	p.Expect(marker(3))
	if st := p.Stats(); st.Pending != 1 {
		t.Fatalf("pending = %d", st.Pending)
	}
	waitFor(t, func() bool { return src.count() >= 2 })
	waitFor(t, func() bool { return p.Stats().Pending == 0 })
	n := src.count() // at most one poll may be in flight now
	time.Sleep(100 * time.Millisecond)
	if src.count() > n+1 {
		t.Fatalf("expired marker kept the poller polling: %d -> %d", n, src.count())
	}
	// Expect, then the row arrives: Entries (as for Eventually) sees it.
	p.Expect(marker(4))
	src.add(marker(4), "B", 0, time.Now())
	waitFor(t, func() bool { return len(p.Entries(marker(4))) == 1 })
	waitFor(t, func() bool { return p.Stats().Pending == 0 })
}

func TestPollerLifecycle(t *testing.T) {
	before := runtime.NumGoroutine()
	src := &fakeSource{}
	p := NewPoller(src, PollerOptions{Contains: runPrefix, Interval: 5 * time.Millisecond})
	if _, err := p.Await(context.Background(), marker(1), time.Second); !errors.Is(err, ErrNotStarted) {
		t.Fatalf("Await before Start: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.Start(ctx)
	p.Start(ctx) // no second loop

	// An Await cancelled by its own context.
	actx, acancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	_, err := p.Await(actx, marker(1), time.Minute)
	acancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Await with cancelled ctx: %v", err)
	}
	// Awaits blocked when the poller stops return ErrStopped.
	errc := make(chan error, 10)
	for i := range 10 {
		go func() {
			_, err := p.Await(context.Background(), marker(100+i), time.Minute)
			errc <- err
		}()
	}
	time.Sleep(30 * time.Millisecond)
	cancel()
	<-p.Stopped()
	for range 10 {
		select {
		case err := <-errc:
			if !errors.Is(err, ErrStopped) {
				t.Fatalf("Await after stop: %v", err)
			}
		case <-time.After(2 * time.Second):
			t.Fatal("Await did not return after the poller stopped")
		}
	}
	if _, err := p.Await(context.Background(), marker(1), time.Second); !errors.Is(err, ErrStopped) {
		t.Fatalf("Await on stopped poller: %v", err)
	}
	waitFor(t, func() bool { return runtime.NumGoroutine() <= before })

	// A nil source: Start does not spin, Await fails at once.
	np := NewPoller(nil, PollerOptions{})
	np.Start(context.Background())
	<-np.Stopped()
	if _, err := np.Await(context.Background(), marker(1), time.Second); !errors.Is(err, ErrStopped) {
		t.Fatalf("nil source Await: %v", err)
	}
}

func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 3s")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// BenchmarkPoller100Markers resolves 100 concurrently awaited markers per
// iteration and reports the Fetch calls made per poll and per iteration.
func BenchmarkPoller100Markers(b *testing.B) {
	var queries, polls int64
	for b.Loop() {
		src := &fakeSource{}
		p := NewPoller(src, PollerOptions{Contains: runPrefix, Interval: time.Millisecond})
		ctx, cancel := context.WithCancel(context.Background())
		p.Start(ctx)
		for i := range 100 {
			src.add(marker(i), "InvalidSignature", 5*time.Millisecond, time.Now())
		}
		_, errs := awaitAll(p, 100, 5*time.Second)
		for _, err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
		st := p.Stats()
		queries += st.Queries
		polls += st.Polls
		cancel()
		<-p.Stopped()
	}
	b.ReportMetric(float64(queries)/float64(polls), "queries/poll")
	b.ReportMetric(float64(queries)/float64(b.N), "queries/op")
	b.ReportMetric(float64(queries)/float64(b.N)/100, "queries/marker")
}
