// Package client talks to an OAuth 2.0 token endpoint. It sends any request
// a scenario needs (raw form fields in order and with duplicates, any method,
// body and content type, any client-authentication mode), stamps each one
// with a correlation marker in the User-Agent, bounds every exchange in time,
// size, rate and concurrency, and records each exchange with its secrets
// redacted at the source.
package client

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Defaults applied by New to zero Config fields.
const (
	DefaultUserAgent      = "refreshconf/{version} (+{marker})"
	DefaultConnectTimeout = 5 * time.Second
	DefaultRequestTimeout = 15 * time.Second
	DefaultMaxBodyBytes   = 1 << 20
	DefaultConcurrency    = 16
	DefaultMaxRetries429  = 3
	// MaxRetryAfter caps how long a Retry-After header can make Do wait.
	MaxRetryAfter = 10 * time.Second
	// defaultRetryAfter is the wait after a 429 without a usable Retry-After.
	defaultRetryAfter = time.Second
)

// Config configures a Client. Zero values take the documented defaults.
type Config struct {
	// TokenURL is the default request URL (http or https).
	TokenURL string
	// UserAgent is the User-Agent template: "{marker}" is required and
	// replaced by the request's marker, "{version}" by Version.
	// Default "refreshconf/{version} (+{marker})".
	UserAgent string
	// Version replaces "{version}" (default "dev").
	Version string
	// RunID identifies the run in every marker; random 8 hex characters
	// when empty. Letters, digits, '.', '_' and '-' only, at most 64.
	RunID string
	// ConnectTimeout bounds the TCP connect and the TLS handshake
	// (default 5s).
	ConnectTimeout time.Duration
	// RequestTimeout bounds one attempt from sending to the last body byte,
	// including the wait for response headers (default 15s).
	RequestTimeout time.Duration
	// MaxBodyBytes caps the response body kept (default 1 MiB); a longer
	// body is cut and Exchange.Truncated set.
	MaxBodyBytes int64
	// RequestsPerSecond limits the request rate; 0 means unlimited.
	RequestsPerSecond float64
	// Concurrency caps requests in flight (default 16).
	Concurrency int
	// CAFile is a PEM file of CA certificates trusted besides the system's.
	CAFile string
	// Insecure skips TLS certificate verification; New prints one warning.
	Insecure bool
	// Warn receives warnings (nil: os.Stderr).
	Warn io.Writer
	// Redactor redacts every recorded exchange (nil: NewRedactor()).
	Redactor *Redactor
	// MaxRetries429 is how many times a 429 answer is retried, honouring
	// Retry-After capped at 10s (default 3; negative: never retry).
	MaxRetries429 int
}

// Client sends requests to a token endpoint and records the exchanges. It is
// safe for concurrent use.
type Client struct {
	cfg     Config
	http    *http.Client
	limiter *rate.Limiter // nil: unlimited
	slots   chan struct{}
	seq     atomic.Uint64
	red     *Redactor
	prefix  string
}

