package framework

import (
	"context"
	"fmt"
	"strings"

	"github.com/refreshconf/refreshconf/client"
	"github.com/refreshconf/refreshconf/fixtures/profile"
	"github.com/refreshconf/refreshconf/suites/catalogue"
)

// RotationProbe is what `profile check` saw of the target's refresh-token
// rotation, next to what the profile declares (profile rotation).
type RotationProbe struct {
	// Lines describe what was seen and how (one finding each).
	Lines []string
	// Disagreements are where the target contradicts the declaration.
	Disagreements []string
}

// ProbeRotation detects the target's rotation of confidential clients'
// refresh tokens without spending a credential the run needs.
//
// first is the good refresh ProbePrimary sent with the primary set: when
// it issued a new refresh token, that token is carried forward into p's
// primary set, so that any later probe presents a live token (the old one
// may be used up). Whether the old token stays usable and whether reusing
// it revokes the family can only be learned by presenting it again, which
// ends the family on a rotating target: that is done only on an instance
// of the set ("primary#1", ...), never on the set itself. The same test
// runs on an instance of public_client when the profile has one.
func ProbeRotation(ctx context.Context, p *profile.Profile, first *client.Exchange) (RotationProbe, error) {
	var rp RotationProbe
	cs, ok := p.Credentials[profile.SetPrimary]
	if !ok || first == nil || first.Err != nil || first.Status != 200 {
		rp.Lines = append(rp.Lines, "rotation: not probed (the primary refresh did not succeed)")
		return rp, nil
	}
	old := cs.RefreshToken.Value()
	issued := first.Field("refresh_token")
	if issued != "" && issued != old {
		cs.RefreshToken = profile.NewSecret(issued)
		p.Credentials[profile.SetPrimary] = cs
		rp.Lines = append(rp.Lines, "rotation: the primary refresh issued a new refresh token; it is carried forward for the later probes")
		if !p.Rotates(false) && len(p.Instances(profile.SetPrimary)) == 0 {
			rp.Disagreements = append(rp.Disagreements, fmt.Sprintf("the profile declares that confidential clients' refresh tokens do not rotate (rotation.refresh_tokens %s), but the primary refresh issued a new refresh token: if the used one is now refused, declare all (with an instance %s, profile check tells)", p.RotationMode(), profile.InstanceName(profile.SetPrimary, 1)))
		}
		if p.Provision == nil && p.Rotates(false) {
			rp.Lines = append(rp.Lines, "rotation: note: this profile's credentials.primary.refresh_token has now been rotated out; a static profile on a rotating target needs a fresh token (or a provisioner) for the run")
		}
	} else {
		rp.Lines = append(rp.Lines, "rotation: the primary refresh issued no new refresh token: confidential clients' tokens do not rotate")
		if p.Rotates(false) {
			rp.Disagreements = append(rp.Disagreements, fmt.Sprintf("the profile declares rotation.refresh_tokens %s, but a confidential client's refresh issued no new refresh token", p.RotationMode()))
		}
	}
	runID, err := newRunID()
	if err != nil {
		return rp, err
	}
	c, err := newClient(p, runID)
	if err != nil {
		return rp, err
	}
	for _, set := range []string{profile.SetPrimary, profile.SetPublicClient} {
		inst := p.Instances(set)
		public := p.SetIsPublic(set)
		kind := map[bool]string{false: "confidential", true: "public"}[public]
		if len(inst) == 0 {
			if _, has := p.Credentials[set]; has {
				rp.Lines = append(rp.Lines, fmt.Sprintf("rotation of %s clients' tokens (reuse, family): not tested, as it would spend credentials.%s; give the profile an instance %s (or a provisioner that answers the instance request) to test it", kind, set, profile.InstanceName(set, 1)))
			}
			continue
		}
		name := inst[len(inst)-1]
		rotates, revokes, note := reuseTest(ctx, c, p.Credentials[name])
		line := fmt.Sprintf("rotation of %s clients' tokens (tested on %s, an instance the run can spare): %s", kind, name, note)
		rp.Lines = append(rp.Lines, line)
		if rotates == nil {
			continue
		}
		if *rotates != p.Rotates(public) {
			rp.Disagreements = append(rp.Disagreements, fmt.Sprintf("the profile declares rotation.refresh_tokens %s, but %s clients' refresh tokens %s", p.RotationMode(), kind, map[bool]string{true: "rotate (a used one is refused)", false: "do not rotate (a used one still works)"}[*rotates]))
		}
		if *rotates && revokes != nil && *revokes != p.ReuseRevokesFamily() {
			rp.Disagreements = append(rp.Disagreements, fmt.Sprintf("the profile declares rotation.reuse_revokes_family %v, but reusing a rotated-out %s token %s the family", p.ReuseRevokesFamily(), kind, map[bool]string{true: "revoked", false: "did not revoke"}[*revokes]))
		}
	}
	return rp, nil
}

// reuseTest refreshes cs (an instance the run can spare), presents the
// used token again and then the new one: does the target rotate, and does
// reuse revoke the family? nil where the answers did not tell.
func reuseTest(ctx context.Context, c *client.Client, cs profile.CredentialSet) (rotates, revokes *bool, note string) {
	yes, no := true, false
	rt1 := cs.RefreshToken.Value()
	ex := c.Do(ctx, catalogue.RefreshRequest(cs, rt1))
	if ex.Err != nil || ex.Status != 200 {
		return nil, nil, fmt.Sprintf("not judged: its refresh failed (%s)", summary(ex))
	}
	rt2 := ex.Field("refresh_token")
	if rt2 == "" || rt2 == rt1 {
		return &no, nil, "the refresh issued no new refresh token: no rotation"
	}
	c.Redactor().Add("probe.refresh_token", rt2)
	reuse := c.Do(ctx, catalogue.RefreshRequest(cs, rt1))
	if reuse.Err != nil {
		return nil, nil, "not judged: presenting the used token again failed: " + reuse.Err.Error()
	}
	if reuse.Status == 200 {
		return &no, nil, "a new refresh token is issued, but the used one still works: no rotation"
	}
	next := c.Do(ctx, catalogue.RefreshRequest(cs, rt2))
	if next.Err != nil {
		return &yes, nil, "rotates (the used token is refused: " + summary(reuse) + "); the family was not tested: " + next.Err.Error()
	}
	if next.Status == 200 {
		return &yes, &no, "rotates (the used token is refused: " + summary(reuse) + "); reuse leaves the family valid (the new token still works)"
	}
	return &yes, &yes, "rotates (the used token is refused: " + summary(reuse) + "); reuse revokes the family (the new token is refused too: " + summary(next) + ")"
}

// summary is an exchange's status and error, for a probe line.
func summary(ex *client.Exchange) string {
	if ex.Err != nil {
		return ex.Err.Error()
	}
	parts := []string{fmt.Sprintf("HTTP %d", ex.Status)}
	if e := ex.Field("error"); e != "" {
		parts = append(parts, "error "+e)
	}
	return strings.Join(parts, ", ")
}
