package audit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Defaults of PollerOptions.
const (
	DefaultInterval       = 100 * time.Millisecond
	DefaultClockSkew      = 5 * time.Second
	DefaultFetchTimeout   = 30 * time.Second
	DefaultPendingTimeout = time.Minute
	DefaultAwaitTimeout   = 30 * time.Second
)

// PollerOptions configures a Poller. Zero values mean the defaults.
type PollerOptions struct {
	// Contains is the substring every marker of the run shares (the run's
	// marker prefix, e.g. "rc-1a2b3c4d-"); it is the Query.Contains of
	// every Fetch.
	Contains string
	// Interval is the pause between polls; default DefaultInterval.
	Interval time.Duration
	// ClockSkew is the tolerated difference between the harness's and the
	// target's clocks: the date bound of since-based sources is Start minus
	// ClockSkew. Default DefaultClockSkew; negative means none.
	ClockSkew time.Duration
	// Settle is how long to keep looking for duplicates after a marker's
	// first row was seen (in addition to one further poll); default 0.
	Settle time.Duration
	// Start is when the run started; the zero time means no date bound.
	Start time.Time
	// FetchTimeout bounds one Fetch; default DefaultFetchTimeout.
	FetchTimeout time.Duration
	// PendingTimeout is how long a marker registered with Expect keeps
	// the poller polling while nobody Awaits it and no row was seen;
	// default DefaultPendingTimeout.
	PendingTimeout time.Duration
}

// Stats counts a Poller's work.
type Stats struct {
	// Queries is the number of Fetch calls (one per poll).
	Queries int64
	// Polls is the number of successful Fetch calls.
	Polls int64
	// Entries is the number of distinct entries received.
	Entries int64
	// Errors is the number of failed Fetch calls.
	Errors int64
	// Pending is the number of markers currently polled for.
	Pending int
	// LastError is the last Fetch error ("" if none); it holds no secret.
	LastError string
}

// TimeoutError is returned by Await when no confirmed row arrived in time.
type TimeoutError struct {
	// Marker is the awaited marker.
	Marker string
	// Timeout is how long Await waited.
	Timeout time.Duration
	// Polls is the number of polls made while waiting.
	Polls int64
	// LastError is the last Fetch error, or "".
	LastError string
	// Seen is true when rows were seen but no further poll completed to
	// confirm there was no duplicate.
	Seen bool
	// Notes are the source's notes (see Noter), or "".
	Notes string
	// Source names the source.
	Source string
	// Waiting is how long the query in flight when Await gave up had
	// been waiting for the source to answer, when that was at least half
	// the timeout (0 otherwise).
	Waiting time.Duration
}

// Error implements error.
func (e *TimeoutError) Error() string {
	last := e.LastError
	if last == "" {
		last = "none"
	}
	var b strings.Builder
	if e.Seen {
		fmt.Fprintf(&b, "audit row for marker %s seen but not confirmed by a further poll within %s (%d polls, last error: %s)", e.Marker, e.Timeout, e.Polls, last)
	} else {
		fmt.Fprintf(&b, "no audit row for marker %s within %s (%d polls, last error: %s)", e.Marker, e.Timeout, e.Polls, last)
	}
	fmt.Fprintf(&b, "; source %s", e.Source)
	if e.Waiting > 0 {
		fmt.Fprintf(&b, "; a query of the source had been waiting %s for an answer: the audit source is not answering (check it, or raise timeouts.request if it is only slow)", e.Waiting.Round(time.Millisecond))
	}
	if e.Notes != "" {
		b.WriteString("; ")
		b.WriteString(e.Notes)
	}
	if !e.Seen && e.LastError == "" && e.Waiting == 0 {
		b.WriteString("; check that the target records the User-Agent and that timeouts.audit covers its audit latency")
	}
	return b.String()
}

// ErrStopped is returned by Await when the poller's context ended.
var ErrStopped = errors.New("audit poller stopped")

// ErrNotStarted is returned by Await before Start was called.
var ErrNotStarted = errors.New("audit poller not started; call Start first")

// seenEntry is an entry and the successful poll that brought it.
type seenEntry struct {
	e    Entry
	poll int64
	at   time.Time
}

// markerState tracks one registered marker.
type markerState struct {
	entries   []Entry
	firstPoll int64 // poll that brought the first entry; 0 while none
	firstAt   time.Time
	resolved  bool
	waiters   int
	expires   time.Time // pending without waiters until then
}

// Poller shares one stream of Fetch calls among many awaited markers. It
// polls only while some marker is pending (registered by Expect or Await,
// not yet resolved or expired) or after Touch. Every poll is one Fetch with
// the run's marker prefix; the entries are matched to markers by
// substring. A marker is resolved when an entry for it was seen and one
// further poll has completed (so a duplicate row written with it is seen
// too) and Settle has passed. Rows are kept for the Poller's life, so a
// marker registered after its rows arrived resolves at once.
type Poller struct {
	src Source
	o   PollerOptions

	wake    chan struct{} // buffered(1): wakes an idle loop
	stopped chan struct{} // closed when the loop ends

	mu      sync.Mutex
	started bool
	cursor  string
	since   time.Time
	all     []seenEntry
	ids     map[string]struct{}
	markers map[string]*markerState
	touch   int
	changed chan struct{} // closed and replaced after every poll
	queries int64
	polls   int64
	errs    int64
	lastErr string
	// lastErrWait is how long the last failed query had waited for its
	// answer (a query that timed out waited its whole timeout).
	lastErrWait time.Duration
	loopDone    bool
	fetching    time.Time // when the query in flight started; zero when none
}

