//go:build unix

package procgroup

import (
	"os/exec"
	"syscall"
)

// Set makes cmd the leader of a new process group and makes cancellation
// (its context ending) kill the whole group. Call it before cmd starts.
func Set(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		if cmd.Process == nil {
			return nil
		}
		if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
			return cmd.Process.Kill()
		}
		return nil
	}
}

// Kill kills whatever is left of the process group of cmd (started with
// Set) once cmd has ended: children it left running in the background.
func Kill(cmd *exec.Cmd) {
	if cmd.Process == nil || cmd.SysProcAttr == nil || !cmd.SysProcAttr.Setpgid {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}
