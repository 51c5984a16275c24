package main

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/refreshconf/refreshconf/fixtures/profile"
	"github.com/refreshconf/refreshconf/fixtures/target"
	"github.com/refreshconf/refreshconf/suites/framework"
)

// throughputResult is the reference target's refresh validation rate for
// one kind of request at one concurrency.
type throughputResult struct {
	Kind        string  `json:"kind"`
	Concurrency int     `json:"concurrency"`
	Requests    int     `json:"requests"`
	PerSecond   float64 `json:"requests_per_second"`
	P50Ms       float64 `json:"p50_ms"`
	P99Ms       float64 `json:"p99_ms"`
}

// refreshShape is one request the throughput loop repeats.
type refreshShape struct {
	kind   string
	url    string
	form   string
	auth   string
	status int // the answer it must get
}

// measureThroughput starts an in-process reference target, provisions it,
// and sends good refreshes (the primary set's confidential refresh) and
// crafted ones (the same token with one bit of its signature flipped) for
// perLevel at each concurrency.
func measureThroughput(ctx context.Context, levels []int, perLevel time.Duration) ([]throughputResult, error) {
	running, err := target.Start(ctx, target.Config{}, "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("starting the reference target for throughput: %w", err)
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = running.Shutdown(sctx)
	}()
	p, err := framework.ProvisionEmbedded(ctx, running.URL, running.Server.AdminToken(), 0)
	if err != nil {
		return nil, err
	}
	cs, ok := p.Credentials[profile.SetPrimary]
	if !ok {
		return nil, errors.New("the provisioned reference target has no primary credential set")
	}
	rt := cs.RefreshToken.Value()
	bad, err := flipSignatureBit(rt)
	if err != nil {
		return nil, err
	}
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(cs.ClientID)+":"+url.QueryEscape(cs.ClientSecret.Value())))
	shapes := []refreshShape{
		{kind: "good", url: p.Target.TokenURL, form: "grant_type=refresh_token&refresh_token=" + url.QueryEscape(rt), auth: auth, status: http.StatusOK},
		{kind: "crafted", url: p.Target.TokenURL, form: "grant_type=refresh_token&refresh_token=" + url.QueryEscape(bad), auth: auth, status: http.StatusBadRequest},
	}
	maxc := slices.Max(levels)
	tr := &http.Transport{MaxIdleConns: 2 * maxc, MaxIdleConnsPerHost: maxc, DisableCompression: true}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 15 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var out []throughputResult
	for _, sh := range shapes {
		// One checked request first: the loop measures what it claims to.
		if _, err := sendRefresh(ctx, hc, sh); err != nil {
			return nil, err
		}
		for _, c := range levels {
			r, err := throughputLevel(ctx, hc, sh, c, perLevel)
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// throughputLevel runs c workers sending sh for d.
func throughputLevel(ctx context.Context, hc *http.Client, sh refreshShape, c int, d time.Duration) (throughputResult, error) {
	lat := make([][]time.Duration, c)
	errs := make([]error, c)
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for w := range c {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				l, err := sendRefresh(ctx, hc, sh)
				if err != nil {
					errs[w] = err
					return
				}
				lat[w] = append(lat[w], l)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := errors.Join(errs...); err != nil {
		return throughputResult{}, err
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	if len(all) == 0 {
		return throughputResult{}, fmt.Errorf("throughput %s at concurrency %d: no request completed in %s", sh.kind, c, d)
	}
	return throughputResult{
		Kind: sh.kind, Concurrency: c, Requests: len(all),
		PerSecond: float64(len(all)) / elapsed.Seconds(),
		P50Ms:     ms(percentile(all, 0.50)), P99Ms: ms(percentile(all, 0.99)),
	}, nil
}

// sendRefresh sends one refresh and checks its status.
func sendRefresh(ctx context.Context, hc *http.Client, sh refreshShape) (time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sh.url, strings.NewReader(sh.form))
	if err != nil {
		return 0, fmt.Errorf("building the %s refresh: %w", sh.kind, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", sh.auth)
	req.Header.Set("User-Agent", "refreshconf-bench")
	start := time.Now()
	resp, err := hc.Do(req)
	if err != nil {
		return 0, fmt.Errorf("sending the %s refresh: %w", sh.kind, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	l := time.Since(start)
	if resp.StatusCode != sh.status {
		return 0, fmt.Errorf("the %s refresh was answered HTTP %d, want %d: the throughput figures would not measure what they claim", sh.kind, resp.StatusCode, sh.status)
	}
	return l, nil
}

// flipSignatureBit returns the JWT tok with the first bit of its signature
// flipped.
func flipSignatureBit(tok string) (string, error) {
	i := strings.LastIndexByte(tok, '.')
	if i < 0 {
		return "", errors.New("the primary refresh token is not a JWS (no '.'): cannot craft a bad signature")
	}
	sig, err := base64.RawURLEncoding.DecodeString(tok[i+1:])
	if err != nil || len(sig) == 0 {
		return "", errors.New("the primary refresh token's signature is not base64url: cannot craft a bad signature")
	}
	sig[0] ^= 0x80
	return tok[:i+1] + base64.RawURLEncoding.EncodeToString(sig), nil
}

// percentile returns the q-quantile of sorted (nearest rank).
func percentile(sorted []time.Duration, q float64) time.Duration {
	i := int(q*float64(len(sorted)) + 0.5)
	return sorted[min(max(i-1, 0), len(sorted)-1)]
}

// ms converts d to milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
