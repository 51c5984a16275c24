package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/refreshconf/refreshconf/fixtures/profile"
)

// newProfileInitCmd returns `refreshconf profile init`, which writes the
// commented profile template to stdout or to --out FILE.
func newProfileInitCmd() *cobra.Command {
	var (
		out   string
		force bool
	)
	cmd := &cobra.Command{
		Use:   "init [--out FILE] [--force]",
		Short: "Write a commented profile template naming every field",
		Long: `Init writes a commented YAML profile naming every field, filled with
examples for the reference target (refreshconf serve). Edit it, set the
environment variables it names, then run 'refreshconf profile check'.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" || out == "-" {
				if _, err := cmd.OutOrStdout().Write(profile.Template()); err != nil {
					return fmt.Errorf("writing the profile template: %w", err)
				}
				return nil
			}
			if err := writeTemplate(out, force); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "wrote profile template %s; edit it, then run: refreshconf profile check --profile %s\n", out, out)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "out", "o", "", "write the template to `FILE` instead of stdout")
	cmd.Flags().BoolVar(&force, "force", false, "overwrite --out FILE if it exists")
	return cmd
}

// writeTemplate writes the template to path, refusing to replace an
// existing file unless force is set. The file is readable by its owner
// only: it is meant to receive credentials.
func writeTemplate(path string, force bool) error {
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return usageError{fmt.Errorf("%s already exists: pass --force to overwrite it, or choose another --out", path)}
		}
		if errors.Is(err, fs.ErrNotExist) {
			return usageError{fmt.Errorf("cannot create %s: folder %s does not exist", path, filepath.Dir(path))}
		}
		return fmt.Errorf("creating the profile template: %w", err)
	}
	if _, err := f.Write(profile.Template()); err != nil {
		_ = f.Close()
		return fmt.Errorf("writing the profile template to %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing the profile template to %s: %w", path, err)
	}
	return nil
}
