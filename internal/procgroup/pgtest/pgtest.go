//go:build unix

// Package pgtest helps tests prove that a process a command left behind
// was killed.
package pgtest

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BackgroundChild is a shell command line that starts `sleep 60` in the
// background, writes its process ID to pidFile and prints out.
func BackgroundChild(pidFile, out string) string {
	return "sleep 60 >/dev/null 2>&1 & echo $! > " + pidFile + "; echo " + out
}

// Running returns the process ID written to pidFile and whether that
// process runs.
func Running(t testing.TB, pidFile string) (int, bool) {
	t.Helper()
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return pid, alive(pid)
}

// AssertGone fails t unless the process whose ID is in pidFile ends
// within 5 seconds (and kills it then).
func AssertGone(t testing.TB, pidFile string) {
	t.Helper()
	pid, _ := Running(t, pidFile)
	deadline := time.Now().Add(5 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("process %d, left behind by the command, outlived it", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// alive reports whether process pid runs (a zombie, not yet reaped by
// whoever inherited it, does not).
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true // no /proc: the signal test is all there is
	}
	_, rest, _ := strings.Cut(string(stat), ") ")
	return !strings.HasPrefix(rest, "Z")
}
