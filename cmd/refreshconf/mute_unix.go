//go:build unix

package main

import (
	"os"

	"golang.org/x/sys/unix"
)

// stdoutMuter silences whatever this process writes to its standard
// output from a moment on (Ginkgo's reporter, whose writer was bound to
// file descriptor 1 at start-up) while keeping a copy of the original
// standard output for the lines still to be said.
type stdoutMuter struct {
	saved *os.File
}

// newStdoutMuter keeps a copy of standard output; it returns nil when it
// cannot, and a nil muter mutes nothing.
func newStdoutMuter() *stdoutMuter {
	fd, err := unix.Dup(int(os.Stdout.Fd()))
	if err != nil {
		return nil
	}
	unix.CloseOnExec(fd)
	return &stdoutMuter{saved: os.NewFile(uintptr(fd), "stdout")}
}

// mute points file descriptor 1 at the null device.
func (m *stdoutMuter) mute() {
	if m == nil {
		return
	}
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return
	}
	defer null.Close()
	_ = unix.Dup2(int(null.Fd()), int(os.Stdout.Fd()))
}

// original returns the standard output as it was before mute.
func (m *stdoutMuter) original() *os.File {
	if m == nil {
		return os.Stdout
	}
	return m.saved
}

// close releases the copy.
func (m *stdoutMuter) close() {
	if m != nil {
		_ = m.saved.Close()
	}
}
