package framework

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/refreshconf/refreshconf/client"
	"github.com/refreshconf/refreshconf/fixtures/forge"
	"github.com/refreshconf/refreshconf/fixtures/keycache"
	"github.com/refreshconf/refreshconf/fixtures/profile"
	"github.com/refreshconf/refreshconf/fixtures/provision"
	"github.com/refreshconf/refreshconf/fixtures/target"
	"github.com/refreshconf/refreshconf/suites/catalogue"
	"github.com/refreshconf/refreshconf/suites/report"
)

// host is what process #1 owns for the whole run: the embedded target (if
// any), the attacker listener and the fired results.
type host struct {
	running  *target.Running
	listener *forge.Listener
	redactor *client.Redactor // the firing client's
	shared   shared
	profile  *profile.Profile // resolved, defaults applied
}

// encode serialises what every other process needs: the shared data with
// the profile as YAML (secrets as their sources).
func (h *host) encode() ([]byte, error) {
	sh := h.shared
	var err error
	if sh.Profile, err = h.profile.Marshal(); err != nil {
		return nil, fmt.Errorf("serialising the resolved profile: %w", err)
	}
	data, err := json.Marshal(sh)
	if err != nil {
		return nil, fmt.Errorf("serialising the results: %w", err)
	}
	return data, nil
}

// Close stops what the host started.
func (h *host) Close(ctx context.Context) error {
	var errs []error
	if h.listener != nil {
		errs = append(errs, h.listener.Close())
	}
	if h.running != nil {
		errs = append(errs, h.running.Shutdown(ctx))
	}
	return errors.Join(errs...)
}

// shared is what process #1 hands every process: the resolved profile, the
// run's identity and every scenario's result (redacted exchanges only).
type shared struct {
	RunID        string                 `json:"run_id"`
	MarkerPrefix string                 `json:"marker_prefix"`
	Started      time.Time              `json:"started"`
	Embedded     bool                   `json:"embedded"`
	Defects      []string               `json:"defects,omitempty"`
	Profile      []byte                 `json:"profile"` // YAML; secrets as their sources
	Results      map[string]*resultWire `json:"results"`
	FireTime     time.Duration          `json:"fire_time"`
	Selected     int                    `json:"selected"`
	Timings      report.Timings         `json:"timings"`
	Keys         string                 `json:"keys"`
	Provisioned  string                 `json:"provisioned,omitempty"`
	// ReportProfile is the profile as the report shows it (redacted YAML).
	ReportProfile string `json:"report_profile,omitempty"`
	// ControlRefused says what the target answered to the positive
	// control ("" when it granted it).
	ControlRefused string `json:"control_refused,omitempty"`
	// ControlDeclared is set when the profile declares the control a
	// known deviation.
	ControlDeclared bool `json:"control_declared,omitempty"`
}

