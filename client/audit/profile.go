package audit

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/refreshconf/refreshconf/fixtures/profile"
)

// Kinds returns the valid audit source kinds.
func Kinds() []string {
	return []string{profile.AuditHTTP, profile.AuditJSONL, profile.AuditCSV, profile.AuditExec, profile.AuditResponse, profile.AuditNone}
}

// defaultConnectTimeout bounds TCP+TLS connect of the http source.
const defaultConnectTimeout = 5 * time.Second

// FromProfile builds the audit source p configures. Relative paths (audit
// path, a command program containing a path separator, TLS CA file) are
// resolved against p.Dir. Kind "none" (or no audit source) returns (nil,
// nil). The jsonl and exec sources read their log lines with audit.fields,
// and the response, jsonl and exec sources classify with audit.classify. The http and exec
// sources use timeouts.request as their per-query timeout; the http source
// honours tls and limits.max_body_bytes. Dates in a CSV export are read in
// the local time zone. For kind "response" the returned Source is a
// *ResponseSource, whose Observe the harness must call after each exchange.
func FromProfile(p *profile.Profile) (Source, error) {
	if p == nil {
		return nil, errors.New("audit: no profile")
	}
	a := p.Audit
	kind := strings.ToLower(strings.TrimSpace(a.Source))
	reqTimeout := p.Timeouts.Request.Std()
	cl, err := NewClassifier(a.Classify)
	if err != nil {
		return nil, err
	}
	switch kind {
	case profile.AuditNone, "":
		return nil, nil
	case profile.AuditHTTP:
		headers := make(map[string]string, len(a.Headers))
		for k, v := range a.Headers {
			headers[k] = v.Value()
		}
		timeout := reqTimeout
		if timeout <= 0 {
			timeout = DefaultHTTPTimeout
		}
		client, err := httpClient(p, timeout)
		if err != nil {
			return nil, err
		}
		s, err := NewHTTP(HTTPConfig{URL: a.URL, Headers: headers, Timeout: timeout, Client: client, MaxBodyBytes: p.Limits.MaxBodyBytes})
		if err != nil {
			return nil, err
		}
		return s, nil
	case profile.AuditJSONL:
		if strings.TrimSpace(a.Path) == "" {
			return nil, errors.New("audit jsonl source: audit.path is empty; set it to the target's audit log file")
		}
		s, err := NewJSONLClassified(resolve(p.Dir, a.Path), a.Fields, cl)
		if err != nil {
			return nil, err
		}
		return s, nil
	case profile.AuditCSV:
		if strings.TrimSpace(a.Path) == "" {
			return nil, errors.New("audit csv source: audit.path is empty; set it to the Login Audit Trail CSV export")
		}
		s, err := NewCSV(resolve(p.Dir, a.Path), time.Local)
		if err != nil {
			return nil, err
		}
		return s, nil
	case profile.AuditExec:
		if len(a.Command) == 0 {
			return nil, errors.New("audit exec source: audit.command is empty; set it to a program printing JSON lines, e.g. [\"./audit-rows.sh\"]")
		}
		argv := append([]string(nil), a.Command...)
		if strings.ContainsRune(argv[0], '/') || strings.ContainsRune(argv[0], filepath.Separator) {
			argv[0] = resolve(p.Dir, argv[0])
		}
		s, err := NewExecClassified(argv, reqTimeout, a.Fields, cl)
		if err != nil {
			return nil, err
		}
		return s, nil
	case profile.AuditResponse:
		s, err := NewResponseClassified(a.Header, a.Field, cl)
		if err != nil {
			return nil, err
		}
		return s, nil
	default:
		return nil, fmt.Errorf("audit: unknown audit.source %q; valid kinds: %s", a.Source, strings.Join(Kinds(), ", "))
	}
}

// resolve joins a relative path to dir.
func resolve(dir, path string) string {
	if filepath.IsAbs(path) || dir == "" {
		return path
	}
	return filepath.Join(dir, path)
}

// httpClient builds the http source's client from the profile's TLS and
// connect-timeout settings.
func httpClient(p *profile.Profile, timeout time.Duration) (*http.Client, error) {
	connect := p.Timeouts.Connect.Std()
	if connect <= 0 {
		connect = defaultConnectTimeout
	}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: connect}).DialContext,
		TLSHandshakeTimeout:   connect,
		ResponseHeaderTimeout: timeout,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       30 * time.Second,
	}
	if p.TLS.CAFile != "" || p.TLS.Insecure {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12}
		if p.TLS.CAFile != "" {
			path := resolve(p.Dir, p.TLS.CAFile)
			pem, err := os.ReadFile(path)
			if err != nil {
				return nil, fmt.Errorf("audit http source: reading tls.ca_file: %w", err)
			}
			pool, err := x509.SystemCertPool()
			if err != nil || pool == nil {
				pool = x509.NewCertPool()
			}
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("audit http source: tls.ca_file %s holds no PEM certificate", path)
			}
			cfg.RootCAs = pool
		}
		cfg.InsecureSkipVerify = p.TLS.Insecure //nolint:gosec // operator's explicit choice
		tr.TLSClientConfig = cfg
	}
	return &http.Client{Transport: tr, Timeout: timeout}, nil
}
