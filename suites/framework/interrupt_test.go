package framework

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"
)

// TestInterrupterSecondSignalExitsAtOnce sends this process SIGINT twice:
// the first interrupts the run (its contexts end), the second exits with
// 130 at once.
func TestInterrupterSecondSignalExitsAtOnce(t *testing.T) {
	exited := make(chan int, 1)
	i := NewInterrupter(nil)
	i.exit = func(code int) { exited <- code }
	i.warn = func(string) {}
	i.TakeSignals()
	defer i.Release()
	ctx, cancel := i.Context(context.Background())
	defer cancel()

	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the first SIGINT did not end the run's context")
	}
	if i.Signal() != os.Interrupt || !i.Interrupted() {
		t.Fatalf("Signal() = %v", i.Signal())
	}
	select {
	case code := <-exited:
		t.Fatalf("the first signal exited (%d)", code)
	default:
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-exited:
		if code != ExitInterrupted {
			t.Errorf("exit %d, want %d", code, ExitInterrupted)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the second SIGINT did not exit")
	}
}

func TestNilInterrupterIsNeverInterrupted(t *testing.T) {
	var i *Interrupter
	i.TakeSignals()
	i.Interrupt(os.Interrupt)
	if i.Interrupted() || i.Signal() != nil {
		t.Error("a nil Interrupter reports an interruption")
	}
	ctx, cancel := i.Context(context.Background())
	cancel()
	if ctx.Err() == nil {
		t.Error("the context of a nil Interrupter does not end with its cancel")
	}
}
