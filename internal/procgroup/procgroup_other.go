//go:build !unix

package procgroup

import "os/exec"

// Set does nothing where process groups are not available: cancellation
// kills only the command itself.
func Set(*exec.Cmd) {}

// Kill does nothing where process groups are not available.
func Kill(*exec.Cmd) {}
