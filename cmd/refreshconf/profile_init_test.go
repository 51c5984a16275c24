package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/refreshconf/refreshconf/fixtures/profile"
)

func TestProfileInit(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "existing.yaml")
	if err := os.WriteFile(existing, []byte("keep me\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		args      []string
		wantOut   bool   // template on stdout
		wantFile  string // file that must hold the template
		wantErr   string
		wantUsage bool
		keep      string // file that must be unchanged
	}{
		{name: "stdout", args: nil, wantOut: true},
		{name: "stdout dash", args: []string{"--out", "-"}, wantOut: true},
		{name: "new file", args: []string{"--out", filepath.Join(dir, "new.yaml")}, wantFile: filepath.Join(dir, "new.yaml")},
		{name: "refuses overwrite", args: []string{"--out", existing}, wantErr: "already exists: pass --force", wantUsage: true, keep: existing},
		{name: "missing folder", args: []string{"--out", filepath.Join(dir, "no", "p.yaml")}, wantErr: "does not exist", wantUsage: true},
		{name: "positional argument", args: []string{"extra"}, wantErr: "unexpected argument", wantUsage: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := newProfileInitCmd()
			var out, errOut bytes.Buffer
			cmd.SetOut(&out)
			cmd.SetErr(&errOut)
			cmd.SetArgs(tt.args)
			err := cmd.Execute()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				var ue usageError
				if errors.As(err, &ue) != tt.wantUsage {
					t.Errorf("usage error = %v, want %v", errors.As(err, &ue), tt.wantUsage)
				}
				if tt.keep != "" {
					if b, _ := os.ReadFile(tt.keep); string(b) != "keep me\n" {
						t.Errorf("%s was changed", tt.keep)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantOut != bytes.Equal(out.Bytes(), profile.Template()) {
				t.Errorf("stdout holds the template = %v, want %v", !tt.wantOut, tt.wantOut)
			}
			if tt.wantFile != "" {
				b, err := os.ReadFile(tt.wantFile)
				if err != nil || !bytes.Equal(b, profile.Template()) {
					t.Errorf("%s does not hold the template (%v)", tt.wantFile, err)
				}
			}
		})
	}

	cmd := newProfileInitCmd()
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	cmd.SetArgs([]string{"--out", existing, "--force"})
	if err := cmd.Execute(); err != nil {
		t.Fatalf("--force: %v", err)
	}
	if b, _ := os.ReadFile(existing); !bytes.Equal(b, profile.Template()) {
		t.Error("--force did not overwrite the file")
	}
}
