package report

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/onsi/ginkgo/v2/types"
)

// TestWriteAllDoesNotFollowAPlantedSymlink: a symbolic link planted where
// a report file goes is replaced, not written through.
func TestWriteAllDoesNotFollowAPlantedSymlink(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The stale-file sweep removes links with a report's name; a link
	// planted after it (a race) is what the rename guards against.
	if err := writeFile(filepath.Join(dir, "x"), []byte("a"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, FileYAML)
	if err := os.Symlink(victim, link); err != nil {
		t.Skipf("cannot create a symlink here: %v", err)
	}
	if err := writeFile(link, []byte("report"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious" {
		t.Errorf("the write went through the link: victim now %q", b)
	}
	fi, err := os.Lstat(link)
	if err != nil || fi.Mode()&os.ModeSymlink != 0 || fi.Mode().Perm() != 0o644 {
		t.Errorf("%s: %v, %v; want a regular 0644 file", link, fi.Mode(), err)
	}
	if b, _ := os.ReadFile(link); string(b) != "report" {
		t.Errorf("report content %q", b)
	}

	// The whole writer: every file regular, nothing left behind.
	for _, name := range []string{FileHTML, FileJUnit, FileJSON} {
		if err := os.Symlink(victim, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := WriteAll(dir, types.Report{}, true); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious" {
		t.Errorf("WriteAll wrote through a link: victim now %q", b)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Type()&os.ModeSymlink != 0 || e.Name()[0] == '.' {
			t.Errorf("left in the report folder: %s (%v)", e.Name(), e.Type())
		}
	}
}
