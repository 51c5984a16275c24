package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/refreshconf/refreshconf/fixtures/profile"
	"github.com/refreshconf/refreshconf/fixtures/provision"
	"github.com/refreshconf/refreshconf/fixtures/target"
	"github.com/refreshconf/refreshconf/fixtures/target/trail"
)

// minCanaryLen is the shortest encoded form searched for: shorter strings
// would match ordinary text by chance.
const minCanaryLen = 12

// canaryForms returns every form of secret value v that must never appear
// in an output: raw, base64 (standard and URL alphabets, padded and raw),
// URL-encoded (query and path escaping) and JSON-escaped (with and without
// HTML escaping), mapped to a description naming the secret, never the
// value.
func canaryForms(label, v string) map[string]string {
	out := map[string]string{}
	add := func(form, s string) {
		if len(s) >= minCanaryLen {
			out[s] = label + " (" + form + ")"
		}
	}
	add("raw", v)
	add("base64", base64.StdEncoding.EncodeToString([]byte(v)))
	add("base64url", base64.URLEncoding.EncodeToString([]byte(v)))
	add("raw base64", base64.RawStdEncoding.EncodeToString([]byte(v)))
	add("raw base64url", base64.RawURLEncoding.EncodeToString([]byte(v)))
	add("query-escaped", url.QueryEscape(v))
	add("path-escaped", url.PathEscape(v))
	for _, html := range []bool{true, false} {
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(html)
		if enc.Encode(v) == nil {
			s := strings.TrimSuffix(strings.TrimSuffix(b.String(), "\n"), `"`)
			add("JSON-escaped", strings.TrimPrefix(s, `"`))
		}
	}
	return out
}

// profileCanaries lists every secret of the resolved profile p (client
// secrets, refresh and access tokens, each body line of the signing key
// PEM) plus the admin token, in every form.
func profileCanaries(p *profile.Profile, adminToken string) map[string]string {
	all := map[string]string{}
	merge := func(m map[string]string) {
		for k, v := range m {
			all[k] = v
		}
	}
	for name, cs := range p.Credentials {
		merge(canaryForms("credentials."+name+".client_secret", cs.ClientSecret.Value()))
		merge(canaryForms("credentials."+name+".refresh_token", cs.RefreshToken.Value()))
		merge(canaryForms("credentials."+name+".access_token", cs.AccessToken.Value()))
	}
	if p.SigningKey != nil {
		for i, line := range strings.Split(p.SigningKey.PrivateKeyPEM.Value(), "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "-----") {
				merge(canaryForms(fmt.Sprintf("signing_key.private_key_pem line %d", i+1), line))
			}
		}
	}
	merge(canaryForms("admin token", adminToken))
	return all
}

// findCanaries returns the labels of the canaries found in text.
func findCanaries(text string, canaries map[string]string) []string {
	var hits []string
	for v, label := range canaries {
		if strings.Contains(text, v) {
			hits = append(hits, label)
		}
	}
	sort.Strings(hits)
	return hits
}

// scanCanaries reports every canary found in text (named by where).
func scanCanaries(t *testing.T, where, text string, canaries map[string]string) {
	t.Helper()
	for _, h := range findCanaries(text, canaries) {
		t.Errorf("%s holds the secret %s", where, h)
	}
}

// The scan finds a secret in each form it claims to cover.
func TestCanaryFormsFindPlantedSecrets(t *testing.T) {
	secret := "s3cr3t/with+odd&chars=\"<>"
	c := canaryForms("x", secret)
	for form, text := range map[string]string{
		"raw":           "a " + secret + " b",
		"base64":        "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(secret)),
		"raw base64url": base64.RawURLEncoding.EncodeToString([]byte(secret)) + ".sig",
		"query":         "refresh_token=" + url.QueryEscape(secret),
		"path":          "/t/" + url.PathEscape(secret),
		"JSON":          `{"v":` + func() string { b, _ := json.Marshal(secret); return string(b) }() + `}`,
	} {
		if hits := findCanaries(text, c); len(hits) == 0 {
			t.Errorf("the %s form of a secret is not found", form)
		}
	}
	if hits := findCanaries("nothing secret here: <x#abcdef>", c); len(hits) != 0 {
		t.Errorf("false positives: %v", hits)
	}
}

