package catalogue

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/refreshconf/refreshconf/client"
	"github.com/refreshconf/refreshconf/fixtures/forge"
	"github.com/refreshconf/refreshconf/fixtures/profile"
)

// Env is what a scenario's Run may use: the profile, the client and the
// token forge's keys and listener.
type Env struct {
	// Profile describes the target (secrets resolved).
	Profile *profile.Profile
	// Client sends every request; it stamps the correlation marker.
	Client *client.Client
	// Attacker holds keys the target has never seen.
	Attacker *forge.AttackerKeys
	// Listener serves an attacker JWKS on loopback and records fetches.
	Listener *forge.Listener
	// ListenerReachable says the target can reach Listener: it runs on
	// this machine (a loopback token_url, the embedded target) or the
	// profile sets attacker_listener. Otherwise a claim that the target
	// never fetched the listener's URL cannot be judged.
	ListenerReachable bool
	// Signer signs with the target's key (nil without profile.SigningKey).
	Signer *forge.Signer
	// JWKS is the target's key set as fetched from keys_url (nil if none).
	JWKS []byte
	// Now is the harness clock.
	Now func() time.Time
}

// T records the steps of one scenario run. It is safe for concurrent use.
type T struct {
	// Env is the run's environment.
	Env *Env
	// Scenario is the ID of the scenario being run (set by the runner).
	Scenario string

	mu        sync.Mutex
	steps     []Step
	findings  []string
	forged    []string
	notJudged string
	leased    map[string]profile.CredentialSet // set name -> this scenario's own instance
	issued    map[string]string                // client ID -> newest refresh token a success answered
}

// NotJudged records that the scenario's own claim could not be judged
// (its requests are still judged), with the reason and what would let it
// be judged.
func (t *T) NotJudged(reason string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.notJudged = reason
}

// NotJudgedReason returns what NotJudged recorded ("" when nothing).
func (t *T) NotJudgedReason() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.notJudged

}

// Lease gives this scenario its own instance cs of set name: Set(name)
// returns it instead of the profile's set.
func (t *T) Lease(name string, cs profile.CredentialSet) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.leased == nil {
		t.leased = map[string]profile.CredentialSet{}
	}
	t.leased[name] = cs
}

// Issued returns the newest refresh token a successful answer to this
// scenario issued to client clientID ("" when none did). A chain of
// scenarios carries it forward on a rotating target.
func (t *T) Issued(clientID string) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.issued[clientID]
}

// NewT returns a recorder for one scenario.
func NewT(env *Env) *T { return &T{Env: env} }

// Step is one request of a scenario with what it must produce.
type Step struct {
	Name     string
	Expect   Expect
	Exchange *client.Exchange
}

// Steps returns the recorded steps in the order they were sent.
func (t *T) Steps() []Step {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]Step(nil), t.steps...)
}

// Findings returns the invariant breaches recorded with Observe.
func (t *T) Findings() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.findings...)
}

// Observe records a breach of an invariant that is not tied to a single
// response (e.g. "the target fetched the jku URL") when ok is false.
func (t *T) Observe(ok bool, format string, args ...any) {
	if ok {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.findings = append(t.findings, fmt.Sprintf(format, args...))
}

// Send sends req, records it as a step named name expecting want, and
// returns the exchange (never nil).
func (t *T) Send(ctx context.Context, name string, req client.Request, want Expect) *client.Exchange {
	if req.Name == "" {
		req.Name = name
	}
	t.mu.Lock()
	req.Forged = append(req.Forged[:len(req.Forged):len(req.Forged)], t.forged...)
	t.mu.Unlock()
	return t.record(name, req, want, t.Env.Client.Do(ctx, req))
}

// record records the step of req and its exchange ex.
func (t *T) record(name string, req client.Request, want Expect, ex *client.Exchange) *client.Exchange {
	t.mu.Lock()
	t.steps = append(t.steps, Step{Name: name, Expect: want, Exchange: ex})
	if ex.Err == nil && ex.Status == 200 {
		if rt := ex.Field("refresh_token"); rt != "" {
			if t.issued == nil {
				t.issued = map[string]string{}
			}
			t.issued[requestClientID(req)] = rt
		}
	}
	t.mu.Unlock()
	return ex
}

// Reexpect replaces the expectation of the step whose exchange is ex: a
// scenario that can only tell afterwards which of its concurrent requests
// had to succeed (ROT-02) judges each response, and its own audit row, by
// what it turned out to be.
func (t *T) Reexpect(ex *client.Exchange, want Expect) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := range t.steps {
		if t.steps[i].Exchange == ex {
			t.steps[i].Expect = want
		}
	}
}

// Forged records tok as a token the harness crafted (forged, tampered,
// re-signed, malformed) and returns it: the transcripts of the scenario's
// requests that carry it show its decoded header and claims. Never pass a
// token the target issued.
func (t *T) Forged(tok string) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.forged = append(t.forged, tok)
	return tok
}

// SendConcurrently sends every request at the same moment (each bounded
// by limits.concurrency like any request: a burst) and records each as a
// step expecting want.
func (t *T) SendConcurrently(ctx context.Context, name string, reqs []client.Request, want Expect) []*client.Exchange {
	out := make([]*client.Exchange, len(reqs))
	var start, done sync.WaitGroup
	start.Add(1)
	for i, r := range reqs {
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			out[i] = t.Send(ctx, fmt.Sprintf("%s #%d", name, i+1), r, want)
		}()
	}
	start.Done()
	done.Wait()
	return out
}

// Race sends two requests at the same moment to race them against each
// other, exempt from limits.concurrency, which would serialise them (see
// client.DoRace), and records each as a step expecting want. A race that
// did not happen (a request answered 429 by a rate-limited target) makes
// the scenario not judged, with the reason: a race is never silently
// serialised.
func (t *T) Race(ctx context.Context, name string, a, b client.Request, want Expect) []*client.Exchange {
	reqs := []client.Request{a, b}
	for i := range reqs {
		if reqs[i].Name == "" {
			reqs[i].Name = fmt.Sprintf("%s #%d", name, i+1)
		}
	}
	out := t.Env.Client.DoRace(ctx, reqs)
	for i, ex := range out {
		t.record(reqs[i].Name, reqs[i], want, ex)
		if ex.Status == 429 {
			t.NotJudged(fmt.Sprintf("the race did not happen: the target answered request %d of 2 with 429 (rate limited), and a retry would not race; lower limits.requests_per_second or raise the target's rate limit", i+1))
		}
	}
	return out
}

// Set returns the named credential set. Run is only called when every
// Need is met, so a missing set here is a catalogue bug: it returns an
// error the runner reports.
func (t *T) Set(name string) (profile.CredentialSet, error) {
	t.mu.Lock()
	cs, ok := t.leased[name]
	t.mu.Unlock()
	if ok {
		return cs, nil
	}
	cs, ok = t.Env.Profile.Credentials[name]
	if !ok {
		return cs, fmt.Errorf("credential set %q missing although the scenario's needs were met (catalogue bug: add Set(%q) to Needs)", name, name)
	}
	return cs, nil
}

// requestClientID is the client a request authenticates as (HTTP Basic,
// or the client_id form field of a public client).
func requestClientID(r client.Request) string {
	if r.Auth.ClientID != "" {
		return r.Auth.ClientID
	}
	for _, f := range r.Form {
		if f.Name == "client_id" {
			return f.Value
		}
	}
	return ""
}
