// Package framework runs the catalogue under Ginkgo: it resolves the target
// (a profile, or the embedded reference target), fires every selected
// scenario's requests up front, awaits the audit rows through one shared
// poller, asserts them with custom Gomega matchers and writes the
// conformance report. The area packages under suites/ declare the specs;
// both `go tool ginkgo ./suites` and `refreshconf run` execute them.
package framework

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/refreshconf/refreshconf/fixtures/keycache"
	"github.com/refreshconf/refreshconf/fixtures/profile"
	"github.com/refreshconf/refreshconf/fixtures/provision"
	"github.com/refreshconf/refreshconf/fixtures/targetcache"
	"github.com/refreshconf/refreshconf/suites/catalogue"
)

// Version is the harness version printed in reports and user agents.
const Version = "0.1.0"

// Config is the harness configuration shared by the Ginkgo suite (flags
// after `--`) and `refreshconf run`.
type Config struct {
	// ProfilePath is the target's profile; empty starts the embedded
	// reference target. Env: REFRESHCONF_PROFILE.
	ProfilePath string
	// ReportDir receives the reports; empty means a fresh folder under the
	// system temporary directory. Env: REFRESHCONF_REPORT_DIR.
	ReportDir string
	// Certify turns every skipped core scenario into a failure.
	Certify bool
	// AuditLatency delays audit rows of the embedded target (for benches).
	AuditLatency time.Duration
	// AuditTimeout overrides the embedded target's audit wait (the
	// profile's timeouts.audit for a real target).
	AuditTimeout time.Duration
	// Defects switches defects on in the embedded target (to prove the
	// harness catches them).
	Defects stringList
	// ResponsesOnly opts in to gating on responses alone: a scenario whose
	// audit code could not be judged (no audit trail) counts as passed,
	// and every report says "responses only". Same as the profile's
	// `gating: responses_only`.
	ResponsesOnly bool
	// KnownDeviations is a file declaring scenarios known to fail (the
	// profile's known_deviations: list, for any target, the embedded one
	// included).
	KnownDeviations string
	// Quiet suppresses the "reports written to" line.
	Quiet bool
	// KeyCache is the file of cached RSA keys (the embedded target's and
	// the attacker's): "" for the user cache directory, KeyCacheOff to
	// generate fresh keys for the run. Env: REFRESHCONF_KEY_CACHE.
	KeyCache string
	// RotateAll starts the embedded target in rotate-everything mode
	// (every client's refresh token one-time; see target.Config.RotateAll)
	// and declares it in the profile, so the run leases instances minted
	// through the target's OAuth flow.
	RotateAll bool
	// ResponseDelay and RateLimit make the embedded target remote-like:
	// every response is delayed, and more than RateLimit token requests a
	// second are answered 429 (the run then keeps to that rate).
	ResponseDelay time.Duration
	RateLimit     float64
	// TargetCache is the file keeping a provisioned embedded target
	// between runs (see fixtures/targetcache): "" for the user cache
	// directory, CacheOff to provision through the OAuth flows every run.
	// It is not used with --defect or --key-cache off. Env:
	// REFRESHCONF_TARGET_CACHE.
	TargetCache string
	// Codes is the embedded reference target's code mode: "" (its own
	// codes, judged with the reference dialect) or CodesNetSuite (it writes
	// only NetSuite's documented codes, judged with the netsuite dialect).
	Codes string
	// Interrupt, when set (by `refreshconf run`), takes over SIGINT and
	// SIGTERM from Ginkgo once the suite starts: see Interrupter.
	Interrupt *Interrupter
}

// CodesNetSuite as --codes makes the embedded reference target write only
// NetSuite's documented audit codes, and judges it with the netsuite
// dialect.
const CodesNetSuite = "netsuite"

// KeyCacheOff as --key-cache generates every RSA key afresh for the run.
const KeyCacheOff = "off"

// CacheOff as --key-cache or --target-cache turns that cache off.
const CacheOff = KeyCacheOff

