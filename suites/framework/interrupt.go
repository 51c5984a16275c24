package framework

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"

	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/refreshconf/refreshconf/suites/report"
)

// ExitInterrupted is the exit status of an interrupted run (128 + SIGINT,
// as shells report it).
const ExitInterrupted = 130

// Interrupter stops a run on SIGINT or SIGTERM without Ginkgo's own
// interrupt handling (a progress report with goroutine dumps): the first
// signal stops sending, ends the waits and skips every scenario not yet
// judged, marked interrupted, so that the reports gathered so far are
// written; a second signal exits at once. `refreshconf run` sets one in
// Config.Interrupt; under the Ginkgo CLI Ginkgo handles signals itself.
type Interrupter struct {
	mu     sync.Mutex
	sig    os.Signal
	done   chan struct{}
	notify chan os.Signal
	// exit ends the process on the second signal (os.Exit; a test
	// replaces it).
	exit func(code int)
	// warn receives the one line said on the first signal.
	warn func(msg string)
	// onFirst runs on the first signal, before the run is told.
	onFirst func()
}

// NewInterrupter returns an Interrupter that, on a second signal, exits
// the process with ExitInterrupted, and says what it does on stderr.
// onFirst, if not nil, runs on the first signal (`refreshconf run`
// silences Ginkgo's output with it).
func NewInterrupter(onFirst func()) *Interrupter {
	return &Interrupter{
		done:    make(chan struct{}),
		exit:    os.Exit,
		warn:    func(msg string) { fmt.Fprintln(os.Stderr, msg) },
		onFirst: onFirst,
	}
}

// Interrupt records sig as the run's interruption (the first call wins)
// and ends every context of Context.
func (i *Interrupter) Interrupt(sig os.Signal) {
	if i == nil {
		return
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.sig != nil {
		return
	}
	i.sig = sig
	close(i.done)
}

// Signal returns the signal that interrupted the run, or nil.
func (i *Interrupter) Signal() os.Signal {
	if i == nil {
		return nil
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.sig
}

// Interrupted reports whether the run was interrupted.
func (i *Interrupter) Interrupted() bool { return i.Signal() != nil }

// Context returns ctx ended also when the run is interrupted, and what
// releases it.
func (i *Interrupter) Context(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	if i == nil {
		return ctx, cancel
	}
	go func() {
		select {
		case <-i.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// TakeSignals makes i the only receiver of SIGINT and SIGTERM: it undoes
// every earlier signal.Notify for them (Ginkgo's interrupt handler, which
// RunSpecs registers before the first node runs), then handles them
// itself. Call it once the suite runs; Release undoes it.
func (i *Interrupter) TakeSignals() {
	if i == nil {
		return
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.notify != nil {
		return
	}
	ch := make(chan os.Signal, 2)
	signal.Reset(os.Interrupt, syscall.SIGTERM)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	i.notify = ch
	go func() {
		first := true
		for sig := range ch {
			if !first {
				i.warn("refreshconf: interrupted again: exiting now, without reports")
				i.exit(ExitInterrupted)
				return
			}
			first = false
			i.warn(fmt.Sprintf("refreshconf: %s: stopping; writing the reports gathered so far (press Ctrl-C again to quit at once)", signalName(sig)))
			if i.onFirst != nil {
				i.onFirst()
			}
			i.Interrupt(sig)
		}
	}()
}

// Release stops handling signals (after the run).
func (i *Interrupter) Release() {
	if i == nil {
		return
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.notify != nil {
		signal.Stop(i.notify)
		close(i.notify)
		i.notify = nil
	}
}

// SignalName names sig as a user knows it.
func SignalName(sig os.Signal) string { return signalName(sig) }

// signalName names sig as a user knows it.
func signalName(sig os.Signal) string {
	switch sig {
	case os.Interrupt:
		return "SIGINT (Ctrl-C)"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return sig.String()
}

// interruptedReason is what a scenario not judged because of the
// interruption says.
func (i *Interrupter) interruptedReason() string {
	return "interrupted: the run was stopped by " + signalName(i.Signal()) + " before this scenario was judged"
}

// skipIfInterrupted marks out interrupted and skips the spec when the run
// was interrupted.
func skipIfInterrupted(out *report.Outcome) {
	i := flags.Interrupt
	if !i.Interrupted() {
		return
	}
	out.State = report.StateInterrupted
	Skip(i.interruptedReason())
}

// markInterrupted records in r, as Ginkgo does for an interrupt it
// handles itself, that the run was interrupted: the suite did not
// succeed, for the reason "Interrupted by User".
func markInterrupted(r types.Report) types.Report {
	if !flags.Interrupt.Interrupted() {
		return r
	}
	r.SuiteSucceeded = false
	r.SpecialSuiteFailureReasons = append(append([]string(nil), r.SpecialSuiteFailureReasons...), "Interrupted by User ("+signalName(flags.Interrupt.Signal())+")")
	return r
}
