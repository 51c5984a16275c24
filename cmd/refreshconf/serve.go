package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/spf13/cobra"

	"github.com/refreshconf/refreshconf/fixtures/profile"
	"github.com/refreshconf/refreshconf/fixtures/provision"
	"github.com/refreshconf/refreshconf/fixtures/target"
)

// envAdminToken supplies --admin-token when the flag is not given.
const envAdminToken = "REFRESHCONF_ADMIN_TOKEN"

// serveShutdownTimeout bounds the graceful stop after SIGINT/SIGTERM.
const serveShutdownTimeout = 10 * time.Second

// minAdminTokenLen keeps a chosen admin token from being trivially guessed:
// it guards the admin API and the target's private signing key.
const minAdminTokenLen = 16

// serveOptions are the flags of `refreshconf serve`.
type serveOptions struct {
	listen       string
	db           string
	auditLatency time.Duration
	defects      []string
	listDefects  bool
	rotateAll    bool
	respDelay    time.Duration
	rateLimit    float64
	profileOut   string
	adminToken   string
	issuer       string
	codes        string
}

func newServeCmd() *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve [--listen ADDR] [--profile-out FILE] [--defect NAME]...",
		Short: "Start the reference target (a NetSuite-shaped OAuth 2.0 service) and optionally write a ready profile for it",
		Long: `Serve starts the reference target: token, authorization, revocation and
key endpoints for accounts created through its admin API, a Login Audit
Trail (JSON at /audit/rows, HTML at /audit) and switchable defects. With
--profile-out it provisions itself (accounts, integrations, users and every
credential set of the catalogue) and writes a profile that
'refreshconf run --profile FILE' can use directly. It serves until SIGINT
or SIGTERM.

The admin token guards the admin API, the audit trail and the signing key.
It is never printed: choose it with --admin-token or REFRESHCONF_ADMIN_TOKEN,
or read it from the written profile (mode 0600).`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.listDefects {
				return printDefects(cmd.OutOrStdout())
			}
			if !cmd.Flags().Changed("admin-token") {
				o.adminToken = os.Getenv(envAdminToken)
			}
			return serve(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.listen, "listen", "127.0.0.1:8787", "listen on `ADDR` (host:port; port 0 picks a free port)")
	f.StringVar(&o.db, "db", "", "keep the audit trail in SQLite `FILE` (default: in memory)")
	f.DurationVar(&o.auditLatency, "audit-latency", 0, "audit rows become visible only after `DUR` (to prove the harness hides latency)")
	f.StringSliceVar(&o.defects, "defect", nil, "switch on defect `NAME` (repeatable; see --list-defects)")
	f.BoolVar(&o.listDefects, "list-defects", false, "print the defects with what each breaks, then exit")
	f.BoolVar(&o.rotateAll, "rotate-all", false, "rotate-everything mode: every client's refresh token is one-time (confidential clients' too), reuse revokes the family; --profile-out declares rotation.refresh_tokens: all")
	f.DurationVar(&o.respDelay, "response-delay", 0, "delay every token-endpoint response by `DUR` (a remote-like target)")
	f.Float64Var(&o.rateLimit, "rate-limit", 0, "answer 429 (Retry-After: 1) past `N` token requests a second; --profile-out sets limits.requests_per_second to it")
	f.StringVar(&o.profileOut, "profile-out", "", "provision the target and write a ready profile to `FILE` (mode 0600; it holds secrets)")
	f.StringVar(&o.adminToken, "admin-token", "", "admin bearer `TOKEN` (default: env "+envAdminToken+", else random)")
	f.StringVar(&o.codes, "codes", "", "'netsuite': write only NetSuite's documented audit codes (each reference-only case mapped by its own rule; --profile-out then names the netsuite code dialect); default: the reference target's own codes")
	f.StringVar(&o.issuer, "issuer", "", "iss `URL` of the target's tokens (default: https://system.netsuite.com)")
	return cmd
}