// startHost resolves the target, builds the environment and fires every
// scenario selected by labelFilter. It runs once, on process #1.
func startHost(ctx context.Context, cfg Config, labelFilter string) (*host, error) {
	begun := time.Now()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	h := &host{}
	var tm report.Timings
	su := newSetup()
	su.start("RSA keys")
	keys, err := loadRunKeys(ctx, cfg, &tm)
	if err != nil {
		return nil, su.fail(err)
	}
	su.done(keys.note)
	var provisioned string
	pending := startListener(ctx, keys.attacker)
	defer func() {
		if pending != nil { // not handed to newEnv: an earlier step failed
			closeListener(pending)
		}
	}()
	selected, err := selectScenarios(labelFilter)
	if err != nil {
		return nil, su.fail(err)
	}
	if cfg.ProfilePath == "" {
		su.start("embedded reference target (start and provisioning)")
	} else {
		su.start("profile " + cfg.ProfilePath + " (secrets and provisioning)")
	}
	p, running, minter, err := resolveProfile(ctx, cfg, keys.target, selected, &tm, &provisioned)
	if err == nil {
		err = applyDialect(p, cfg)
	}
	if err != nil {
		if running != nil {
			_ = running.Shutdown(context.Background())
		}
		return nil, su.fail(err)
	}
	su.done(provisioned)
	h.running = running
	ok := false
	defer func() {
		if !ok {
			_ = h.Close(context.Background())
		}
	}()

	runID, err := newRunID()
	if err != nil {
		return nil, err
	}
	su.start("client, target key set and jku/x5u listener")
	env, listener, err := newEnv(ctx, p, runID, keys.attacker, pending)
	pending = nil
	if err != nil {
		return nil, su.fail(err)
	}
	su.done("")
	h.listener, h.redactor = listener, env.Client.Redactor()

	if running == nil {
		if err := checkAuditReadable(ctx, p); err != nil {
			return nil, err
		}
	}
	profileCh := make(chan string, 1)
	go func() { profileCh <- reportProfile(p, env.Client.Redactor()) }()
	su.start(fmt.Sprintf("firing %d scenarios at %s", len(selected), p.Target.TokenURL))
	stopLive := su.ticker(250*time.Millisecond, func() string {
		return fmt.Sprintf("firing %d scenarios: %d requests sent", len(selected), env.Client.Markers())
	})
	started := time.Now()
	results := fire(ctx, env, withControl(selected), minter)
	fired := time.Now()
	stopLive()
	su.done(fmt.Sprintf("%d requests", env.Client.Markers()))
	tm.Firing = ms(fired.Sub(started))
	tm.SetUp = ms(fired.Sub(begun))
	h.shared = shared{
		RunID: runID, MarkerPrefix: env.Client.MarkerPrefix(), Started: started, Embedded: running != nil, Defects: cfg.Defects,
		Results: results, FireTime: fired.Sub(started), Selected: len(selected), Timings: tm, Keys: keys.note, Provisioned: provisioned,
		ReportProfile: <-profileCh, ControlRefused: controlRefused(results[ControlID]),
	}
	if h.shared.ControlRefused != "" {
		if ds, err := deviations(p, cfg); err == nil && ds[ControlID] != "" {
			// The profile declares the control itself a known deviation:
			// the refusal is printed first, the verdict is not forced.
			h.shared.ControlDeclared = true
		}
	}
	h.profile = p
	ok = true
	return h, nil
}

// ms converts d to milliseconds for report.Timings.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// runKeys are the RSA keys of a run: the embedded target's two signing
// keys and the attacker's RSA key, and how they were obtained.
type runKeys struct {
	target   []*rsa.PrivateKey
	attacker *forge.AttackerKeys
	note     string
}

// runKeyCount is how many RSA keys a run uses: two for the embedded
// target (the current and a published spare), one for the attacker.
const runKeyCount = 3

// loadRunKeys takes the run's RSA keys from the key cache (see
// fixtures/keycache), generating and saving what is missing; with
// --key-cache off it generates them all. A cache that cannot be used is
// a warning on standard error, not a failure.
func loadRunKeys(ctx context.Context, cfg Config, tm *report.Timings) (runKeys, error) {
	t0 := time.Now()
	path := ""
	note := ""
	switch cfg.KeyCache {
	case KeyCacheOff:
		note = "generated for this run (--key-cache off)"
	case "":
		p, err := keycache.DefaultPath()
		if err != nil {
			note = "generated for this run (" + err.Error() + ")"
			break
		}
		path = p
	default:
		path = cfg.KeyCache
	}
	res, err := keycache.Load(ctx, path, runKeyCount)
	if err != nil {
		return runKeys{}, err
	}
	if res.Warning != "" {
		fmt.Fprintln(os.Stderr, "refreshconf: warning: "+res.Warning)
	}
	if path != "" {
		note = fmt.Sprintf("key cache %s: %d of %d RSA keys reused", path, runKeyCount-res.Generated, runKeyCount)
	}
	ak, err := forge.AttackerKeysWith(res.Keys[2])
	if err != nil {
		return runKeys{}, err
	}
	tm.Keys = ms(time.Since(t0))
	return runKeys{target: res.Keys[:2], attacker: ak, note: note}, nil
}