type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// RegisterFlags binds c to fs.
func RegisterFlags(fs *flag.FlagSet, c *Config) {
	fs.StringVar(&c.ProfilePath, "profile", os.Getenv("REFRESHCONF_PROFILE"), "profile `FILE` describing the target (default: start the embedded reference target); env REFRESHCONF_PROFILE")
	fs.StringVar(&c.ReportDir, "report-dir", os.Getenv("REFRESHCONF_REPORT_DIR"), "`DIR` for the conformance report, JUnit and JSON (default: a new folder under the temp dir); env REFRESHCONF_REPORT_DIR")
	fs.BoolVar(&c.Certify, "certify", false, "certification run: a skipped core scenario is a failure")
	fs.DurationVar(&c.AuditLatency, "audit-latency", 0, "embedded target only: audit rows become visible after `DUR`")
	fs.DurationVar(&c.AuditTimeout, "audit-timeout", 0, "embedded target only: wait at most `DUR` for the run's audit rows (default 30s, or 2x the audit latency + 5s)")
	fs.Var(&c.Defects, "defect", "embedded target only: switch on defect `NAME` (repeatable; see refreshconf serve --list-defects)")
	fs.BoolVar(&c.ResponsesOnly, "responses-only", false, "gate on responses alone: a scenario whose audit code could not be judged (no audit trail) counts as passed; every report says \"responses only\" (profile: gating: responses_only)")
	fs.StringVar(&c.KnownDeviations, "known-deviations", "", "`FILE` declaring scenarios known to fail on the target (known_deviations: [{id: ID, reason: WHY}]): reported as known deviations, never passed; one that passes fails the run as stale")
	fs.BoolVar(&c.Quiet, "quiet-report-path", false, "do not print where the reports were written")
	fs.StringVar(&c.KeyCache, "key-cache", os.Getenv("REFRESHCONF_KEY_CACHE"), "`FILE` caching the run's RSA keys (embedded target's and attacker's), or 'off' to generate fresh ones (default: refreshconf/"+keycache.FileName+" in the user cache dir); env REFRESHCONF_KEY_CACHE")
	fs.StringVar(&c.Codes, "codes", "", "embedded target only: 'netsuite' makes it write only NetSuite's documented audit codes and judges it with the netsuite code dialect (default: its own codes, reference dialect)")
	fs.BoolVar(&c.RotateAll, "rotate-all", false, "embedded target only: rotate-everything mode (every client's refresh token is one-time, reuse revokes the family); scenarios that spend a token get instances minted during the run")
	fs.DurationVar(&c.ResponseDelay, "response-delay", 0, "embedded target only: delay every token-endpoint response by `DUR` (a remote-like target)")
	fs.Float64Var(&c.RateLimit, "rate-limit", 0, "embedded target only: answer 429 past `N` token requests a second; the run keeps to that rate")
	fs.StringVar(&c.TargetCache, "target-cache", os.Getenv("REFRESHCONF_TARGET_CACHE"), "`FILE` keeping the provisioned embedded target between runs (up to "+targetcache.MaxAge.String()+"), or 'off' to provision it through its OAuth flows every run (default: refreshconf/"+targetcache.FileName+" in the user cache dir; never used with --defect or --key-cache off); env REFRESHCONF_TARGET_CACHE")
}

// flags is the configuration bound to the process's command line; Ginkgo
// test binaries receive it after `--`.
var flags Config

func init() { RegisterFlags(flag.CommandLine, &flags) }

// SetConfig replaces the command-line configuration (used by
// `refreshconf run`, which parses its own flags).
func SetConfig(c Config) { flags = c }

// RunConfig returns the run's configuration with every relative path
// (profile, report folder, key and target caches) made absolute against
// the directory the user ran the command in (see InvocationDir).
func RunConfig() Config { return flags.Resolve(InvocationDir()) }

// Resolve returns c with every relative path made absolute against base;
// "off" for a cache and empty values stay as they are.
func (c Config) Resolve(base string) Config {
	abs := func(p string) string {
		if p == "" || p == CacheOff || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(base, p)
	}
	c.ProfilePath = abs(c.ProfilePath)
	c.ReportDir = abs(c.ReportDir)
	c.KeyCache = abs(c.KeyCache)
	c.TargetCache = abs(c.TargetCache)
	c.KnownDeviations = abs(c.KnownDeviations)
	return c
}