// NewPoller returns a Poller reading src. Call Start before Await.
func NewPoller(src Source, o PollerOptions) *Poller {
	if o.Interval <= 0 {
		o.Interval = DefaultInterval
	}
	if o.ClockSkew == 0 {
		o.ClockSkew = DefaultClockSkew
	} else if o.ClockSkew < 0 {
		o.ClockSkew = 0
	}
	if o.FetchTimeout <= 0 {
		o.FetchTimeout = DefaultFetchTimeout
	}
	if o.PendingTimeout <= 0 {
		o.PendingTimeout = DefaultPendingTimeout
	}
	if o.Settle < 0 {
		o.Settle = 0
	}
	p := &Poller{
		src:     src,
		o:       o,
		wake:    make(chan struct{}, 1),
		stopped: make(chan struct{}),
		ids:     map[string]struct{}{},
		markers: map[string]*markerState{},
		changed: make(chan struct{}),
	}
	if !o.Start.IsZero() {
		p.since = o.Start.Add(-o.ClockSkew)
	}
	return p
}

// Since returns the date bound passed to since-based sources.
func (p *Poller) Since() time.Time { return p.since }

// Start runs the polling loop in the background until ctx ends. Calling
// it again does nothing. Stopped reports when the loop has ended.
func (p *Poller) Start(ctx context.Context) {
	p.mu.Lock()
	if p.started {
		p.mu.Unlock()
		return
	}
	p.started = true
	if p.src == nil {
		p.loopDone = true
		p.mu.Unlock()
		close(p.stopped)
		return
	}
	p.mu.Unlock()
	go p.loop(ctx)
}

// Stopped is closed when the polling loop has ended.
func (p *Poller) Stopped() <-chan struct{} { return p.stopped }

