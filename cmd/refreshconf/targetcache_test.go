package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/refreshconf/refreshconf/fixtures/keycache"
	"github.com/refreshconf/refreshconf/fixtures/targetcache"
)

// TestRunReusesProvisionedTarget: the first run provisions the embedded
// target through its OAuth flows and saves it to --target-cache; the next
// run restores it and passes the whole catalogue (one-time tokens and all);
// a run with --defect never uses the cache and still catches the defect; a
// damaged cache file is replaced, not trusted; --target-cache off
// provisions. Every report says which happened.
func TestRunReusesProvisionedTarget(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the catalogue five times")
	}
	caches := t.TempDir()
	keys, cache := filepath.Join(caches, keycache.FileName), filepath.Join(caches, targetcache.FileName)
	run := func(wantCode int, extra ...string) string {
		t.Helper()
		dir := t.TempDir()
		args := append([]string{"run", "--report-dir", dir, "--no-color", "--key-cache", keys, "--target-cache", cache}, extra...)
		res := runCLI(t, 3*time.Minute, nil, args...)
		if res.Code != wantCode {
			t.Fatalf("refreshconf %s exited %d, want %d\n%s\n%s", strings.Join(args, " "), res.Code, wantCode, res.Stdout, clipLog(res.Stderr))
		}
		y, err := os.ReadFile(filepath.Join(dir, "conformance-report.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(string(y), "\n") {
			if l = strings.TrimSpace(l); strings.HasPrefix(l, "provisioned:") {
				return l
			}
		}
		t.Fatalf("the report has no provisioned line:\n%s", y)
		return ""
	}

	if l := run(0); !strings.Contains(l, "through its OAuth flows") || !strings.Contains(l, "saved to the target cache") {
		t.Errorf("first run: %q, want provisioned through the OAuth flows and saved", l)
	}
	if fi, err := os.Stat(cache); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the first run left no owner-only target cache: %v", err)
	}
	for i := range 2 { // twice: each restored copy has its one-time tokens unused
		if l := run(0); !strings.Contains(l, "restored from the target cache") {
			t.Errorf("run %d after the first: %q, want restored from the target cache", i+2, l)
		}
	}
	before, err := os.ReadFile(cache)
	if err != nil {
		t.Fatal(err)
	}
	if l := run(1, "--defect", "ignore-blocked"); !strings.Contains(l, "--defect is always provisioned afresh") {
		t.Errorf("--defect run: %q, want provisioned afresh", l)
	}
	if after, _ := os.ReadFile(cache); string(after) != string(before) {
		t.Error("a --defect run replaced the target cache entry")
	}
	if err := os.WriteFile(cache, append(before[:len(before)-100:len(before)-100], make([]byte, 100)...), 0o600); err != nil {
		t.Fatal(err)
	}
	if l := run(0); !strings.Contains(l, "ignored (database digest does not match") {
		t.Errorf("run over a damaged cache: %q, want it ignored and named", l)
	}
	if l := run(0, "--target-cache", "off"); !strings.Contains(l, "--target-cache off") {
		t.Errorf("--target-cache off: %q, want provisioned through the OAuth flows", l)
	}
}
