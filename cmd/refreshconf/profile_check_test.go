package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/refreshconf/refreshconf/fixtures/profile"
	"github.com/refreshconf/refreshconf/fixtures/provision"
	"github.com/refreshconf/refreshconf/fixtures/target"
	"github.com/refreshconf/refreshconf/suites/catalogue"
)

// referenceProfile starts an in-process reference target, provisions it and
// returns the profile.
func referenceProfile(t *testing.T) *profile.Profile {
	t.Helper()
	p, _ := referenceTarget(t)
	return p
}

// referenceTarget starts an in-process reference target, provisions it and
// returns the profile and the running target.
func referenceTarget(t *testing.T) (*profile.Profile, *target.Running) {
	t.Helper()
	ctx := context.Background()
	running, err := target.Start(ctx, target.Config{}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = running.Shutdown(context.Background()) })
	p, err := provision.Reference(ctx, running.URL, running.Server.AdminToken(), provision.ReferenceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return p, running
}

func writeProfile(t *testing.T, p *profile.Profile) string {
	t.Helper()
	b, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "p.yaml")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestProfileCheckAgainstTheReferenceTarget(t *testing.T) {
	p := referenceProfile(t)
	full := writeProfile(t, p)

	var out bytes.Buffer
	if err := checkProfile(context.Background(), &out, full, true); err != nil {
		t.Fatalf("profile check of a complete profile: %v\n%s", err, out.String())
	}
	n := len(catalogue.All())
	for _, want := range []string{"primary refresh: OK", "readable", fmt.Sprintf("%d of %d scenarios will run, 0 will be skipped", n, n)} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}

	// Only the primary credentials and no signing key: the rest is listed as skipped, with reasons.
	p.Credentials = map[string]profile.CredentialSet{profile.SetPrimary: p.Credentials[profile.SetPrimary]}
	p.SigningKey, p.Provision = nil, nil
	only := writeProfile(t, p)
	out.Reset()
	if err := checkProfile(context.Background(), &out, only, true); err != nil {
		t.Fatalf("profile check of a primary-only profile: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		`SEED-13  core      IntegrationBlocked              skip  missing fixture: credential set "blocked"`,
		"add credentials.blocked to the profile",
		"the target's signing key: add signing_key",
		"SEED-03  core      InvalidSignature                run   a refresh token with a bit-flipped signature is refused with InvalidSignature",
		"will be skipped",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	for name, cs := range map[string]profile.CredentialSet{"primary": p.Credentials[profile.SetPrimary]} {
		for _, v := range []string{cs.ClientSecret.Value(), cs.RefreshToken.Value(), cs.AccessToken.Value()} {
			if v != "" && strings.Contains(out.String(), v) {
				t.Errorf("profile check printed a secret of credentials.%s", name)
			}
		}
	}
}

func TestProfileCheckReportsAWrongSecret(t *testing.T) {
	p := referenceProfile(t)
	cs := p.Credentials[profile.SetPrimary]
	cs.ClientSecret = profile.NewSecret("definitely-not-the-secret-000")
	p.Credentials[profile.SetPrimary] = cs
	p.Provision = nil // provisioning would replace the wrong secret, as in a run
	var out bytes.Buffer
	err := checkProfile(context.Background(), &out, writeProfile(t, p), true)
	if exitCode(err) != 1 {
		t.Fatalf("exit %d, want 1: %v\n%s", exitCode(err), err, out.String())
	}
	if !strings.Contains(out.String(), `primary refresh: FAILED (HTTP 401, error "invalid_client")`) {
		t.Errorf("output does not explain the failed probe:\n%s", out.String())
	}
	rc := strings.Index(out.String(), `ROOT CAUSE: the target rejected credentials.primary's client (client_id / client_secret) (HTTP 401, error "invalid_client")`)
	plan := strings.Index(out.String(), "scenarios will run")
	if rc < 0 || plan < 0 || rc > plan {
		t.Errorf("the rejected credential is not named as the root cause before the plan:\n%s", out.String())
	}
	if strings.Contains(out.String(), "definitely-not-the-secret-000") {
		t.Error("profile check printed the client secret")
	}
}

// provisionOnlyProfile starts a reference target and returns a profile
// with its target and audit sections and a provision section, but no
// credentials: what the README recommends to vendors.
func provisionOnlyProfile(t *testing.T) *profile.Profile {
	t.Helper()
	p, running := referenceTarget(t)
	p.Credentials, p.SigningKey = nil, nil
	p.Provision = &profile.Provision{Kind: provision.KindReference, AdminURL: running.URL, AdminToken: profile.NewSecret(running.Server.AdminToken())}
	return p
}

func TestProfileCheckRunsTheProvisioner(t *testing.T) {
	path := writeProfile(t, provisionOnlyProfile(t))
	var out bytes.Buffer
	if err := checkProfile(context.Background(), &out, path, true); err != nil {
		t.Fatalf("profile check of a provision-only profile: %v\n%s", err, out.String())
	}
	n := len(catalogue.All())
	for _, want := range []string{"provisioning (reference): OK", "primary", "primary refresh: OK", "readable", fmt.Sprintf("%d of %d scenarios will run", n, n)} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "ROOT CAUSE") {
		t.Errorf("a healthy provision-only profile has a root cause:\n%s", out.String())
	}
}

func TestProfileCheckNamesAFailingProvisionerAsTheRootCause(t *testing.T) {
	p := provisionOnlyProfile(t)
	p.Provision.AdminToken = profile.NewSecret("not-the-admin-token")
	var out bytes.Buffer
	err := checkProfile(context.Background(), &out, writeProfile(t, p), true)
	if exitCode(err) != 1 || !strings.Contains(out.String(), "ROOT CAUSE: the provisioner failed") {
		t.Errorf("exit %d, want 1 and the provisioner named:\n%s", exitCode(err), out.String())
	}
	if strings.Contains(out.String(), "not-the-admin-token") {
		t.Error("profile check printed the admin token")
	}
}

func TestProfileCheckNamesAnUnreadableAuditSourceAsTheRootCause(t *testing.T) {
	p := referenceProfile(t)
	p.Audit.URL += "/no-such-rows"
	var out bytes.Buffer
	err := checkProfile(context.Background(), &out, writeProfile(t, p), true)
	if exitCode(err) != 1 {
		t.Fatalf("exit %d, want 1:\n%s", exitCode(err), out.String())
	}
	rc := strings.Index(out.String(), "ROOT CAUSE: the audit source http")
	plan := strings.Index(out.String(), "scenarios will run")
	if rc < 0 || plan < 0 || rc > plan {
		t.Errorf("the unreadable audit source is not named as the root cause before the plan:\n%s", out.String())
	}
}
