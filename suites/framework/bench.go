package framework

import (
	"context"
	"fmt"
	"time"

	"github.com/refreshconf/refreshconf/fixtures/profile"
	"github.com/refreshconf/refreshconf/fixtures/provision"
)

// FireStats is what FireCatalogue did.
type FireStats struct {
	// Scenarios is how many scenarios were selected; Skipped how many of
	// them could not run (a missing fixture or an unsupported feature).
	Scenarios, Skipped int
	// Exchanges is the number of requests the scenarios recorded.
	Exchanges int
	// Errors lists the scenarios the harness could not craft (redacted).
	Errors []string
	// Duration is the wall time of firing (crafting included).
	Duration time.Duration
}

// FireCatalogue fires every scenario of the catalogue selected by
// labelFilter ("" for all) against the target p describes, exactly as a run
// does (same client, concurrency and rate limit), but asserts nothing and
// awaits no audit row. Benchmarks use it to time firing and to have the
// catalogue craft its requests. p must be resolved (credential sets filled,
// defaults applied); its one-time tokens are consumed.
func FireCatalogue(ctx context.Context, p *profile.Profile, labelFilter string) (FireStats, error) {
	runID, err := newRunID()
	if err != nil {
		return FireStats{}, err
	}
	env, listener, err := newEnv(ctx, p, runID, nil, nil)
	if err != nil {
		return FireStats{}, err
	}
	defer func() { _ = listener.Close() }()
	selected, err := selectScenarios(labelFilter)
	if err != nil {
		return FireStats{}, err
	}
	started := time.Now()
	results := fire(ctx, env, selected, nil)
	st := FireStats{Scenarios: len(selected), Duration: time.Since(started)}
	for _, s := range selected {
		r := results[s.ID]
		switch {
		case r.Skip != "" || r.Unsupported != "":
			st.Skipped++
		case r.Error != "":
			st.Errors = append(st.Errors, s.ID+": "+r.Error)
		}
		st.Exchanges += len(r.Steps)
	}
	if err := ctx.Err(); err != nil {
		return st, fmt.Errorf("firing the catalogue: %w", err)
	}
	return st, nil
}

// ProvisionEmbedded provisions the reference target at baseURL (admin
// bearer token adminToken) exactly as a run against the embedded target
// does, and returns its profile with defaults applied. auditLatency is the
// target's audit latency (it lengthens the audit timeout as a run does).
func ProvisionEmbedded(ctx context.Context, baseURL, adminToken string, auditLatency time.Duration) (*profile.Profile, error) {
	p, _, err := provisionEmbedded(ctx, baseURL, adminToken)
	if err != nil {
		return nil, err
	}
	embeddedTimeouts(p, auditLatency)
	return p, nil
}

// provisionEmbedded provisions the reference target at baseURL with the
// embedded target's options and returns the profile as provisioning made
// it (no run's timeouts applied: the target cache keeps it so).
func provisionEmbedded(ctx context.Context, baseURL, adminToken string) (*profile.Profile, *provision.Minter, error) {
	p, m, err := provision.ReferenceMinter(ctx, baseURL, adminToken, embeddedProvisionOptions())
	if err != nil {
		return nil, nil, fmt.Errorf("provisioning the embedded reference target: %w", err)
	}
	return p, m, nil
}

// embeddedTimeouts sets the audit timeouts of the embedded target's
// freshly provisioned (or restored) profile p for audit latency
// auditLatency, and applies the defaults.
func embeddedTimeouts(p *profile.Profile, auditLatency time.Duration) {
	if auditLatency > 0 && p.Timeouts.Audit.Std() < 2*auditLatency+5*time.Second {
		p.Timeouts.Audit = profile.D(2*auditLatency + 5*time.Second)
	}
	if p.Timeouts.AuditPoll == 0 {
		// The embedded trail answers a poll in well under a millisecond on
		// loopback: poll it often, so that each Await (which needs the row
		// plus one further poll for duplicates) costs little past the row.
		p.Timeouts.AuditPoll = profile.D(embeddedAuditPoll)
	}
	p.ApplyDefaults()
}

// embeddedAuditPoll is the audit poll interval against the embedded target.
const embeddedAuditPoll = 2 * time.Millisecond
