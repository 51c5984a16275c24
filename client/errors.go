package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"syscall"
	"time"
)

// Kinds of transport failure. A TransportError wraps exactly one of them,
// so callers can test with errors.Is(ex.Err, client.ErrTimeout).
var (
	// ErrTimeout: a connect, TLS, response-header or whole-request timeout.
	ErrTimeout = errors.New("timed out")
	// ErrRefused: nothing accepted the TCP connection.
	ErrRefused = errors.New("connection refused")
	// ErrTLS: the TLS handshake or certificate verification failed.
	ErrTLS = errors.New("TLS failure")
	// ErrReset: the server closed or reset the connection mid-exchange.
	ErrReset = errors.New("connection reset")
	// ErrDNS: the host name did not resolve.
	ErrDNS = errors.New("host not found")
	// ErrCanceled: the caller's context was canceled.
	ErrCanceled = errors.New("canceled")
	// ErrBadRequest: the request could not be built (bad URL, method, header).
	ErrBadRequest = errors.New("request cannot be built")
	// ErrNetwork: any other network failure.
	ErrNetwork = errors.New("network error")
)

// kindNames maps each kind to its stable name (used by MarshalJSON).
var kindNames = map[error]string{
	ErrTimeout: "timeout", ErrRefused: "refused", ErrTLS: "tls", ErrReset: "reset",
	ErrDNS: "dns", ErrCanceled: "canceled", ErrBadRequest: "bad_request", ErrNetwork: "network",
}

// kindByName is the inverse of kindNames.
func kindByName(name string) error {
	for k, n := range kindNames {
		if n == name {
			return k
		}
	}
	return ErrNetwork
}

// Phases of an exchange, as recorded in TransportError.Phase.
const (
	PhaseBuild       = "building the request"
	PhaseWait        = "waiting for a request slot"
	PhaseDNS         = "resolving the host"
	PhaseConnect     = "connecting"
	PhaseTLS         = "TLS handshake"
	PhaseSend        = "sending the request"
	PhaseHeaders     = "awaiting the response headers"
	PhaseBody        = "reading the response body"
	PhaseRetryWait   = "waiting to retry after 429"
	phaseUnknownName = "exchanging"
)

// TransportError is a failed exchange: no (complete) HTTP response. Its
// message is already redacted and names the method, the redacted URL, the
// phase, what happened and how to fix it. It unwraps to one of the Err*
// kinds (and never to the underlying error, whose text may hold secrets).
type TransportError struct {
	// Method and URL (redacted) of the request.
	Method, URL string
	// Phase is where the exchange stopped (one of the Phase* constants).
	Phase string
	// Kind is one of ErrTimeout, ErrRefused, ErrTLS, ErrReset, ErrDNS,
	// ErrCanceled, ErrBadRequest, ErrNetwork.
	Kind error
	// Detail is the redacted explanation, including the cause's text.
	Detail string
}

// Error implements error.
func (e *TransportError) Error() string {
	return fmt.Sprintf("%s %s: %s: %s", e.Method, e.URL, e.Phase, e.Detail)
}

// Unwrap returns the kind, so errors.Is(err, ErrTimeout) works.
func (e *TransportError) Unwrap() error { return e.Kind }

// classify turns a raw transport error into a redacted TransportError.
// timeout is the limit that applied in phase (for the message).
func classify(ctx context.Context, red *Redactor, method, redURL, phase string, err error, cfg *Config) *TransportError {
	te := &TransportError{Method: method, URL: redURL, Phase: phase}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // the url.Error text repeats the unredacted URL
	}
	cause := red.Redact(err.Error())
	var (
		dnsErr  *net.DNSError
		certErr *tls.CertificateVerificationError
		uaErr   x509.UnknownAuthorityError
		hostErr x509.HostnameError
		invErr  x509.CertificateInvalidError
		recErr  tls.RecordHeaderError
		alert   tls.AlertError
		netErr  net.Error
	)
	limit := func() time.Duration {
		switch phase {
		case PhaseDNS, PhaseConnect, PhaseTLS:
			return cfg.ConnectTimeout
		}
		return cfg.RequestTimeout
	}
	switch {
	case ctx.Err() != nil && errors.Is(ctx.Err(), context.Canceled):
		te.Kind = ErrCanceled
		te.Detail = "canceled by the caller before the exchange finished: " + cause
	case ctx.Err() != nil:
		te.Kind = ErrTimeout
		te.Detail = "the caller's deadline passed before the exchange finished: " + cause
	case errors.Is(err, syscall.ECONNREFUSED):
		te.Kind = ErrRefused
		te.Detail = "connection refused: nothing is listening there; check the token URL and that the target is running: " + cause
	case errors.As(err, &dnsErr):
		te.Kind = ErrDNS
		te.Detail = "the host name does not resolve; check the token URL: " + cause
	case errors.As(err, &certErr), errors.As(err, &uaErr), errors.As(err, &hostErr), errors.As(err, &invErr):
		te.Kind = ErrTLS
		te.Detail = "the server's certificate is not trusted; set the CA file (tls.ca_file) to the CA that signed it, or insecure for a throwaway test target: " + cause
	case errors.As(err, &recErr), errors.As(err, &alert), phase == PhaseTLS && !isTimeout(err):
		te.Kind = ErrTLS
		te.Detail = "the TLS handshake failed; check that the URL scheme (http/https) matches the server: " + cause
	case isTimeout(err) || errors.As(err, &netErr) && netErr.Timeout():
		te.Kind = ErrTimeout
		te.Detail = fmt.Sprintf("timed out after %s; raise the timeout (timeouts.connect / timeouts.request) if the target is slow: %s", limit(), cause)
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.EPIPE):
		te.Kind = ErrReset
		te.Detail = "the server closed or reset the connection: " + cause
	default:
		te.Kind = ErrNetwork
		te.Detail = cause
	}
	return te
}

// isTimeout reports whether err is a deadline or timeout.
func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, errAttemptTimeout) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// errAttemptTimeout is the cause of an attempt's own deadline.
var errAttemptTimeout = errors.New("request timeout")
