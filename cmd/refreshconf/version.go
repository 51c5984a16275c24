package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/refreshconf/refreshconf/suites/framework"
)

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the harness version",
		Args:  noArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), "refreshconf", framework.Version)
		},
	}
}