// resolveProfile loads the profile (running its provisioner, asked for the
// instances the selected scenarios need: see instancesWanted) or starts and
// provisions the embedded reference target with signing keys targetKeys
// (with a minter in rotate-everything mode).
func resolveProfile(ctx context.Context, cfg Config, targetKeys []*rsa.PrivateKey, selected []*catalogue.Scenario, tm *report.Timings, provisioned *string) (*profile.Profile, *target.Running, Minter, error) {
	if cfg.ProfilePath != "" {
		p, took, err := LoadProfile(ctx, cfg.ProfilePath)
		if err != nil {
			return nil, nil, nil, err
		}
		if took > 0 {
			tm.Provisioning = ms(took)
		}
		return p, nil, nil, nil
	}
	p, running, minter, err := startEmbedded(ctx, cfg, targetKeys, tm, provisioned)
	if err != nil {
		return nil, nil, nil, err
	}
	if cfg.AuditTimeout > 0 {
		p.Timeouts.Audit = profile.D(cfg.AuditTimeout)
	}
	if cfg.RateLimit > 0 {
		p.Limits.RequestsPerSecond = cfg.RateLimit // keep to the target's limit
	}
	p.ApplyDefaults()
	return p, running, minter, nil
}

// embeddedProvisionOptions are the provisioning options of the embedded
// reference target. Its expiry and rotation checks compare times exactly,
// and a whole-second exp or oit is truncated, so only ever earlier: a
// refresh token issued with a 1 ms lifetime (or a rotation chain with a
// 1 ms maximum) is expired 1 ms after issuance. The expired and
// rotation_exceeded sets therefore need no ageing at all, where the
// generic provisioner waits its short lifetime plus a whole-second grace.
func embeddedProvisionOptions() provision.ReferenceOptions {
	return provision.ReferenceOptions{ShortLifetime: time.Millisecond, AgingGrace: time.Millisecond}
}

// newEnv builds the client, forge keys (unless given) and listener for
// process #1. The listener is the one pending delivers, when not nil (see
// startListener), else started here.
func newEnv(ctx context.Context, p *profile.Profile, runID string, keys *forge.AttackerKeys, pending <-chan startedListener) (*catalogue.Env, *forge.Listener, error) {
	var err error
	if keys == nil {
		if keys, err = forge.NewAttackerKeys(); err != nil {
			return nil, nil, fmt.Errorf("generating attacker keys: %w", err)
		}
	}
	if a := p.AttackerListener; a != nil {
		// The profile says where a remote target reaches the listener.
		if pending != nil {
			closeListener(pending)
		}
		ch := make(chan startedListener, 1)
		l, err := forge.StartListenerAt(ctx, keys.RSA, a.Listen, a.PublicURL)
		ch <- startedListener{l, err}
		pending = ch
	}
	if pending == nil {
		pending = startListener(ctx, keys)
	}
	c, err := newClient(p, runID)
	if err != nil {
		closeListener(pending)
		return nil, nil, err
	}
	var sg *forge.Signer
	if p.SigningKey != nil && !p.SigningKey.PrivateKeyPEM.IsZero() {
		if sg, err = forge.NewSigner(p.SigningKey); err != nil {
			closeListener(pending)
			return nil, nil, fmt.Errorf("profile signing_key: %w", err)
		}
	}
	var jwks []byte
	if p.Target.KeysURL != "" {
		if jwks, err = fetchJWKS(ctx, p); err != nil {
			closeListener(pending)
			return nil, nil, err
		}
	}
	sl := <-pending
	if sl.err != nil {
		return nil, nil, fmt.Errorf("starting the loopback jku/x5u listener: %w", sl.err)
	}
	env := &catalogue.Env{Profile: p, Client: c, Attacker: keys, Listener: sl.l, Now: time.Now, Signer: sg, JWKS: jwks,
		ListenerReachable: p.AttackerListener != nil || loopbackURL(p.Target.TokenURL)}
	return env, sl.l, nil
}

// loopbackURL reports whether raw names a host on this machine (a
// loopback address or localhost): such a target reaches the loopback
// attacker listener.
func loopbackURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	h := u.Hostname()
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// startedListener is the outcome of startListener.
type startedListener struct {
	l   *forge.Listener
	err error
}

