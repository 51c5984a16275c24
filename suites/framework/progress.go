package framework

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/refreshconf/refreshconf/fixtures/profile"
	"github.com/refreshconf/refreshconf/suites/report"
)

// setup prints the set-up of a run, one line per phase with its duration
// (on a terminal, a live line while a phase runs), and names the phase a
// set-up failure happened in.
type setup struct {
	w     io.Writer
	live  bool // w is a terminal: overwrite a live line
	phase string
	began time.Time
}

// newSetup prints to standard error.
func newSetup() *setup {
	return &setup{w: os.Stderr, live: isTerminal(os.Stderr)}
}

// start begins phase name.
func (s *setup) start(name string) {
	s.phase, s.began = name, time.Now()
	if s.live {
		fmt.Fprintf(s.w, "\r\x1b[Krefreshconf: %s ...", name)
	}
}

// done ends the current phase, with what it did (may be empty).
func (s *setup) done(detail string) {
	if detail != "" {
		detail = ": " + detail
	}
	fmt.Fprintf(s.w, "%srefreshconf: %s%s (%s)\n", s.clear(), s.phase, detail, roundDuration(time.Since(s.began)))
}

// clear is what erases a live line first.
func (s *setup) clear() string {
	if s.live {
		return "\r\x1b[K"
	}
	return ""
}

// fail wraps err with the current phase.
func (s *setup) fail(err error) error {
	if s.live {
		fmt.Fprint(s.w, s.clear())
	}
	return &SetupError{Step: s.phase, Err: err}
}

// ticker calls line every interval on a terminal (a live line) until the
// returned stop is called.
func (s *setup) ticker(interval time.Duration, line func() string) (stop func()) {
	if !s.live {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				fmt.Fprintf(s.w, "\r\x1b[Krefreshconf: %s", line())
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// SetupError is a failure of the run's set-up: the step it failed in and
// why.
type SetupError struct {
	Step string
	Err  error
}

func (e *SetupError) Error() string { return e.Step + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *SetupError) Unwrap() error { return e.Err }

// roundDuration rounds d for a progress line.
func roundDuration(d time.Duration) time.Duration {
	switch {
	case d >= 10*time.Second:
		return d.Round(100 * time.Millisecond)
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	}
	return d.Round(100 * time.Microsecond)
}

// isTerminal reports whether f is a terminal.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// setupFailureInfo is the report's run information when the set-up failed
// with err: the harness version, the target and the profile (its shape
// read again, secrets unresolved and redacted) as far as they are known,
// and the failing step with its cause.
func setupFailureInfo(cfg Config, err error) report.RunInfo {
	ri := report.RunInfo{HarnessVersion: Version, Started: time.Now(), Mode: "embedded", Certify: cfg.Certify, Defects: cfg.Defects, Target: "reference (embedded)"}
	step := "set-up"
	var se *SetupError
	if errors.As(err, &se) {
		step = se.Step
	}
	ri.SetupFailure = &report.SetupFailure{Step: step, Cause: err.Error()}
	if cfg.ProfilePath == "" {
		return ri
	}
	ri.Mode, ri.Target = "profile", cfg.ProfilePath
	p, perr := profile.Load(context.Background(), cfg.ProfilePath, profile.LoadOptions{SkipSecrets: true})
	if perr != nil {
		ri.Profile = "(could not read the profile: " + perr.Error() + ")"
		return ri
	}
	ri.Target, ri.TokenURL, ri.Implementation, ri.AuditSource = p.Name, p.Target.TokenURL, p.Implementation, p.Audit.Source
	if b, merr := p.Redacted().Marshal(); merr == nil {
		ri.Profile = string(b)
	}
	return ri
}

// auditWaitPlainEvery is how often a plain (not a terminal) progress line
// is printed during a long audit wait; a wait shorter than it prints
// nothing.
const auditWaitPlainEvery = 5 * time.Second

// watchAuditWait prints the audit wait's progress until every expected
// row arrived or ctx ends: on a terminal a live line, otherwise a plain
// line every auditWaitPlainEvery.
func watchAuditWait(ctx context.Context, s *session) {
	su := newSetup()
	deadline := s.shared.Started.Add(s.shared.FireTime + s.profile.Timeouts.Audit.Std())
	fired := len(s.shared.Results)
	interval := auditWaitPlainEvery
	if su.live {
		interval = 250 * time.Millisecond
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	shown := false
	for {
		select {
		case <-ctx.Done():
			if shown {
				fmt.Fprint(su.w, su.clear())
			}
			return
		case <-t.C:
		}
		st := s.poller.Stats()
		if st.Pending == 0 {
			if shown {
				fmt.Fprint(su.w, su.clear())
			}
			return
		}
		left := time.Until(deadline).Round(time.Second)
		if left < 0 {
			left = 0
		}
		line := fmt.Sprintf("audit wait: %d scenarios fired, %d audit rows found, %d requests awaiting their row, %s left until the audit deadline", fired, st.Entries, st.Pending, left)
		if su.live {
			fmt.Fprintf(su.w, "\r\x1b[Krefreshconf: %s", line)
		} else {
			fmt.Fprintf(su.w, "refreshconf: %s\n", line)
		}
		shown = true
	}
}

// sameHost returns the host:port both URLs name, or "" when they differ
// (or either cannot be parsed).
func sameHost(a, b string) string {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	if err1 != nil || err2 != nil || ua.Host == "" || !strings.EqualFold(ua.Host, ub.Host) {
		return ""
	}
	return ua.Host
}
