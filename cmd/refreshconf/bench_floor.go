package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/refreshconf/refreshconf/fixtures/profile"
	"github.com/refreshconf/refreshconf/fixtures/target"
	"github.com/refreshconf/refreshconf/suites/framework"
)

// benchTarget is a reference target served by the bench itself, so that
// its handler can be wrapped (to record requests) and its database kept in
// a file (to start identical copies).
type benchTarget struct {
	srv  *target.Server
	hs   *http.Server
	url  string
	done chan error
}

// startBenchTarget creates a target from cfg and serves it on a loopback
// port, through wrap when it is not nil.
func startBenchTarget(ctx context.Context, cfg target.Config, wrap func(http.Handler) http.Handler) (*benchTarget, error) {
	s, err := target.New(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("starting a reference target for the bench: %w", err)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("listening on a loopback port for the bench target: %w", err)
	}
	h := s.Handler()
	if wrap != nil {
		h = wrap(h)
	}
	t := &benchTarget{srv: s, url: "http://" + ln.Addr().String(), done: make(chan error, 1),
		hs: &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: 60 * time.Second}}
	go func() {
		err := t.hs.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		t.done <- err
	}()
	return t, nil
}

// stop closes the listener and every connection at once (all work is
// done by then) and closes the database.
func (t *benchTarget) stop() error {
	errClose := t.hs.Close()
	errServe := <-t.done
	return errors.Join(errClose, errServe, t.srv.Close())
}

// recorded is one request a scenario sent, as the target received it.
type recorded struct {
	method, uri string
	header      http.Header
	body        []byte
	status      int
}

// recorder captures the token-endpoint traffic passing through a handler
// while it is on (admin and audit calls are not recorded).
type recorder struct {
	on   atomic.Bool
	mu   sync.Mutex
	reqs []recorded
}

// statusWriter remembers the status a handler answered.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (rc *recorder) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !rc.on.Load() || strings.HasPrefix(r.URL.Path, "/admin") || strings.HasPrefix(r.URL.Path, "/audit") {
			h.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "bench recorder: reading the request body: "+err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		rc.mu.Lock()
		i := len(rc.reqs)
		rc.reqs = append(rc.reqs, recorded{method: r.Method, uri: r.RequestURI, header: r.Header.Clone(), body: body})
		rc.mu.Unlock()
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		rc.mu.Lock()
		rc.reqs[i].status = sw.status
		rc.mu.Unlock()
	})
}

// floorSetup is a provisioned reference target kept as a database file,
// and the catalogue's requests crafted against an identical copy of it.
type floorSetup struct {
	dir         string
	adminToken  string
	snapshot    string // the provisioned database file
	reqs        []recorded
	concurrency int
	scenarios   int
	fire        time.Duration // the catalogue's own firing time (crafting included)
	profile     *profile.Profile
	baseURL     string // the base URL profile points at
}

// prepareFloor provisions a target into a database file, then fires the
// whole catalogue at a copy of it while recording every request.
func prepareFloor(ctx context.Context, dir string) (*floorSetup, error) {
	tok, err := randomHex(32)
	if err != nil {
		return nil, err
	}
	fs := &floorSetup{dir: dir, adminToken: tok, snapshot: filepath.Join(dir, "provisioned.db")}
	a, err := startBenchTarget(ctx, target.Config{DBPath: fs.snapshot, AdminToken: tok}, nil)
	if err != nil {
		return nil, err
	}
	p, err := framework.ProvisionEmbedded(ctx, a.url, tok, 0)
	if errStop := a.stop(); err == nil && errStop != nil {
		err = fmt.Errorf("stopping the provisioned bench target: %w", errStop)
	}
	if err != nil {
		return nil, err
	}
	fs.concurrency, fs.profile, fs.baseURL = p.Limits.Concurrency, p, a.url

	craft := filepath.Join(dir, "craft.db")
	if err := copyDB(fs.snapshot, craft); err != nil {
		return nil, err
	}
	rec := &recorder{}
	b, err := startBenchTarget(ctx, target.Config{DBPath: craft, AdminToken: tok}, rec.wrap)
	if err != nil {
		return nil, err
	}
	defer func() { _ = b.stop() }()
	pb, err := rebase(ctx, p, a.url, b.url)
	if err != nil {
		return nil, err
	}
	rec.on.Store(true)
	st, err := framework.FireCatalogue(ctx, pb, "")
	rec.on.Store(false)
	if err != nil {
		return nil, err
	}
	if len(st.Errors) > 0 || st.Skipped > 0 {
		return nil, fmt.Errorf("the catalogue did not craft every scenario against the bench target (%d skipped, errors: %s): the floor would not be comparable", st.Skipped, strings.Join(st.Errors, "; "))
	}
	rec.mu.Lock()
	fs.reqs = rec.reqs
	rec.mu.Unlock()
	if len(fs.reqs) == 0 {
		return nil, errors.New("the catalogue sent no request to the bench target")
	}
	fs.scenarios, fs.fire = st.Scenarios, st.Duration
	return fs, nil
}

