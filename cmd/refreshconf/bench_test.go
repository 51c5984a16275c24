package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/refreshconf/refreshconf/fixtures/target"
	"github.com/refreshconf/refreshconf/suites/framework"
)

// TestBenchQuickJSON runs `bench --quick --format json` and checks that
// every figure is there and positive. It asserts no speed.
func TestBenchQuickJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the catalogue four times")
	}
	res := runCLI(t, 5*time.Minute, nil, "bench", "--quick", "--format", "json")
	if res.Code != 0 {
		t.Fatalf("bench exited %d\nstdout:\n%s\nstderr:\n%s", res.Code, res.Stdout, res.Stderr)
	}
	var r benchReport
	if err := json.Unmarshal([]byte(res.Stdout), &r); err != nil {
		t.Fatalf("bench --format json printed no JSON report: %v\n%s", err, res.Stdout)
	}
	if r.Runs != 1 || r.Scenarios < 91 || r.Requests < r.Scenarios || r.Concurrency < 1 || r.CPUs < 1 || r.Platform == "" {
		t.Errorf("bad run description: %+v", r)
	}
	positive := map[string]float64{
		"floor_ms": r.FloorMs, "catalogue_fire_ms": r.CatalogueFireMs, "harness_ms": r.HarnessMs, "ratio": r.Ratio,
		"harness_peak_rss_mib": r.HarnessPeakRSSMiB, "bench_peak_rss_mib": r.BenchPeakRSSMiB,
		"throughput_seconds_per_level": r.ThroughputSecondsPerLevel,
	}
	for name, v := range positive {
		if !(v > 0) {
			t.Errorf("%s = %v, want a positive figure", name, v)
		}
	}
	if r.FloorStatusMismatches < 0 || r.FloorStatusMismatches > float64(r.Requests)/10 {
		t.Errorf("floor_status_mismatches = %v of %d requests: the replay is not equivalent to the catalogue", r.FloorStatusMismatches, r.Requests)
	}
	if got := r.Ratio; got < r.HarnessMs/r.FloorMs*0.999 || got > r.HarnessMs/r.FloorMs*1.001 {
		t.Errorf("ratio %v is not harness_ms/floor_ms = %v/%v (one run)", got, r.HarnessMs, r.FloorMs)
	}
	// One run: the phases and derived figures are that run's, exactly.
	ph := r.Phases
	for name, v := range map[string]float64{"keys_ms": ph.KeysMs, "target_start_ms": ph.TargetStartMs, "provisioning_ms": ph.ProvisioningMs,
		"firing_ms": ph.FiringMs, "setup_ms": ph.SetUpMs, "after_setup_ms": ph.AfterSetUpMs,
		"harness_own_ms": r.OwnMs, "harness_own_ratio": r.OwnRatio, "harness_fresh_keys_ms": r.FreshKeysMs, "harness_fresh_keys_ratio": r.FreshKeysRatio,
		"harness_provisioning_ms": r.ProvisionedMs, "harness_provisioning_ratio": r.ProvisionedRatio} {
		if !(v > 0) {
			t.Errorf("%s = %v, want a positive figure", name, v)
		}
	}
	if sum := ph.KeysMs + ph.TargetStartMs + ph.ProvisioningMs + ph.FiringMs; ph.SetUpMs < sum*0.999 {
		t.Errorf("setup_ms %v is less than its phases' sum %v", ph.SetUpMs, sum)
	}
	if d := ph.SetUpMs + ph.AfterSetUpMs - r.HarnessMs; d > 0.01 || d < -0.01 {
		t.Errorf("setup_ms %v + after_setup_ms %v != harness_ms %v", ph.SetUpMs, ph.AfterSetUpMs, r.HarnessMs)
	}
	if d := r.HarnessMs - ph.TargetStartMs - ph.ProvisioningMs - r.OwnMs; d > 0.01 || d < -0.01 {
		t.Errorf("harness_own_ms %v is not harness_ms %v minus target start %v and provisioning %v", r.OwnMs, r.HarnessMs, ph.TargetStartMs, ph.ProvisioningMs)
	}
	if got, want := r.OwnRatio, r.OwnMs/r.FloorMs; got < want*0.999 || got > want*1.001 {
		t.Errorf("harness_own_ratio %v, want harness_own_ms/floor_ms = %v", got, want)
	}
	// The measured runs found the target the warm-up run cached; the
	// --target-cache off runs did not (they are the slower figure).
	if !strings.HasPrefix(r.HarnessProvisioned, "restored from the target cache") {
		t.Errorf("harness_provisioned = %q: the measured runs did not use the bench's target cache", r.HarnessProvisioned)
	}
	wantLat := []float64{0, 1000, 2000}
	if len(r.Latency) != len(wantLat) {
		t.Fatalf("latency_hiding has %d rows, want %d: %+v", len(r.Latency), len(wantLat), r.Latency)
	}
	for i, l := range r.Latency {
		if l.AuditLatencyMs != wantLat[i] || !(l.WallMs > 0) || !(l.Ratio > 0) || !(l.PeakRSSMiB > 0) {
			t.Errorf("latency_hiding[%d] = %+v, want audit latency %v ms and positive figures", i, l, wantLat[i])
		}
		if want := r.FloorMs + wantLat[i]; l.FloorPlusLatencyMs != want {
			t.Errorf("latency_hiding[%d].floor_plus_latency_ms = %v, want floor + latency = %v", i, l.FloorPlusLatencyMs, want)
		}
		// A run cannot finish before its audit rows become visible.
		if l.WallMs < wantLat[i] {
			t.Errorf("latency_hiding[%d]: wall %v ms is shorter than the audit latency %v ms", i, l.WallMs, wantLat[i])
		}
	}
	seen := map[string]bool{}
	for _, tp := range r.Throughput {
		seen[tp.Kind] = true
		if tp.Concurrency < 1 || tp.Requests < 1 || !(tp.PerSecond > 0) || !(tp.P50Ms > 0) || tp.P99Ms < tp.P50Ms {
			t.Errorf("throughput row %+v: want positive figures and p99 >= p50", tp)
		}
	}
	if !seen["good"] || !seen["crafted"] || len(r.Throughput) != 4 {
		t.Errorf("throughput rows %+v: want good and crafted at concurrency 1 and 8", r.Throughput)
	}
}

func TestBenchUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"bench", "--runs", "0"}, {"bench", "--format", "yaml"}, {"bench", "extra"}} {
		if code := execute(context.Background(), args); code != 2 {
			t.Errorf("refreshconf %v exited %d, want 2", args, code)
		}
	}
}

func TestMedianAndPercentile(t *testing.T) {
	if m := median([]float64{5, 1, 3}); m != 3 {
		t.Errorf("median odd = %v, want 3", m)
	}
	if m := median([]float64{4, 1, 3, 2}); m != 2.5 {
		t.Errorf("median even = %v, want 2.5", m)
	}
	d := []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	if p := percentile(d, 0.5); p != 5 {
		t.Errorf("p50 = %v, want 5", p)
	}
	if p := percentile(d, 0.99); p != 10 {
		t.Errorf("p99 = %v, want 10", p)
	}
	tok, err := flipSignatureBit("a.b.AAAA")
	if err != nil || tok != "a.b.gAAA" {
		t.Errorf("flipSignatureBit = %q, %v; want a.b.gAAA", tok, err)
	}
}

// BenchmarkFire fires the whole catalogue (crafting included, no
// assertion) at a fresh copy of a provisioned reference target per
// iteration, and replays its requests with bare net/http for the floor.
// Run: go test ./cmd/refreshconf -run '^$' -bench Fire -benchtime 5x
func BenchmarkFire(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	fs, err := prepareFloor(ctx, dir)
	if err != nil {
		b.Fatal(err)
	}
	var fire, floor time.Duration
	exchanges := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db := filepath.Join(dir, fmt.Sprintf("fire-%d.db", i))
		if err := copyDB(fs.snapshot, db); err != nil {
			b.Fatal(err)
		}
		t, err := startBenchTarget(ctx, target.Config{DBPath: db, AdminToken: fs.adminToken}, nil)
		if err != nil {
			b.Fatal(err)
		}
		p, err := rebase(ctx, fs.profile, fs.baseURL, t.url)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		st, err := framework.FireCatalogue(ctx, p, "")
		b.StopTimer()
		_ = t.stop()
		if err != nil || len(st.Errors) > 0 || st.Skipped > 0 {
			b.Fatalf("firing: %v %v (%d skipped)", err, st.Errors, st.Skipped)
		}
		fire += st.Duration
		exchanges = st.Exchanges
		f, err := fs.measureFloor(ctx, 1000+i)
		if err != nil {
			b.Fatal(err)
		}
		floor += f.wall
		b.StartTimer()
	}
	b.ReportMetric(ms(fire)/float64(b.N), "fire-ms/op")
	b.ReportMetric(ms(floor)/float64(b.N), "floor-ms/op")
	b.ReportMetric(float64(fire)/float64(floor), "fire/floor")
	b.ReportMetric(float64(exchanges), "requests/op")
}
