package framework

import (
	"bytes"
	"context"
	"crypto/rsa"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/refreshconf/refreshconf/fixtures/profile"
	"github.com/refreshconf/refreshconf/fixtures/target"
	"github.com/refreshconf/refreshconf/fixtures/targetcache"
	"github.com/refreshconf/refreshconf/suites/report"
)

// startEmbedded starts the embedded reference target with signing keys
// targetKeys and returns it with its provisioned profile (audit timeouts
// set, defaults applied). With the target cache on, a fresh entry is
// loaded into the new target instead of provisioning (see
// fixtures/targetcache); otherwise the target is provisioned through its
// OAuth flows and, with the cache on, saved for the next run. *note says
// which happened.
func startEmbedded(ctx context.Context, cfg Config, targetKeys []*rsa.PrivateKey, tm *report.Timings, note *string) (*profile.Profile, *target.Running, Minter, error) {
	path, fingerprint, why := targetCacheFor(cfg, targetKeys)
	if path != "" {
		t0 := time.Now()
		e, miss := targetcache.Load(path, fingerprint, t0)
		if e != nil {
			p, running, err := restoreEmbedded(ctx, cfg, e, tm)
			if err == nil {
				// Provisioning is reading the entry and its profile.
				tm.Provisioning = ms(time.Since(t0)) - tm.TargetStart
				*note = fmt.Sprintf("restored from the target cache %s (provisioned %s ago through the OAuth flows)", path, time.Since(e.Created).Round(time.Second))
				return p, running, nil, nil
			}
			miss = fmt.Sprintf("target cache %s not usable (%v); provisioning afresh", path, err)
		}
		if miss != "" {
			why = miss
		}
	}

	t0 := time.Now()
	running, err := target.Start(ctx, target.Config{AuditLatency: cfg.AuditLatency, Defects: cfg.Defects, SigningKeys: targetKeys, Codes: cfg.Codes,
		RotateAll: cfg.RotateAll, ResponseDelay: cfg.ResponseDelay, RateLimit: cfg.RateLimit}, "127.0.0.1:0")
	if err != nil {
		return nil, nil, nil, fmt.Errorf("starting the embedded reference target: %w", err)
	}
	t1 := time.Now()
	tm.TargetStart = ms(t1.Sub(t0))
	p, minter, err := provisionEmbedded(ctx, running.URL, running.Server.AdminToken())
	if err != nil {
		_ = running.Shutdown(context.Background())
		return nil, nil, nil, err
	}
	if cfg.RotateAll {
		p.Rotation.RefreshTokens = profile.RotateAll
	}
	tm.Provisioning = ms(time.Since(t1))
	if path != "" {
		if err := saveEmbedded(ctx, path, fingerprint, running, p); err != nil {
			fmt.Fprintln(os.Stderr, "refreshconf: warning: "+err.Error()+"; the next run provisions again")
			why += "; not saved: " + err.Error()
		} else {
			why += "; saved to the target cache " + path
		}
	}
	*note = "through its OAuth flows (" + why + ")"
	embeddedTimeouts(p, cfg.AuditLatency)
	if !cfg.RotateAll {
		return p, running, nil, nil // nothing to mint: the public sets each serve one scenario
	}
	return p, running, minter, nil
}

// targetCacheFor returns the target cache file and the fingerprint of this
// run's entry, or "" and why the cache is not used.
func targetCacheFor(cfg Config, targetKeys []*rsa.PrivateKey) (path, fingerprint, why string) {
	switch {
	case cfg.TargetCache == CacheOff:
		return "", "", "--target-cache off"
	case cfg.KeyCache == KeyCacheOff:
		return "", "", "--key-cache off: fresh keys, so a fresh target"
	case len(cfg.Defects) > 0:
		return "", "", "a run with --defect is always provisioned afresh"
	case cfg.RotateAll:
		return "", "", "a run with --rotate-all is always provisioned afresh (its instances are minted during the run)"
	}
	path = cfg.TargetCache
	if path == "" {
		p, err := targetcache.DefaultPath()
		if err != nil {
			return "", "", err.Error()
		}
		path = p
	}
	moduli := make([][]byte, len(targetKeys))
	for i, k := range targetKeys {
		moduli[i] = k.N.Bytes()
	}
	fp, err := targetcache.Fingerprint(moduli...)
	if err != nil {
		return "", "", "no target cache: " + err.Error()
	}
	return path, fp, "no target cache entry yet"
}

// restoreEmbedded starts a target on a copy of entry e and returns it with
// e's profile pointed at it.
func restoreEmbedded(ctx context.Context, cfg Config, e *targetcache.Entry, tm *report.Timings) (*profile.Profile, *target.Running, error) {
	// The new target's port is known once it listens: read the profile
	// (YAML, a few ms) pointed at it while the target loads its database.
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, fmt.Errorf("listening on a loopback port for the embedded reference target: %w", err)
	}
	base := "http://" + ln.Addr().String()
	type parsedProfile struct {
		p   *profile.Profile
		err error
	}
	parsed := make(chan parsedProfile, 1)
	go func() {
		p, err := profile.Parse(ctx, bytes.ReplaceAll(e.Profile, []byte(e.BaseURL), []byte(base)), "", profile.LoadOptions{})
		parsed <- parsedProfile{p, err}
	}()
	t0 := time.Now()
	running, err := target.StartOn(ctx, target.Config{AuditLatency: cfg.AuditLatency, AdminToken: e.AdminToken, Snapshot: e.DB, Codes: cfg.Codes,
		ResponseDelay: cfg.ResponseDelay, RateLimit: cfg.RateLimit}, ln)
	tm.TargetStart = ms(time.Since(t0))
	res := <-parsed
	if err != nil {
		return nil, nil, fmt.Errorf("starting the embedded reference target from the cache: %w", err)
	}
	if res.err != nil {
		_ = running.Shutdown(context.Background())
		return nil, nil, fmt.Errorf("reading the cached profile: %w", res.err)
	}
	embeddedTimeouts(res.p, cfg.AuditLatency)
	return res.p, running, nil
}

// saveEmbedded stores the just provisioned target and its profile p.
func saveEmbedded(ctx context.Context, path, fingerprint string, running *target.Running, p *profile.Profile) error {
	db, err := running.Server.Snapshot(ctx)
	if err != nil {
		return fmt.Errorf("target cache %s: %w", path, err)
	}
	y, err := p.Marshal()
	if err != nil {
		return fmt.Errorf("target cache %s: %w", path, err)
	}
	return targetcache.Save(path, &targetcache.Entry{
		Fingerprint: fingerprint, Created: time.Now(), AdminToken: running.Server.AdminToken(),
		BaseURL: running.URL, Profile: y, DB: db,
	})
}
