package main

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/refreshconf/refreshconf/client"
	"github.com/refreshconf/refreshconf/client/audit"
	"github.com/refreshconf/refreshconf/client/mutate"
	"github.com/refreshconf/refreshconf/fixtures/profile"
	"github.com/refreshconf/refreshconf/fixtures/provision"
	"github.com/refreshconf/refreshconf/fixtures/target"
	"github.com/refreshconf/refreshconf/suites/framework"
)

// Bounds of `refreshconf fuzz`.
const (
	maxFuzzDuration    = 24 * time.Hour
	maxFuzzConcurrency = 256
	fuzzExamples       = 3
	fuzzStopTimeout    = 10 * time.Second
)

// fuzzOptions are the flags of `refreshconf fuzz`.
type fuzzOptions struct {
	profile      string
	duration     time.Duration
	concurrency  int
	seed         uint64
	seedSet      bool
	defects      []string
	auditTimeout time.Duration
	progress     string // auto, plain, off
}

func newFuzzCmd() *cobra.Command {
	var o fuzzOptions
	cmd := &cobra.Command{
		Use:   "fuzz [--profile FILE] --duration D [--concurrency N] [--seed S]",
		Short: "Send mutated refresh requests for a bounded time and check that each one fails correctly",
		Long: `Fuzz derives mutated refresh requests from the profile's primary credential
set — form fields (names, values, duplicates, encodings), headers (content
type, Authorization variants), methods and tokens (the forge's attacks and
byte-level edits of the refresh token) — and sends them for --duration with
the profile's client (its rate limit and concurrency). No mutation can
legitimately succeed, so every answer must be an RFC 6749 §5.2 error: 400
(or 401 with WWW-Authenticate for invalid_client) with a JSON body whose
"error" is a legal value. With an audit source, each request must leave
exactly one audit row. It prints counts by outcome and a few redacted
examples of each violation, and exits 1 if any invariant broke.

Without --profile it starts the embedded reference target (--defect switches
its faults on, to see the invariants catch them).`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.seedSet = cmd.Flags().Changed("seed")
			return runFuzz(cmd.Context(), o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.profile, "profile", "", "target profile `FILE` (default: the embedded reference target)")
	f.DurationVar(&o.duration, "duration", 10*time.Second, "send mutations for `D` (then await the audit rows)")
	f.IntVar(&o.concurrency, "concurrency", 0, "`N` requests in flight (default and cap: the profile's limits.concurrency)")
	f.Uint64Var(&o.seed, "seed", 0, "seed `S` of the mutation sequence (default: random, printed)")
	f.StringSliceVar(&o.defects, "defect", nil, "embedded target only: switch on defect `NAME` (repeatable; see serve --list-defects)")
	f.DurationVar(&o.auditTimeout, "audit-timeout", 0, "wait at most `D` for each request's audit row (default: the profile's timeouts.audit)")
	f.StringVar(&o.progress, "progress", "auto", "progress lines on stderr: auto (in place on a terminal), plain or off")
	return cmd
}

// validate checks the flags; every error is a usageError.
func (o *fuzzOptions) validate() error {
	if o.duration <= 0 || o.duration > maxFuzzDuration {
		return usageError{fmt.Errorf("--duration must be between 1ns and %s, got %s", maxFuzzDuration, o.duration)}
	}
	if o.concurrency < 0 || o.concurrency > maxFuzzConcurrency {
		return usageError{fmt.Errorf("--concurrency must be between 1 and %d (0: the profile's), got %d", maxFuzzConcurrency, o.concurrency)}
	}
	if o.auditTimeout < 0 {
		return usageError{fmt.Errorf("--audit-timeout must not be negative, got %s", o.auditTimeout)}
	}
	if !slices.Contains([]string{"auto", "plain", "off"}, o.progress) {
		return usageError{fmt.Errorf("--progress %q: want auto, plain or off", o.progress)}
	}
	if o.profile != "" && len(o.defects) > 0 {
		return usageError{errors.New("--defect applies to the embedded reference target only; drop --profile or --defect")}
	}
	var known []string
	for _, d := range target.ListDefects() {
		known = append(known, d.Name)
	}
	for _, d := range o.defects {
		if !slices.Contains(known, d) && !strings.HasPrefix(d, "swap:") {
			return usageError{fmt.Errorf("--defect %q is unknown; known defects: %s (see refreshconf serve --list-defects)", d, strings.Join(known, ", "))}
		}
	}
	return nil
}

// runFuzz runs `refreshconf fuzz`: summary and examples on stdout,
// progress on stderr.
func runFuzz(ctx context.Context, o fuzzOptions, stdout, stderr io.Writer) error {
	if err := o.validate(); err != nil {
		return err
	}
	if !o.seedSet {
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return fmt.Errorf("choosing a random seed: %w (pass --seed)", err)
		}
		o.seed = binary.LittleEndian.Uint64(b[:]) >> 1
	}
	p, running, err := fuzzProfile(ctx, o)
	if err != nil {
		return err
	}
	if running != nil {
		defer func() {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), fuzzStopTimeout)
			defer cancel()
			_ = running.Shutdown(sctx)
		}()
	}
	if o.auditTimeout > 0 {
		p.Timeouts.Audit = profile.D(o.auditTimeout)
	}
	f, err := newFuzzer(p, o)
	if err != nil {
		return err
	}
	where := "profile " + o.profile
	if running != nil {
		where = "the embedded reference target"
		if len(o.defects) > 0 {
			where += " with defects " + strings.Join(o.defects, ", ")
		}
	}
	fmt.Fprintf(stdout, "refreshconf fuzz: %s, token endpoint %s\n", where, f.red.Redact(f.tokenURL))
	fmt.Fprintf(stdout, "  seed %d, duration %s, concurrency %d, audit: %s\n", o.seed, o.duration, f.concurrency, f.auditName())
	res := f.run(ctx, o.duration, newProgress(stderr, o.progress))
	if err := ctx.Err(); err != nil {
		res.print(stdout)
		return fmt.Errorf("fuzz interrupted: %w", err)
	}
	res.print(stdout)
	if res.violations > 0 {
		return exitError{1}
	}
	return nil
}