// TestSecretsCanary runs the whole catalogue against a reference target
// whose secrets the test knows, then scans every output of the run and
// the audit rows the target stored for every secret in every encoding.
func TestSecretsCanary(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole catalogue in a child process")
	}
	ctx := context.Background()
	running, err := target.Start(ctx, target.Config{}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = running.Shutdown(context.Background()) })
	admin := running.Server.AdminToken()
	p, err := provision.Reference(ctx, running.URL, admin, provision.ReferenceOptions{ShortLifetime: 250 * time.Millisecond, AgingGrace: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	// The child must use exactly these tokens: no re-provisioning.
	prov := p.Provision
	p.Provision = nil
	path := writeProfile(t, p)
	canaries := profileCanaries(p, admin)
	if len(canaries) < 100 {
		t.Fatalf("only %d canary forms: the profile lacks its secrets", len(canaries))
	}
	dir := t.TempDir()
	res := runCLI(t, 3*time.Minute, nil, "run", "--profile", path, "--report-dir", dir, "--no-color", "--verbose")
	t.Logf("whole catalogue against the reference target through a profile: exit %d in %s", res.Code, res.Elapsed.Round(time.Millisecond))
	if res.Code != 0 {
		t.Errorf("refreshconf run exited %d, want 0 (every scenario must have run to make the scan meaningful)\n%s", res.Code, clipLog(res.Stdout+res.Stderr))
	}
	if !strings.Contains(res.Stdout, "against reference: success") {
		t.Errorf("the run did not report success:\n%s", clipLog(res.Stdout))
	}
	scanCanaries(t, "stdout", res.Stdout, canaries)
	scanCanaries(t, "stderr", res.Stderr, canaries)
	for _, f := range []string{"report.json", "junit.xml", "conformance-report.yaml", "conformance-report.md", "conformance-report.html"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil || len(b) == 0 {
			t.Errorf("%s was not written: %v", f, err)
			continue
		}
		scanCanaries(t, f, string(b), canaries)
	}

	// The target's own audit trail must never store a secret either.
	rows, _, err := running.Server.Trail().Query(ctx, trail.Filter{Limit: trail.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) < 91 {
		t.Errorf("the target stored %d audit rows, want at least one per scenario (91)", len(rows))
	}
	b, err := json.Marshal(rows)
	if err != nil {
		t.Fatal(err)
	}
	scanCanaries(t, "the target's audit trail", string(b), canaries)
	t.Logf("scanned %d secret forms in stdout, stderr, 5 report files and %d audit rows", len(canaries), len(rows))

	// serve-style: the profile provisions its sets through the admin API
	// (admin token in the profile) on each run. The new sets' secrets are
	// unknown here; the admin token and the first sets' secrets must not
	// leak either.
	if prov == nil || prov.AdminToken.Value() != admin {
		t.Fatalf("provision.Reference did not write a provision section with the admin token")
	}
	p.Provision = prov
	dir2 := t.TempDir()
	res2 := runCLI(t, 3*time.Minute, nil, "run", "--profile", writeProfile(t, p), "--report-dir", dir2, "--no-color")
	t.Logf("whole catalogue with provision kind reference: exit %d in %s", res2.Code, res2.Elapsed.Round(time.Millisecond))
	if res2.Code != 0 {
		t.Errorf("refreshconf run (provisioning) exited %d, want 0\n%s", res2.Code, clipLog(res2.Stdout+res2.Stderr))
	}
	scanCanaries(t, "stdout (provisioning run)", res2.Stdout, canaries)
	scanCanaries(t, "stderr (provisioning run)", res2.Stderr, canaries)
	for _, f := range []string{"report.json", "junit.xml", "conformance-report.yaml", "conformance-report.md", "conformance-report.html"} {
		b, err := os.ReadFile(filepath.Join(dir2, f))
		if err != nil {
			t.Errorf("%s was not written: %v", f, err)
			continue
		}
		scanCanaries(t, f+" (provisioning run)", string(b), canaries)
	}
}
