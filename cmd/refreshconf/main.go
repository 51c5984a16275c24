// Command refreshconf is the conformance and attack harness for OAuth 2.0
// refresh-token endpoints: `run` executes the whole catalogue, `serve`
// starts the reference target, `catalogue` lists the scenarios, `profile`
// writes and checks target profiles, and `report` re-renders reports.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

// exitError carries a process exit status without printing anything more.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := execute(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// execute runs the command line and returns the exit status: 0 success, 1
// a failed run or check, 2 a usage error.
func execute(ctx context.Context, args []string) int {
	root := newRootCmd()
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	code := exitCode(err)
	var ee exitError
	if err != nil && !errors.As(err, &ee) {
		msg := err.Error()
		if !colorOn(os.Stderr, false) {
			msg = stripANSI(msg) // Ginkgo's parse errors carry colours
		}
		fmt.Fprintln(os.Stderr, "refreshconf:", msg)
	}
	return code
}

// exitCode maps a command's error to the exit status: 0 none, the code of
// an exitError, 2 a usage error (including cobra's own argument and
// command errors), 1 anything else.
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	var ue usageError
	if errors.As(err, &ue) {
		return 2
	}
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "flag needs an argument", "invalid argument", "accepts ", "requires at least"} {
		if strings.HasPrefix(msg, p) {
			return 2
		}
	}
	return 1
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "refreshconf",
		Short:         "Conformance and attack harness for OAuth 2.0 refresh-token endpoints",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%w (see --help)", err)}
	})
	root.AddCommand(newRunCmd(), newServeCmd(), newCatalogueCmd(), newProfileCmd(), newReportCmd(), newVersionCmd(), newFuzzCmd(), newBenchCmd())
	root.Version = versionLine(debug.ReadBuildInfo())
	root.SetVersionTemplate("{{.Version}}\n")
	root.InitDefaultCompletionCmd()
	decorate(root)
	return root
}