// printDefects writes the defect table with the scenarios each defect
// breaks (the defect matrix), then the matrix's declared swaps.
func printDefects(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DEFECT\tDESCRIPTION\tBREAKS\tSCENARIOS THAT FAIL")
	for _, d := range target.ListDefects() {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", d.Name, d.Description, d.Breaks, d.Scenarios)
	}
	fmt.Fprintln(tw, "\t\t\t")
	fmt.Fprintln(tw, "DECLARED SWAP\t\t\tSCENARIOS THAT FAIL")
	for _, e := range target.Matrix() {
		if strings.HasPrefix(e.Defect, "swap:") {
			fmt.Fprintf(tw, "%s\t\t\t%s\n", e.Defect, e.Summary())
		}
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("writing the defect list: %w", err)
	}
	return nil
}

// validate checks the flags and fills the admin token; every problem is a
// usageError.
func (o *serveOptions) validate() error {
	if _, _, err := net.SplitHostPort(o.listen); err != nil {
		return usageError{fmt.Errorf("--listen %q: want host:port, e.g. 127.0.0.1:8787 (%v)", o.listen, err)}
	}
	if o.codes != "" && o.codes != target.CodesNetSuite {
		return usageError{fmt.Errorf("--codes %q: write %q or omit it", o.codes, target.CodesNetSuite)}
	}
	if o.auditLatency < 0 || o.respDelay < 0 || o.rateLimit < 0 {
		return usageError{fmt.Errorf("--audit-latency, --response-delay and --rate-limit must not be negative, got %s, %s, %g", o.auditLatency, o.respDelay, o.rateLimit)}
	}
	if err := target.ValidateDefects(o.defects); err != nil {
		return usageError{fmt.Errorf("--defect: %w (see --list-defects)", err)}
	}
	for flag, path := range map[string]string{"--profile-out": o.profileOut, "--db": o.db} {
		if path == "" {
			continue
		}
		dir := filepath.Dir(path)
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return usageError{fmt.Errorf("%s %s: folder %s does not exist; create it first", flag, path, dir)}
		}
	}
	if strings.TrimSpace(o.issuer) != o.issuer {
		return usageError{fmt.Errorf("--issuer %q has leading or trailing spaces", o.issuer)}
	}
	switch {
	case o.adminToken == "":
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return fmt.Errorf("generating an admin token: %w", err)
		}
		o.adminToken = hex.EncodeToString(b)
	case len(o.adminToken) < minAdminTokenLen:
		return usageError{fmt.Errorf("the admin token (--admin-token or %s) must be at least %d characters; it guards the admin API and the signing key", envAdminToken, minAdminTokenLen)}
	}
	return nil
}

// ownerOnlyFile creates path with mode 0600 if it does not exist, and
// narrows an existing file to 0600: the target's database holds its
// signing private keys, client secrets and tokens in plain text. SQLite
// gives its journal files the database file's mode.
func ownerOnlyFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Chmod(0o600); err != nil {
		return fmt.Errorf("making it owner-only (it holds the signing keys): %w", err)
	}
	return nil
}