// runIDPattern is what a RunID may contain (it ends up in a header).
var runIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// New validates cfg, applies defaults and returns a Client. The proxy is
// taken from the environment (HTTPS_PROXY, HTTP_PROXY, NO_PROXY).
func New(cfg Config) (*Client, error) {
	if err := validateURL(cfg.TokenURL); err != nil {
		return nil, fmt.Errorf("token URL: %w", err)
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultUserAgent
	}
	if !strings.Contains(cfg.UserAgent, "{marker}") {
		return nil, fmt.Errorf("user agent template %q has no {marker}: the audit trail is matched on it; add {marker}, e.g. %q", cfg.UserAgent, DefaultUserAgent)
	}
	if strings.ContainsAny(cfg.UserAgent, "\r\n\x00") {
		return nil, errors.New("user agent template contains a line break or NUL: remove it")
	}
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	if strings.ContainsAny(cfg.Version, "\r\n\x00") {
		return nil, errors.New("version contains a line break or NUL: remove it")
	}
	if cfg.RunID == "" {
		var b [4]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, fmt.Errorf("generating a run ID: %w", err)
		}
		cfg.RunID = hex.EncodeToString(b[:])
	} else if !runIDPattern.MatchString(cfg.RunID) {
		return nil, fmt.Errorf("run ID %q: use 1 to 64 letters, digits, '.', '_' or '-'", cfg.RunID)
	}
	if cfg.ConnectTimeout < 0 || cfg.RequestTimeout < 0 {
		return nil, errors.New("timeouts must not be negative: use 0 for the default")
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.MaxBodyBytes < 0 {
		return nil, errors.New("max body bytes must not be negative: use 0 for the default (1 MiB)")
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.RequestsPerSecond < 0 {
		return nil, errors.New("requests per second must not be negative: use 0 for unlimited")
	}
	if cfg.Concurrency < 0 {
		return nil, errors.New("concurrency must not be negative: use 0 for the default (16)")
	}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.MaxRetries429 == 0 {
		cfg.MaxRetries429 = DefaultMaxRetries429
	}
	if cfg.MaxRetries429 < 0 {
		cfg.MaxRetries429 = 0
	}
	if cfg.Warn == nil {
		cfg.Warn = os.Stderr
	}
	if cfg.Redactor == nil {
		cfg.Redactor = NewRedactor()
	}
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("reading the CA file: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA file %s holds no PEM certificate: give a file of -----BEGIN CERTIFICATE----- blocks", cfg.CAFile)
		}
		tlsCfg.RootCAs = pool
	}
	if cfg.Insecure {
		tlsCfg.InsecureSkipVerify = true // the operator asked for it; warned below
		fmt.Fprintln(cfg.Warn, "refreshconf: WARNING: TLS certificate verification is disabled (insecure): use it only against a throwaway test target")
	}
	dialer := &net.Dialer{Timeout: cfg.ConnectTimeout, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		TLSClientConfig:       tlsCfg,
		TLSHandshakeTimeout:   cfg.ConnectTimeout,
		ResponseHeaderTimeout: cfg.RequestTimeout,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          2 * cfg.Concurrency,
		MaxIdleConnsPerHost:   cfg.Concurrency,
		IdleConnTimeout:       90 * time.Second,
	}
	c := &Client{
		cfg: cfg,
		http: &http.Client{
			Transport: tr,
			// A token endpoint's redirect is observed, never followed: following
			// it would resend the credentials elsewhere.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		slots:  make(chan struct{}, cfg.Concurrency),
		red:    cfg.Redactor,
		prefix: "rc-" + cfg.RunID + "-",
	}
	if cfg.RequestsPerSecond > 0 {
		c.limiter = rate.NewLimiter(rate.Limit(cfg.RequestsPerSecond), 1)
	}
	return c, nil
}

// validateURL checks that u is an absolute http(s) URL.
func validateURL(u string) error {
	if u == "" {
		return errors.New("empty: set the token endpoint URL, e.g. https://host/services/rest/auth/oauth2/v1/token")
	}
	pu, err := url.Parse(u)
	if err != nil {
		return fmt.Errorf("cannot parse it: %w", err)
	}
	if pu.Scheme != "http" && pu.Scheme != "https" {
		return fmt.Errorf("scheme %q: use http or https", pu.Scheme)
	}
	if pu.Host == "" {
		return errors.New("no host: use an absolute URL such as https://host/path")
	}
	return nil
}

// RunID returns the run identifier embedded in every marker.
func (c *Client) RunID() string { return c.cfg.RunID }

// MarkerPrefix returns the substring shared by every marker of this client
// ("rc-<runid>-"), for querying the audit trail for the whole run.
func (c *Client) MarkerPrefix() string { return c.prefix }

// NewMarker returns a new marker "rc-<runid>-<seq>", unique per client.
func (c *Client) NewMarker() string {
	return fmt.Sprintf("%s%06d", c.prefix, c.seq.Add(1))
}

// Markers returns how many markers the client issued: one per request
// sent (a progress count).
func (c *Client) Markers() uint64 { return c.seq.Load() }

// Redactor returns the client's redactor.
func (c *Client) Redactor() *Redactor { return c.red }

// userAgent renders the User-Agent template for marker.
func (c *Client) userAgent(marker string) string {
	return strings.NewReplacer("{marker}", marker, "{version}", c.cfg.Version).Replace(c.cfg.UserAgent)
}

// acquire takes a concurrency slot, then waits for the rate limiter, so
// the rate is observed at the moment requests are sent.
func (c *Client) acquire(ctx context.Context) error {
	select {
	case c.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	if c.limiter != nil {
		if err := c.limiter.Wait(ctx); err != nil {
			c.release()
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("rate limiter: %w", err)
		}
	}
	return nil
}

// release frees a concurrency slot.
func (c *Client) release() { <-c.slots }