// InvocationDir returns the directory the user ran the command in. It is
// the working directory, except under the Ginkgo CLI (`go tool ginkgo
// ./suites`, `ginkgo ./suites`), which runs the suite's test binary in the
// package's folder and sets PWD to it (os/exec does so for a command with
// a Dir): there it is the Ginkgo CLI's own working directory, read from
// /proc on Linux. Elsewhere under Ginkgo (no /proc), relative paths
// resolve against the package's folder, as `go test` does.
func InvocationDir() string {
	wd, err := os.Getwd()
	if err != nil {
		wd = "."
	}
	if d, ok := parentGinkgoDir(os.Getppid()); ok {
		return d
	}
	return wd
}

// parentGinkgoDir returns the working directory of process ppid when it
// is the Ginkgo CLI.
func parentGinkgoDir(ppid int) (string, bool) {
	if runtime.GOOS != "linux" || ppid <= 1 {
		return "", false
	}
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", ppid))
	if err != nil || !strings.HasPrefix(filepath.Base(exe), "ginkgo") {
		return "", false
	}
	d, err := os.Readlink(fmt.Sprintf("/proc/%d/cwd", ppid))
	if err != nil || !filepath.IsAbs(d) {
		return "", false
	}
	return d, true
}

// Preflight checks, before anything is started or fired, what can be known
// from the configuration and the profile's shape alone (its secrets are not
// resolved and no command runs): the flags are consistent, the profile
// exists and is a valid profile (so that a bad profile is a usage error,
// not a failed run), and a certification run has an audit source, since a
// run that cannot judge audit codes cannot certify them.
func Preflight(c Config) error {
	if err := c.validate(); err != nil {
		return err
	}
	if err := c.preflightProfile(); err != nil {
		return err
	}
	return checkReportDir(c.ReportDir)
}

// preflightProfile checks the profile's shape and, for a certification
// run, that it has an audit source.
func (c Config) preflightProfile() error {
	if c.ProfilePath == "" {
		return nil // the embedded reference target always has its audit trail
	}
	p, err := profile.Load(context.Background(), c.ProfilePath, profile.LoadOptions{SkipSecrets: true})
	if err != nil {
		return fmt.Errorf("--profile %s: %w", c.ProfilePath, err)
	}
	if err := checkDeviations("--profile "+c.ProfilePath, p.KnownDeviations); err != nil {
		return err
	}
	if !c.Certify {
		return nil
	}
	if p.Gating == profile.GatingResponsesOnly {
		return fmt.Errorf("--certify judges audit codes, but profile %s has gating: responses_only: remove one of them", c.ProfilePath)
	}
	if src := p.Audit.Source; src == "" || src == profile.AuditNone {
		return fmt.Errorf("--certify needs an audit source, but profile %s has none (audit.source: none or no audit section), so no audit code could be judged: configure audit.source (http, jsonl, csv, exec or response, with audit.classify rules for a target without NetSuite codes), or run without --certify", c.ProfilePath)
	}
	if im := p.Implementation; strings.TrimSpace(im.Organization) == "" || strings.TrimSpace(im.Project) == "" || strings.TrimSpace(im.Version) == "" {
		return fmt.Errorf("--certify needs the implementation under test named in profile %s: set implementation.organization, implementation.project and implementation.version (the report certifies that product and version)", c.ProfilePath)
	}
	return nil
}

// checkReportDir makes sure the reports can be written into dir (created
// if missing) before anything is sent: a folder that is a file or is not
// writable would otherwise be found only after the whole catalogue fired.
// An empty dir (a new temporary folder) needs no check.
func checkReportDir(dir string) error {
	if dir == "" {
		return nil
	}
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		return fmt.Errorf("--report-dir %s is not a folder: give a folder path (it is created if missing)", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--report-dir %s: cannot create it: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, ".refreshconf-write-check-")
	if err != nil {
		return fmt.Errorf("--report-dir %s: cannot write into it: %w", dir, err)
	}
	name := f.Name()
	_ = f.Close()
	if err := os.Remove(name); err != nil {
		return fmt.Errorf("--report-dir %s: cannot remove a file written into it: %w", dir, err)
	}
	return nil
}