// fuzzProfile loads (and provisions) the profile, or starts and
// provisions the embedded reference target.
func fuzzProfile(ctx context.Context, o fuzzOptions) (*profile.Profile, *target.Running, error) {
	if o.profile != "" {
		p, err := profile.Load(ctx, o.profile, profile.LoadOptions{})
		if err != nil {
			return nil, nil, usageError{fmt.Errorf("loading the profile: %w", err)}
		}
		if p.Provision != nil {
			if err := provision.Run(ctx, p); err != nil {
				return nil, nil, fmt.Errorf("provisioning credential sets for profile %s: %w", o.profile, err)
			}
		}
		p.ApplyDefaults()
		return p, nil, nil
	}
	running, err := target.Start(ctx, target.Config{Defects: o.defects}, "127.0.0.1:0")
	if err != nil {
		if len(o.defects) > 0 && strings.Contains(err.Error(), "defect") {
			return nil, nil, usageError{fmt.Errorf("starting the embedded reference target: %w", err)}
		}
		return nil, nil, fmt.Errorf("starting the embedded reference target: %w", err)
	}
	p, err := framework.ProvisionEmbedded(ctx, running.URL, running.Server.AdminToken(), 0)
	if err != nil {
		_ = running.Shutdown(context.WithoutCancel(ctx))
		return nil, nil, err
	}
	return p, running, nil
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// newRedactorFor registers every secret of p for redaction.
func newRedactorFor(p *profile.Profile) *client.Redactor {
	r := client.NewRedactor()
	for name, cs := range p.Credentials {
		r.Add(name+".client_secret", cs.ClientSecret.Value())
		r.Add(name+".refresh_token", cs.RefreshToken.Value())
		r.Add(name+".access_token", cs.AccessToken.Value())
	}
	for k, v := range p.Audit.Headers {
		r.Add("audit.headers."+k, v.Value())
	}
	if p.SigningKey != nil {
		r.Add("signing_key", p.SigningKey.PrivateKeyPEM.Value())
	}
	return r
}

// newFuzzer builds the client, the audit poller and the generator.
func newFuzzer(p *profile.Profile, o fuzzOptions) (*fuzzer, error) {
	cs, ok := p.Set(profile.SetPrimary)
	if !ok || cs.ClientID == "" || cs.RefreshToken.Value() == "" {
		return nil, usageError{errors.New("the profile has no usable primary credential set (client_id and refresh_token); fuzz mutates its refresh request")}
	}
	tokenURL := cs.TokenURL
	if tokenURL == "" {
		tokenURL = p.Target.TokenURL
	}
	conc := p.Limits.Concurrency
	if o.concurrency > 0 && (conc <= 0 || o.concurrency < conc) {
		conc = o.concurrency
	}
	if conc <= 0 {
		conc = client.DefaultConcurrency
	}
	red := newRedactorFor(p)
	c, err := client.New(client.Config{
		TokenURL: tokenURL, UserAgent: p.UserAgent, Version: framework.Version,
		ConnectTimeout: p.Timeouts.Connect.Std(), RequestTimeout: p.Timeouts.Request.Std(),
		MaxBodyBytes: p.Limits.MaxBodyBytes, RequestsPerSecond: p.Limits.RequestsPerSecond, Concurrency: conc,
		CAFile: p.TLS.CAFile, Insecure: p.TLS.Insecure, Redactor: red,
	})
	if err != nil {
		return nil, usageError{fmt.Errorf("configuring the token-endpoint client from the profile: %w", err)}
	}
	base := mutate.Base{
		TokenURL: tokenURL, ClientID: cs.ClientID, ClientSecret: cs.ClientSecret.Value(), Public: cs.Public,
		RefreshToken: cs.RefreshToken.Value(), AccessToken: cs.AccessToken.Value(),
		NotJWT:              p.Features.JWTRefreshTokens != nil && !*p.Features.JWTRefreshTokens,
		BroaderScopeIgnored: strings.EqualFold(p.Stances.BroaderScope, "ignore"),
	}
	gen, err := mutate.New(base, o.seed)
	if err != nil {
		return nil, usageError{err}
	}
	src, err := audit.FromProfile(p)
	if err != nil {
		return nil, usageError{fmt.Errorf("the profile's audit source: %w", err)}
	}
	return &fuzzer{p: p, c: c, red: red, gen: gen, src: src, tokenURL: tokenURL, concurrency: conc,
		auditTimeout: p.Timeouts.Audit.Std()}, nil
}
