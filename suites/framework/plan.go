package framework

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/refreshconf/refreshconf/client"
	"github.com/refreshconf/refreshconf/client/audit"
	"github.com/refreshconf/refreshconf/fixtures/codes"
	"github.com/refreshconf/refreshconf/fixtures/forge"
	"github.com/refreshconf/refreshconf/fixtures/profile"
	"github.com/refreshconf/refreshconf/suites/catalogue"
)

// PlanItem says whether one scenario will run against a profile.
type PlanItem struct {
	Scenario *catalogue.Scenario
	// Run is true when every need is met.
	Run bool
	// Reason names the missing fixture or unsupported feature.
	Reason string
}

// Plan evaluates every scenario's needs against p without sending any
// token request (it fetches keys_url when set).
func Plan(ctx context.Context, p *profile.Profile) ([]PlanItem, error) {
	env := &catalogue.Env{Profile: p}
	if p.SigningKey != nil && !p.SigningKey.PrivateKeyPEM.IsZero() {
		s, err := forge.NewSigner(p.SigningKey)
		if err != nil {
			return nil, fmt.Errorf("profile signing_key: %w", err)
		}
		env.Signer = s
	}
	if p.Target.KeysURL != "" {
		jwks, err := fetchJWKS(ctx, p)
		if err != nil {
			return nil, err
		}
		env.JWKS = jwks
	}
	var out []PlanItem
	for _, s := range catalogue.All() {
		skip, unsupported := missingNeeds(env, s)
		item := PlanItem{Scenario: s, Run: skip == "" && unsupported == ""}
		item.Reason = joinReasons(skip, unsupported)
		out = append(out, item)
	}
	return out, nil
}

// joinReasons joins the non-empty reasons with "; ".
func joinReasons(reasons ...string) string {
	var out []string
	for _, r := range reasons {
		if r != "" {
			out = append(out, r)
		}
	}
	return strings.Join(out, "; ")
}

// ProbePrimary sends one well-formed refresh with the primary credentials
// and returns the exchange (redacted in every printable form).
func ProbePrimary(ctx context.Context, p *profile.Profile) (*client.Exchange, error) {
	cs, ok := p.Credentials[profile.SetPrimary]
	if !ok {
		return nil, fmt.Errorf("the profile has no credentials.primary: every run needs a working confidential integration")
	}
	runID, err := newRunID()
	if err != nil {
		return nil, err
	}
	c, err := newClient(p, runID)
	if err != nil {
		return nil, err
	}
	return c.Do(ctx, catalogue.RefreshRequest(cs, cs.RefreshToken.Value())), nil
}

// ClassifyProbe is one request `profile check` sends to show how the
// profile's audit.classify rules read the target's answer.
type ClassifyProbe struct {
	// Name says what the request does wrong (or "good refresh").
	Name string
	// Expected is the audit code the catalogue expects ("Success" for "").
	Expected string
	// HTTPStatus and Error are what the target answered.
	HTTPStatus int
	Error      string
	// Got is the classified code ("Success", a code, Unclassified), or ""
	// when no audit row arrived; Reason is the target's own reason
	// (redacted) and Problem why the probe could not be judged.
	Got, Reason, Problem string
}

// ProbeClassification sends, with the primary credentials only, one good
// refresh and one request per cheaply reachable failure (a bit-flipped
// signature, a wrong client secret, an unsupported grant type, a missing
// refresh_token), then reads each one's audit row from the profile's audit
// source (waiting at most timeouts.audit) and reports the code the
// classify rules made of it next to the code the catalogue expects. The
// profile's source must not be none.
func ProbeClassification(ctx context.Context, p *profile.Profile) ([]ClassifyProbe, error) {
	cs, ok := p.Credentials[profile.SetPrimary]
	if !ok {
		return nil, fmt.Errorf("the profile has no credentials.primary: the classification probe needs a working confidential integration")
	}
	src, err := audit.FromProfile(p)
	if err != nil {
		return nil, fmt.Errorf("profile audit section: %w", err)
	}
	if src == nil {
		return nil, fmt.Errorf("the profile has no audit source: nothing to classify")
	}
	runID, err := newRunID()
	if err != nil {
		return nil, err
	}
	c, err := newClient(p, runID)
	if err != nil {
		return nil, err
	}
	red := c.Redactor()
	good := catalogue.RefreshRequest(cs, cs.RefreshToken.Value())
	type probe struct {
		name string
		want codes.Code
		req  *client.Request
		note string
	}
	probes := []probe{{name: "good refresh", want: codes.Success, req: &good}}
	if tok, err := forge.BitFlippedSignature(cs.RefreshToken.Value()); err == nil {
		r := catalogue.RefreshRequest(cs, tok)
		probes = append(probes, probe{name: "bit-flipped signature", want: codes.InvalidSignature, req: &r})
	} else {
		probes = append(probes, probe{name: "bit-flipped signature", want: codes.InvalidSignature, note: "not sent: the primary refresh token is not a JWS"})
	}
	wrong := catalogue.RefreshRequest(cs, cs.RefreshToken.Value())
	wrong.Auth.ClientSecret = catalogue.CanaryWrongSecret
	grant := catalogue.RefreshRequest(cs, cs.RefreshToken.Value())
	grant.Form[0].Value = "password"
	noToken := catalogue.RefreshRequest(cs, "")
	noToken.Form = noToken.Form[:1]
	probes = append(probes,
		probe{name: "wrong client secret", want: codes.ClientAuthenticationFailed, req: &wrong},
		probe{name: "grant_type password", want: codes.InvalidGrantType, req: &grant},
		probe{name: "no refresh_token", want: codes.InvalidRequest, req: &noToken})

	resp, _ := src.(*audit.ResponseSource)
	var poller *audit.Poller
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if resp == nil {
		poller = audit.NewPoller(src, audit.PollerOptions{
			Contains: c.MarkerPrefix(), Interval: p.Timeouts.AuditPoll.Std(), ClockSkew: p.Timeouts.ClockSkew.Std(), Start: time.Now(),
		})
	}
	out := make([]ClassifyProbe, len(probes))
	exs := make([]*client.Exchange, len(probes))
	for i, pr := range probes {
		out[i] = ClassifyProbe{Name: pr.name, Expected: codeName(string(pr.want)), Problem: pr.note}
		if pr.req == nil {
			continue
		}
		ex := c.Do(ctx, *pr.req)
		exs[i] = ex
		out[i].HTTPStatus, out[i].Error = ex.Status, ex.Field("error")
		switch {
		case ex.Err != nil:
			out[i].Problem = "request failed: " + ex.Err.Error()
		case resp != nil:
			e := resp.Classify(ex.Marker, ex.Status, ex.Header, ex.Body())
			out[i].Got, out[i].Reason = codeName(e.Detail), red.Redact(e.Reason)
		default:
			poller.Expect(ex.Marker)
		}
	}
	if poller == nil {
		return out, nil
	}
	poller.Start(pctx)
	for i, ex := range exs {
		if ex == nil || ex.Err != nil {
			continue
		}
		rows, err := poller.Await(ctx, ex.Marker, p.Timeouts.Audit.Std())
		switch {
		case err != nil:
			out[i].Problem = red.Redact(err.Error())
		case len(rows) != 1:
			out[i].Problem = fmt.Sprintf("%d audit rows, want 1", len(rows))
		default:
			out[i].Got, out[i].Reason = codeName(rows[0].Detail), red.Redact(rows[0].Reason)
		}
	}
	return out, nil
}

// codeName shows an empty Detail as "Success".
func codeName(detail string) string {
	if detail == "" {
		return profile.CodeSuccess
	}
	return detail
}