// serve runs the reference target until ctx is done or SIGINT/SIGTERM.
func serve(ctx context.Context, stdout, stderr io.Writer, o serveOptions) error {
	tokenSource := "generated at random"
	if o.adminToken != "" {
		tokenSource = "chosen with --admin-token or " + envAdminToken
	}
	if err := o.validate(); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	if host, _, _ := net.SplitHostPort(o.listen); !isLoopback(host) {
		fmt.Fprintf(stderr, "warning: --listen %s is not a loopback address: the admin API (guarded by the admin token) is reachable from the network\n", o.listen)
	}
	if o.db != "" {
		if err := ownerOnlyFile(o.db); err != nil {
			return fmt.Errorf("--db %s: %w", o.db, err)
		}
	}
	cfg := target.Config{
		Issuer:        o.issuer,
		AdminToken:    o.adminToken,
		DBPath:        o.db,
		AuditLatency:  o.auditLatency,
		Defects:       o.defects,
		Codes:         o.codes,
		RotateAll:     o.rotateAll,
		ResponseDelay: o.respDelay,
		RateLimit:     o.rateLimit,
		Logger:        slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo})),
	}
	running, err := target.Start(ctx, cfg, o.listen)
	if err != nil {
		return fmt.Errorf("starting the reference target on %s: %w", o.listen, err)
	}
	shutdown := func() error {
		sctx, cancel := context.WithTimeout(context.Background(), serveShutdownTimeout)
		defer cancel()
		if err := running.Shutdown(sctx); err != nil {
			return fmt.Errorf("stopping the reference target: %w", err)
		}
		return nil
	}

	fmt.Fprintf(stdout, "refreshconf reference target listening on %s\n", running.URL)
	fmt.Fprintf(stdout, "  token endpoint: %s/%s/services/rest/auth/oauth2/v1/token\n", running.URL, provision.AccountMain)
	fmt.Fprintf(stdout, "  audit trail:    %s/audit (admin token %s; not shown)\n", running.URL, tokenSource)
	if len(o.defects) > 0 {
		fmt.Fprintf(stdout, "  defects on:     %s\n", strings.Join(o.defects, ", "))
	}
	if o.auditLatency > 0 {
		fmt.Fprintf(stdout, "  audit latency:  %s\n", o.auditLatency)
	}
	if o.rotateAll {
		fmt.Fprintln(stdout, "  rotation:       every refresh token is one-time (rotate-everything mode); reuse revokes the family")
	}

	if o.profileOut != "" {
		p, err := provision.Reference(ctx, running.URL, o.adminToken, provision.ReferenceOptions{Name: "reference"})
		if err != nil {
			return errors.Join(fmt.Errorf("provisioning the reference target for --profile-out: %w", err), shutdown())
		}
		// The profile names the dialect its target speaks.
		p.Codes.Dialect = profile.DialectReference
		if o.codes == target.CodesNetSuite {
			p.Codes.Dialect = profile.DialectNetSuite
		}
		if o.rotateAll {
			p.Rotation.RefreshTokens = profile.RotateAll
		}
		if o.rateLimit > 0 {
			p.Limits.RequestsPerSecond = o.rateLimit
		}
		if err := writeProfileFile(o.profileOut, p); err != nil {
			return errors.Join(err, shutdown())
		}
		fmt.Fprintf(stdout, "  profile:        %s (mode 0600: it holds the admin token and credentials)\n", o.profileOut)
		fmt.Fprintf(stdout, "run the catalogue with: refreshconf run --profile %s\n", o.profileOut)
	}
	fmt.Fprintln(stdout, "serving; press Ctrl-C to stop")

	<-ctx.Done()
	if err := shutdown(); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "reference target stopped")
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// profileHeader opens every profile serve writes.
const profileHeader = `# refreshconf profile for the reference target, written by 'refreshconf serve --profile-out'.
# It holds the admin token and live credentials: keep it private (mode 0600).
# 'provision: {kind: reference}' makes each run provision fresh credentials.
`

// writeProfileFile writes p as YAML to path atomically (a temporary file in
// the same folder, then a rename) with mode 0600.
func writeProfileFile(path string, p *profile.Profile) error {
	data, err := marshalProfileYAML(p)
	if err != nil {
		return fmt.Errorf("--profile-out %s: %w", path, err)
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("--profile-out %s: creating a temporary file in %s: %w", path, dir, err)
	}
	tmpName := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			_ = tmp.Close()
			_ = os.Remove(tmpName)
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("--profile-out %s: restricting the file's mode: %w", path, err)
	}
	if _, err := tmp.Write(append([]byte(profileHeader), data...)); err != nil {
		return fmt.Errorf("--profile-out %s: writing: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("--profile-out %s: flushing to disk: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("--profile-out %s: closing: %w", path, err)
	}
	if err := os.Rename(tmpName, path); err != nil {
		return fmt.Errorf("--profile-out %s: moving the finished file into place: %w", path, err)
	}
	ok = true
	return nil
}

// marshalProfileYAML renders p in the profile file format (secrets as
// their source, durations as Go duration strings: the profile package's
// YAML methods).
func marshalProfileYAML(p *profile.Profile) ([]byte, error) {
	out, err := yaml.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("rendering the profile as YAML: %w", err)
	}
	return out, nil
}
