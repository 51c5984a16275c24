package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/refreshconf/refreshconf/fixtures/keycache"
)

// TestRunReusesCachedKeys: a run takes its RSA keys from --key-cache (and
// says so in its report), generates and saves them when the cache is
// empty, generates fresh ones with --key-cache off, and never writes a
// cached private key into its reports or output.
func TestRunReusesCachedKeys(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the catalogue three times")
	}
	cache := filepath.Join(t.TempDir(), "keys", keycache.FileName)
	run := func(keyCache string) (cliResult, string) {
		t.Helper()
		dir := t.TempDir()
		res := runCLI(t, 3*time.Minute, nil, "run", "--report-dir", dir, "--no-color", "--key-cache", keyCache)
		if res.Code != 0 {
			t.Fatalf("run --key-cache %s exited %d\n%s\n%s", keyCache, res.Code, res.Stdout, res.Stderr)
		}
		return res, dir
	}
	keysLine := func(dir string) string {
		t.Helper()
		y, err := os.ReadFile(filepath.Join(dir, "conformance-report.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(string(y), "\n") {
			if strings.HasPrefix(strings.TrimSpace(l), "keys:") {
				return l
			}
		}
		t.Fatalf("the report has no keys line:\n%s", y)
		return ""
	}

	_, first := run(cache)
	if l := keysLine(first); !strings.Contains(l, "0 of 3 RSA keys reused") {
		t.Errorf("first run with an empty cache: %q, want 0 of 3 reused", l)
	}
	saved, err := keycache.Load(context.Background(), cache, 3)
	if err != nil || saved.Generated != 0 {
		t.Fatalf("the first run did not save its keys: generated %d, err %v", saved.Generated, err)
	}
	res, second := run(cache)
	if l := keysLine(second); !strings.Contains(l, "3 of 3 RSA keys reused") {
		t.Errorf("second run: %q, want 3 of 3 reused", l)
	}
	_, fresh := run("off")
	if l := keysLine(fresh); !strings.Contains(l, "generated for this run (--key-cache off)") {
		t.Errorf("--key-cache off: %q, want generated for this run", l)
	}

	// The cached private keys never reach a report or the output: look
	// for a long slice of each key's base64 body.
	pem, err := os.ReadFile(cache)
	if err != nil {
		t.Fatal(err)
	}
	var bodies []string
	for _, l := range strings.Split(string(pem), "\n") {
		if len(l) == 64 { // a full PEM body line
			bodies = append(bodies, l)
		}
	}
	if len(bodies) < 3 {
		t.Fatalf("the cache holds %d PEM body lines, want many", len(bodies))
	}
	for _, dir := range []string{first, second} {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			data, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range bodies {
				if strings.Contains(string(data), b) || strings.Contains(strings.ReplaceAll(string(data), `\n`, "\n"), b) {
					t.Fatalf("%s holds a line of a cached private key", e.Name())
				}
			}
		}
	}
	for _, b := range bodies {
		if strings.Contains(res.Stdout+res.Stderr, b) {
			t.Fatal("the run's output holds a line of a cached private key")
		}
	}
}
