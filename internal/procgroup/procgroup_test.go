//go:build unix

package procgroup

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/refreshconf/refreshconf/internal/procgroup/pgtest"
)

// TestKillEndsLeftoverChildren: a command that leaves a child running in
// the background loses it to Kill.
func TestKillEndsLeftoverChildren(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	cmd := exec.CommandContext(context.Background(), "sh", "-c", pgtest.BackgroundChild(pidFile, "done"))
	Set(cmd)
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if _, ok := pgtest.Running(t, pidFile); !ok {
		t.Fatal("the background child is not running before Kill: nothing to test")
	}
	Kill(cmd)
	pgtest.AssertGone(t, pidFile)
}
