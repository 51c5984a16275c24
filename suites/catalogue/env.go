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
	ex := t.Env.Client.Do(ctx, req)
	t.mu.Lock()
	t.steps = append(t.steps, Step{Name: name, Expect: want, Exchange: ex})
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

// SendConcurrently sends every request at the same moment and records each
// as a step expecting want.
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

// Set returns the named credential set. Run is only called when every
// Need is met, so a missing set here is a catalogue bug: it returns an
// error the runner reports.
func (t *T) Set(name string) (profile.CredentialSet, error) {
	cs, ok := t.Env.Profile.Credentials[name]
	if !ok {
		return cs, fmt.Errorf("credential set %q missing although the scenario's needs were met (catalogue bug: add Set(%q) to Needs)", name, name)
	}
	return cs, nil
}
