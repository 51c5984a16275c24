package report

import (
	"fmt"
	"os"
	"path/filepath"
)

// writeFile writes data to path without following a symbolic link there
// (one planted in a shared folder would redirect the write): it writes a
// new temporary file in the same folder, created exclusively, and renames
// it over path, which replaces a link rather than writing through it.
func writeFile(path string, data []byte, perm os.FileMode) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if err := f.Chmod(perm); err != nil {
		return fmt.Errorf("setting the mode of %s: %w", tmp, err)
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		ok = true // closed and removed
		return err
	}
	ok = true
	return nil
}
