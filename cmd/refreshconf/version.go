package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/refreshconf/refreshconf/suites/framework"
)

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the harness version, module version, VCS revision and Go version",
		Args:  noArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), versionLine(debug.ReadBuildInfo()))
		},
	}
}

// versionLine is what `version` and `--version` print: the harness
// version, then the module version, VCS revision (with "+dirty" for a
// modified tree) and Go version the binary was built with, from its build
// information.
func versionLine(bi *debug.BuildInfo, ok bool) string {
	mod, rev, goVersion := "unknown", "unknown", runtime.Version()
	if ok && bi != nil {
		if bi.Main.Version != "" {
			mod = bi.Main.Version
		}
		if bi.GoVersion != "" {
			goVersion = bi.GoVersion
		}
		dirty := ""
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					dirty = "+dirty"
				}
			}
		}
		rev += dirty
	}
	return fmt.Sprintf("refreshconf %s (module %s, revision %s, %s %s/%s)", framework.Version, mod, rev, goVersion, runtime.GOOS, runtime.GOARCH)
}
