package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// newBenchCmd is being built (see the open issue); it refuses to run.
func newBenchCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "bench",
		Hidden: true,
		RunE:   func(*cobra.Command, []string) error { return errors.New("bench: not available in this build") },
	}
}
