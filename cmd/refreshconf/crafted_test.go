package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/refreshconf/refreshconf/fixtures/forge"
	"github.com/refreshconf/refreshconf/fixtures/profile"
	"github.com/refreshconf/refreshconf/fixtures/provision"
	"github.com/refreshconf/refreshconf/fixtures/target"
	"github.com/refreshconf/refreshconf/suites/report"
)

// TestCraftedTokensStandInForTheKey: a profile without the target's
// signing key skips SEED-07 and says which pre-made token would run it;
// with that token in credentials.primary.crafted.empty_scope (minted here
// with the key the vendor keeps) SEED-07 runs and passes; the same slot
// holding a token the target accepts makes it fail.
func TestCraftedTokensStandInForTheKey(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	running, err := target.Start(ctx, target.Config{}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		_ = running.Shutdown(sctx)
	})
	p, err := provision.Reference(ctx, running.URL, running.Server.AdminToken(), provision.ReferenceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	signer, err := forge.NewSigner(p.SigningKey)
	if err != nil {
		t.Fatal(err)
	}
	primary := p.Credentials[profile.SetPrimary]
	empty, err := signer.Resign(primary.RefreshToken.Value(), func(c map[string]any) { c["scope"] = []any{} })
	if err != nil {
		t.Fatal(err)
	}
	p.SigningKey = nil // the vendor keeps its key
	p.Provision = nil  // (its provisioning would fetch the key again)
	dir := t.TempDir()
	run := func(name string, crafted map[string]profile.Secret) *report.Conformance {
		cs := p.Credentials[profile.SetPrimary]
		cs.Crafted = crafted
		p.Credentials[profile.SetPrimary] = cs
		path := filepath.Join(dir, name+".yaml")
		if err := writeProfileFile(path, p); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, name)
		runCLI(t, 2*time.Minute, nil, "run", "--profile", path, "--label-filter", "id:SEED-07", "--report-dir", out, "--no-color")
		return readReport(t, out)
	}
	c := run("nokey", nil)
	if len(c.Skipped) != 1 || !strings.Contains(c.Skipped[0].Reason, "credentials.primary.crafted.empty_scope") {
		t.Errorf("without key or token: skipped %+v; want SEED-07 skipped naming the slot", c.Skipped)
	}
	c = run("crafted", map[string]profile.Secret{profile.CraftedEmptyScope: profile.NewSecret(empty)})
	if c.Summary.Passed != 1 || len(c.Failed)+len(c.Skipped) != 0 {
		t.Errorf("with the pre-made token: summary %+v, failed %+v, skipped %+v; want SEED-07 passed", c.Summary, c.Failed, c.Skipped)
	}
	c = run("wrong", map[string]profile.Secret{profile.CraftedEmptyScope: profile.NewSecret(primary.RefreshToken.Value())})
	if len(c.Failed) != 1 {
		t.Errorf("a slot holding a good token: failed %+v; want SEED-07 to fail", c.Failed)
	}
}
