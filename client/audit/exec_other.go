//go:build !unix

package audit

import "os/exec"

// setProcessGroup does nothing where process groups are not available:
// cancellation kills only the command itself.
func setProcessGroup(cmd *exec.Cmd) {}