// startListener starts the attacker's jku/x5u listener (its self-signed
// certificate costs an RSA signature) in the background, so that it
// overlaps the target's start; the channel delivers it once.
func startListener(ctx context.Context, keys *forge.AttackerKeys) <-chan startedListener {
	ch := make(chan startedListener, 1)
	go func() {
		l, err := forge.StartListener(ctx, keys.RSA)
		ch <- startedListener{l, err}
	}()
	return ch
}

// closeListener waits for a pending listener and closes it.
func closeListener(pending <-chan startedListener) {
	if sl := <-pending; sl.l != nil {
		_ = sl.l.Close()
	}
}

// newClient builds the token-endpoint client for p with every secret of p
// registered for redaction.
func newClient(p *profile.Profile, runID string) (*client.Client, error) {
	red := newRedactor(p)
	c, err := client.New(client.Config{
		TokenURL:          p.Target.TokenURL,
		UserAgent:         p.UserAgent,
		Version:           Version,
		RunID:             runID,
		ConnectTimeout:    p.Timeouts.Connect.Std(),
		RequestTimeout:    p.Timeouts.Request.Std(),
		MaxBodyBytes:      p.Limits.MaxBodyBytes,
		RequestsPerSecond: p.Limits.RequestsPerSecond,
		Concurrency:       p.Limits.Concurrency,
		CAFile:            p.TLS.CAFile,
		Insecure:          p.TLS.Insecure,
		Redactor:          red,
	})
	if err != nil {
		return nil, fmt.Errorf("configuring the token-endpoint client: %w", err)
	}
	return c, nil
}

// newRedactor registers every secret of the profile, plus the harness's
// own canary values, for redaction.
func newRedactor(p *profile.Profile) *client.Redactor {
	r := client.NewRedactor()
	for name, cs := range p.Credentials {
		r.Add(name+".client_secret", cs.ClientSecret.Value())
		r.Add(name+".refresh_token", cs.RefreshToken.Value())
		r.Add(name+".access_token", cs.AccessToken.Value())
		for slot, v := range cs.Crafted {
			r.Add(name+".crafted."+slot, v.Value())
		}
	}
	if p.SigningKey != nil {
		r.Add("signing_key", p.SigningKey.PrivateKeyPEM.Value())
	}
	for h, v := range p.Audit.Headers {
		r.Add("audit.headers."+h, v.Value())
	}
	if p.Provision != nil {
		r.Add("provision.admin_token", p.Provision.AdminToken.Value())
	}
	r.Add("canary.wrong_secret", catalogue.CanaryWrongSecret)
	return r
}

// fetchJWKS reads the target's key set (bounded in time and size).
func fetchJWKS(ctx context.Context, p *profile.Profile) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, p.Timeouts.Request.Std())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.Target.KeysURL, nil)
	if err != nil {
		return nil, fmt.Errorf("target.keys_url %q: %w", p.Target.KeysURL, err)
	}
	// A redirect is reported, never followed (as by every client of the
	// harness): the README promises that no request goes elsewhere.
	hc := &http.Client{Timeout: p.Timeouts.Request.Std(), CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Do(req)
	if err != nil {
		if host := sameHost(p.Target.KeysURL, p.Target.TokenURL); host != "" {
			// Not keys_url's fault alone: the target itself is down.
			return nil, fmt.Errorf("the target's host %s cannot be reached (target.token_url and target.keys_url are both on it; keys_url is asked first): %w", host, err)
		}
		return nil, fmt.Errorf("fetching target.keys_url: %w (check the URL, or remove keys_url to skip the key-confusion scenarios)", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("reading target.keys_url: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		if loc := resp.Header.Get("Location"); loc != "" {
			return nil, fmt.Errorf("target.keys_url answered HTTP %d redirecting to %q, which refreshconf does not follow: set keys_url to the final URL", resp.StatusCode, loc)
		}
		return nil, fmt.Errorf("target.keys_url answered HTTP %d, want 200 with a JWKS", resp.StatusCode)
	}
	return body, nil
}

func newRunID() (string, error) {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generating a run ID: %w", err)
	}
	return hex.EncodeToString(b), nil
}