// loop polls while there is work.
func (p *Poller) loop(ctx context.Context) {
	defer func() {
		p.mu.Lock()
		p.loopDone = true
		close(p.changed)
		p.changed = make(chan struct{})
		p.mu.Unlock()
		close(p.stopped)
	}()
	for {
		for !p.hasWork() {
			select {
			case <-ctx.Done():
				return
			case <-p.wake:
			}
		}
		p.pollOnce(ctx)
		t := time.NewTimer(p.o.Interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// hasWork reports whether a poll is due.
func (p *Poller) hasWork() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.touch > 0 || p.pendingLocked(time.Now()) > 0
}

// pendingLocked counts pending markers; p.mu is held.
func (p *Poller) pendingLocked(now time.Time) int {
	n := 0
	for _, st := range p.markers {
		if st.resolved {
			continue
		}
		if st.waiters > 0 || now.Before(st.expires) {
			n++
		}
	}
	return n
}

// pollOnce makes one Fetch and distributes its entries.
func (p *Poller) pollOnce(ctx context.Context) {
	p.mu.Lock()
	q := Query{Contains: p.o.Contains, Cursor: p.cursor, Since: p.since}
	if p.touch > 0 {
		p.touch--
	}
	p.fetching = time.Now()
	began := p.fetching
	p.mu.Unlock()

	fctx, cancel := context.WithTimeout(ctx, p.o.FetchTimeout)
	b, err := p.src.Fetch(fctx, q)
	cancel()

	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.queries++
	p.fetching = time.Time{}
	if err != nil {
		if ctx.Err() == nil {
			p.errs++
			p.lastErr, p.lastErrWait = err.Error(), now.Sub(began)
		}
	} else {
		p.polls++
		p.cursor = b.Cursor
		for _, e := range b.Entries {
			p.ingestLocked(e, now)
		}
		for _, st := range p.markers {
			p.resolveLocked(st, now)
		}
	}
	close(p.changed)
	p.changed = make(chan struct{})
}

// ingestLocked stores a new entry and hands it to its marker; p.mu is held.
func (p *Poller) ingestLocked(e Entry, now time.Time) {
	if p.o.Contains != "" && !strings.Contains(e.UserAgent, p.o.Contains) {
		return
	}
	if e.ID != "" {
		k := e.Source + "\x00" + e.ID
		if _, dup := p.ids[k]; dup {
			return
		}
		p.ids[k] = struct{}{}
	}
	se := seenEntry{e: e, poll: p.polls, at: now}
	p.all = append(p.all, se)
	for m, st := range p.markers {
		if strings.Contains(e.UserAgent, m) {
			st.add(se)
		}
	}
}

// add records an entry for the marker.
func (st *markerState) add(se seenEntry) {
	st.entries = append(st.entries, se.e)
	if st.firstPoll == 0 || se.poll < st.firstPoll {
		st.firstPoll, st.firstAt = se.poll, se.at
	}
}

// resolveLocked resolves st if it is confirmed; p.mu is held.
func (p *Poller) resolveLocked(st *markerState, now time.Time) {
	if st.resolved || st.firstPoll == 0 {
		return
	}
	if p.polls > st.firstPoll && now.Sub(st.firstAt) >= p.o.Settle {
		st.resolved = true
	}
}

// registerLocked returns the marker's state, creating it (and collecting
// the entries already received) on first use; p.mu is held.
func (p *Poller) registerLocked(marker string, now time.Time) *markerState {
	st, ok := p.markers[marker]
	if !ok {
		st = &markerState{}
		for _, se := range p.all {
			if strings.Contains(se.e.UserAgent, marker) {
				st.add(se)
			}
		}
		p.markers[marker] = st
		p.resolveLocked(st, now)
	}
	if exp := now.Add(p.o.PendingTimeout); exp.After(st.expires) {
		st.expires = exp
	}
	return st
}

// kick wakes an idle loop.
func (p *Poller) kick() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Expect registers a pending marker, so that polling runs until its rows
// are seen and confirmed (or PendingTimeout passes without any). Register
// markers before firing their requests to overlap the audit latency.
func (p *Poller) Expect(marker string) {
	if marker == "" {
		return
	}
	p.mu.Lock()
	p.registerLocked(marker, time.Now())
	p.mu.Unlock()
	p.kick()
}

// Touch asks for one more poll even if no marker is pending (for callers
// that watch Entries, e.g. to check that no second row appears).
func (p *Poller) Touch() {
	p.mu.Lock()
	p.touch++
	p.mu.Unlock()
	p.kick()
}

// Entries returns the entries received so far for marker (a snapshot; it
// never blocks and never registers the marker).
func (p *Poller) Entries(marker string) []Entry {
	p.mu.Lock()
	defer p.mu.Unlock()
	if st, ok := p.markers[marker]; ok {
		return append([]Entry(nil), st.entries...)
	}
	var out []Entry
	for _, se := range p.all {
		if marker != "" && strings.Contains(se.e.UserAgent, marker) {
			out = append(out, se.e)
		}
	}
	return out
}

// Stats returns the counters.
func (p *Poller) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return Stats{
		Queries:   p.queries,
		Polls:     p.polls,
		Entries:   int64(len(p.all)),
		Errors:    p.errs,
		Pending:   p.pendingLocked(time.Now()),
		LastError: p.lastErr,
	}
}

// Await waits until at least one entry for marker was seen and one further
// poll completed (so a duplicate written with it is also seen), and returns
// the marker's entries. timeout <= 0 means DefaultAwaitTimeout. On timeout
// it returns a *TimeoutError (with the entries, if some were seen but not
// confirmed); when ctx ends, ctx's error; when the poller stopped,
// ErrStopped.
func (p *Poller) Await(ctx context.Context, marker string, timeout time.Duration) ([]Entry, error) {
	if marker == "" {
		return nil, errors.New("audit: Await needs a marker")
	}
	if timeout <= 0 {
		timeout = DefaultAwaitTimeout
	}
	p.mu.Lock()
	if !p.started {
		p.mu.Unlock()
		return nil, ErrNotStarted
	}
	st := p.registerLocked(marker, time.Now())
	st.waiters++
	startQueries := p.queries
	p.mu.Unlock()
	p.kick()
	defer func() {
		p.mu.Lock()
		st.waiters--
		p.mu.Unlock()
	}()

	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		p.mu.Lock()
		if st.resolved {
			out := append([]Entry(nil), st.entries...)
			p.mu.Unlock()
			return out, nil
		}
		changed, done := p.changed, p.loopDone
		p.mu.Unlock()
		if done {
			return nil, fmt.Errorf("waiting for audit row for marker %s: %w", marker, ErrStopped)
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for audit row for marker %s: %w", marker, ctx.Err())
		case <-timer.C:
			return p.timeout(st, marker, timeout, startQueries)
		}
	}
}

// timeout builds Await's timeout result.
func (p *Poller) timeout(st *markerState, marker string, timeout time.Duration, startQueries int64) ([]Entry, error) {
	notes := ""
	if n, ok := p.src.(Noter); ok {
		notes = n.Notes()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if st.resolved { // resolved just as the timer fired
		return append([]Entry(nil), st.entries...), nil
	}
	e := &TimeoutError{
		Marker:    marker,
		Timeout:   timeout,
		Polls:     p.queries - startQueries,
		LastError: p.lastErr,
		Seen:      len(st.entries) > 0,
		Notes:     notes,
		Source:    p.src.Name(),
	}
	if w := time.Since(p.fetching); !p.fetching.IsZero() && w >= timeout/2 {
		e.Waiting = w // stuck for much of the wait, not merely just sent
	} else if p.lastErr != "" && p.lastErrWait >= timeout/2 {
		// The query in flight gave up just before Await did: the source
		// was as silent, only the order of the two timers differed.
		e.Waiting = p.lastErrWait
	}
	return append([]Entry(nil), st.entries...), e
}
