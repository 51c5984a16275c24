package main

import (
	"context"
	"fmt"
	"time"

	"github.com/refreshconf/refreshconf/fixtures/profile"
	"github.com/refreshconf/refreshconf/fixtures/provision"
	"github.com/refreshconf/refreshconf/fixtures/target"
	"github.com/refreshconf/refreshconf/suites/catalogue"
	"github.com/refreshconf/refreshconf/suites/framework"
)

// Remote-like target of the bench: a delay per response and a rate limit.
const (
	remoteDelay = 50 * time.Millisecond
	remoteRate  = 20.0
)

// rotatingFigure is a whole run against the reference target in
// rotate-everything mode, with its credential leases, against the floor of
// the same requests plus the minting floor.
type rotatingFigure struct {
	// WallMs is `refreshconf run --rotate-all` (always provisioned
	// afresh: its instances are minted during the run), start to exit.
	WallMs float64 `json:"wall_ms"`
	// FloorMs is the floor of the catalogue's requests.
	FloorMs float64 `json:"floor_ms"`
	// MintFloorMs is bare provisioning of the same target plus the
	// instances the run leases, through the same OAuth flows, with no
	// harness around them.
	MintFloorMs float64 `json:"mint_floor_ms"`
	// Instances is how many instances the run leases.
	Instances int `json:"instances"`
	// Ratio is WallMs/(FloorMs+MintFloorMs) (median of per-run ratios).
	Ratio float64 `json:"ratio"`
}

// remoteFigure is a whole run against a remote-like reference target.
type remoteFigure struct {
	DelayMs float64 `json:"response_delay_ms"`
	Rate    float64 `json:"rate_limit_per_s"`
	// Requests is how many requests the catalogue sends.
	Requests       int     `json:"requests"`
	AuditLatencyMs float64 `json:"audit_latency_ms"`
	WallMs         float64 `json:"wall_ms"`
	// IdealMs is Requests/Rate + the audit latency: no run can be faster.
	IdealMs float64 `json:"ideal_ms"`
	// Ratio is WallMs/IdealMs.
	Ratio float64 `json:"ratio"`
}

// mintFloor is the bare provisioning-and-minting time of a rotating run.
type mintFloor struct {
	ms        float64
	instances int
}

// measureRotating runs the harness once against the embedded target in
// rotate-everything mode and measures the minting floor on a fresh target.
func measureRotating(ctx context.Context, reportDir, keyCache string) (harnessResult, mintFloor, error) {
	h, err := measureHarness(ctx, reportDir, 0, keyCache, framework.CacheOff, "--rotate-all")
	if err != nil {
		return h, mintFloor{}, err
	}
	t, err := startBenchTarget(ctx, target.Config{RotateAll: true}, nil)
	if err != nil {
		return h, mintFloor{}, err
	}
	defer func() { _ = t.stop() }()
	p := &profile.Profile{Rotation: profile.Rotation{RefreshTokens: profile.RotateAll}}
	want := framework.InstancesWanted(p, catalogue.All())
	n := 0
	for _, k := range want {
		n += k
	}
	t0 := time.Now()
	if _, err := provision.Reference(ctx, t.url, t.srv.AdminToken(), provision.ReferenceOptions{ShortLifetime: time.Millisecond, AgingGrace: time.Millisecond, Instances: want}); err != nil {
		return h, mintFloor{}, fmt.Errorf("measuring the minting floor: %w", err)
	}
	return h, mintFloor{ms: ms(time.Since(t0)), instances: n}, nil
}

// measureRemote runs the harness once against the embedded target made
// remote-like (remoteDelay per response, remoteRate requests a second).
func measureRemote(ctx context.Context, reportDir, keyCache, targetCache string, requests int) (remoteFigure, error) {
	f := remoteFigure{DelayMs: ms(remoteDelay), Rate: remoteRate, Requests: requests}
	h, err := measureHarness(ctx, reportDir, 0, keyCache, targetCache,
		"--response-delay", remoteDelay.String(), "--rate-limit", fmt.Sprint(remoteRate))
	if err != nil {
		return f, err
	}
	f.WallMs = ms(h.wall)
	f.IdealMs = float64(requests)/remoteRate*1000 + f.AuditLatencyMs
	f.Ratio = f.WallMs / f.IdealMs
	return f, nil
}