// rebase returns p with every URL of base `from` pointing at `to`.
func rebase(ctx context.Context, p *profile.Profile, from, to string) (*profile.Profile, error) {
	y, err := p.Marshal()
	if err != nil {
		return nil, err
	}
	q, err := profile.Parse(ctx, bytes.ReplaceAll(y, []byte(from), []byte(to)), "", profile.LoadOptions{})
	if err != nil {
		return nil, fmt.Errorf("re-reading the bench profile: %w", err)
	}
	q.ApplyDefaults()
	return q, nil
}

// copyDB copies a closed SQLite database (and its WAL, if any).
func copyDB(from, to string) error {
	for _, sfx := range []string{"", "-wal"} {
		b, err := os.ReadFile(from + sfx)
		if errors.Is(err, os.ErrNotExist) && sfx != "" {
			continue
		}
		if err != nil {
			return fmt.Errorf("copying the provisioned bench database: %w", err)
		}
		if err := os.WriteFile(to+sfx, b, 0o600); err != nil {
			return fmt.Errorf("copying the provisioned bench database: %w", err)
		}
	}
	return nil
}

// floorResult is one measured replay.
type floorResult struct {
	wall       time.Duration
	mismatches int // answers whose status differs from the recorded one
}

// measureFloor starts a fresh copy of the provisioned target and sends the
// recorded requests with bare net/http calls, in recorded order, at the
// catalogue's concurrency, and times it.
func (fs *floorSetup) measureFloor(ctx context.Context, run int) (floorResult, error) {
	db := filepath.Join(fs.dir, fmt.Sprintf("floor-%d.db", run))
	if err := copyDB(fs.snapshot, db); err != nil {
		return floorResult{}, err
	}
	defer func() { _ = os.Remove(db); _ = os.Remove(db + "-wal"); _ = os.Remove(db + "-shm") }()
	t, err := startBenchTarget(ctx, target.Config{DBPath: db, AdminToken: fs.adminToken}, nil)
	if err != nil {
		return floorResult{}, err
	}
	defer func() { _ = t.stop() }()
	tr := &http.Transport{MaxIdleConns: 2 * fs.concurrency, MaxIdleConnsPerHost: fs.concurrency, DisableCompression: true}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 15 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	next := make(chan int)
	var mismatches atomic.Int64
	var firstErr error
	var errOnce sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for range fs.concurrency {
		wg.Go(func() {
			for i := range next {
				r := fs.reqs[i]
				req, err := http.NewRequestWithContext(ctx, r.method, t.url+r.uri, bytes.NewReader(r.body))
				if err != nil {
					errOnce.Do(func() { firstErr = fmt.Errorf("replaying request %d: %w", i, err) })
					continue
				}
				req.Header = r.header.Clone()
				if len(r.body) == 0 {
					req.Body, req.ContentLength = http.NoBody, 0
				}
				resp, err := hc.Do(req)
				if err != nil {
					errOnce.Do(func() { firstErr = fmt.Errorf("replaying request %d: %w", i, err) })
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
				if resp.StatusCode != r.status {
					mismatches.Add(1)
				}
			}
		})
	}
	for i := range fs.reqs {
		next <- i
	}
	close(next)
	wg.Wait()
	res := floorResult{wall: time.Since(start), mismatches: int(mismatches.Load())}
	return res, firstErr
}