// validate checks the configuration before anything starts.
func (c Config) validate() error {
	if c.ProfilePath != "" && (len(c.Defects) > 0 || c.AuditLatency != 0 || c.AuditTimeout != 0 || c.RotateAll || c.ResponseDelay != 0 || c.RateLimit != 0) {
		return fmt.Errorf("--defect, --audit-latency, --audit-timeout, --rotate-all, --response-delay and --rate-limit apply to the embedded reference target only (a profile sets timeouts.audit); remove them or remove --profile %s", c.ProfilePath)
	}
	if c.Codes != "" && c.Codes != CodesNetSuite {
		return fmt.Errorf("--codes %q: write %q (the embedded target writes only NetSuite's documented codes) or omit it", c.Codes, CodesNetSuite)
	}
	if c.Codes != "" && c.ProfilePath != "" {
		return fmt.Errorf("--codes applies to the embedded reference target only (a profile sets codes.dialect); remove it or remove --profile %s", c.ProfilePath)
	}
	if c.KnownDeviations != "" {
		if _, err := LoadDeviations(c.KnownDeviations); err != nil {
			return err
		}
	}
	if c.Certify && c.ResponsesOnly {
		return fmt.Errorf("--certify judges audit codes and --responses-only gates on responses alone: remove one of them")
	}
	if c.AuditLatency < 0 || c.AuditTimeout < 0 || c.ResponseDelay < 0 || c.RateLimit < 0 {
		return fmt.Errorf("--audit-latency %s / --audit-timeout %s / --response-delay %s / --rate-limit %g: must not be negative", c.AuditLatency, c.AuditTimeout, c.ResponseDelay, c.RateLimit)
	}
	if c.KeyCache != "" && c.KeyCache != KeyCacheOff {
		if fi, err := os.Stat(c.KeyCache); err == nil && fi.IsDir() {
			return fmt.Errorf("--key-cache %s is a directory: give a file path such as %s, or 'off' to generate fresh keys", c.KeyCache, filepath.Join(c.KeyCache, keycache.FileName))
		}
	}
	if c.TargetCache != "" && c.TargetCache != CacheOff {
		if fi, err := os.Stat(c.TargetCache); err == nil && fi.IsDir() {
			return fmt.Errorf("--target-cache %s is a directory: give a file path such as %s, or 'off' to provision every run", c.TargetCache, filepath.Join(c.TargetCache, targetcache.FileName))
		}
	}
	if c.ProfilePath != "" {
		if _, err := os.Stat(c.ProfilePath); err != nil {
			return fmt.Errorf("--profile %s: %w (write one with `refreshconf profile init`, or omit --profile to use the embedded reference target)", c.ProfilePath, err)
		}
	}
	return nil
}

// LoadProfile loads the profile at path as a run does: its secrets
// resolved, its provisioner (if any) run, its defaults applied. It returns
// how long provisioning took (0 without a provision section). `refreshconf
// profile check` uses it, so that it checks what a run would use.
func LoadProfile(ctx context.Context, path string) (*profile.Profile, time.Duration, error) {
	p, err := profile.Load(ctx, path, profile.LoadOptions{})
	if err != nil {
		return nil, 0, fmt.Errorf("loading the profile: %w", err)
	}
	took, err := Provision(ctx, p, path)
	if err != nil {
		return nil, 0, err
	}
	p.ApplyDefaults()
	return p, took, nil
}

// Provision runs the provisioner of the profile p loaded from path, as a
// run does (asking it for the instances of rotating sets the catalogue's
// spending scenarios need: see fixtures/provision), and returns how long it
// took (0 without a provision section).
func Provision(ctx context.Context, p *profile.Profile, path string) (time.Duration, error) {
	if p.Provision == nil {
		return 0, nil
	}
	t0 := time.Now()
	if err := provision.RunRequest(ctx, p, provision.Request{Instances: instancesWanted(p, catalogue.All())}); err != nil {
		return 0, fmt.Errorf("provisioning credential sets for profile %s: %w", path, err)
	}
	if p.Target.TokenURL == "" {
		return 0, fmt.Errorf("profile %s: neither target.token_url nor the exec provisioner's output (\"target\": {\"token_url\": ...}) gives the token endpoint", path)
	}
	return time.Since(t0), nil
}

// RunGCPercent is the garbage collector's target percentage for a run
// (Go's default is 100). A run is short and its live heap small (~10 MB),
// so collecting a quarter as often costs a few MB of memory and saves
// about a tenth of its CPU (`refreshconf bench` shows it).
const RunGCPercent = 400

// TuneGC sets RunGCPercent unless the user chose GOGC.
func TuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(RunGCPercent)
	}
}
