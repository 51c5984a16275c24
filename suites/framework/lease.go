package framework

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/refreshconf/refreshconf/fixtures/profile"
	"github.com/refreshconf/refreshconf/suites/catalogue"
)

// Minter issues a further instance of a credential set on demand (the
// reference provisioner's provision.Minter).
type Minter interface {
	CanMint(set string) bool
	Mint(ctx context.Context, set string) (profile.CredentialSet, error)
}

// lease is one scenario's own credentials for one set on a rotating
// target.
type lease struct {
	set string
	// how says where the credentials come from (Outcome.Credentials).
	how string
	// cs is the instance (for a profile instance: known at planning).
	cs profile.CredentialSet
	// mint, when set, is minted before the scenario runs.
	mint bool
}

// chain serialises the scenarios that spend one set's token without an
// instance of their own: each gets the newest token the previous one was
// issued. It starts from the set's own token once every scenario that
// only reads it (waitFor) has run.
type chain struct {
	set       string
	scenarios []*catalogue.Scenario
	waitFor   sync.WaitGroup
}

// leasePlan is how every selected scenario gets its credentials on a
// target that rotates refresh tokens (see planLeases).
type leasePlan struct {
	leases    map[string][]*lease // scenario ID -> its own instances
	chained   map[string]*chain   // scenario ID -> the chain it runs in
	readers   map[string][]string // set -> scenarios whose chain waits for them
	notJudged map[string]string   // scenario ID -> why it cannot get credentials
	shared    map[string]string   // scenario ID -> Outcome.Credentials of the others
	chains    []*chain
}

// instancesWanted returns, for the scenarios selected against p, how many
// further instances of each rotating set the run would use (the
// provisioning request; fixtures/provision).
func instancesWanted(p *profile.Profile, selected []*catalogue.Scenario) map[string]int {
	out := map[string]int{}
	for set, spenders := range spendersBySet(p, selected) {
		n := len(spenders)
		if readersOf(set, selected) == 0 {
			n-- // the set's own token serves one of them
		}
		if n > 0 {
			out[set] = n
		}
	}
	return out
}

// readersOf counts the scenarios of list that need set without spending
// its token.
func readersOf(set string, list []*catalogue.Scenario) int {
	n := 0
	for _, s := range list {
		if needsSet(s, set) && s.SpendOf(set) == catalogue.SpendNone {
			n++
		}
	}
	return n
}

// spendersBySet lists, per credential set of p whose refresh tokens p
// declares rotating, the selected scenarios that spend its token.
func spendersBySet(p *profile.Profile, selected []*catalogue.Scenario) map[string][]*catalogue.Scenario {
	out := map[string][]*catalogue.Scenario{}
	for _, s := range selected {
		for _, n := range s.Needs {
			if n.Kind != catalogue.NeedSet || n.Spend == catalogue.SpendNone {
				continue
			}
			if !p.Rotates(p.SetIsPublic(n.Name)) {
				continue
			}
			out[n.Name] = append(out[n.Name], s)
		}
	}
	return out
}

// planLeases decides, for the scenarios that will run (runnable), how each
// gets its credentials on a target whose refresh tokens rotate (profile
// rotation): a scenario that spends a rotating set's token takes one of
// the profile's instances of the set ("primary#1", ...), else one minted
// by minter (when it can), else it joins the set's chain. A set no other
// scenario reads gives its own token to the chain's first scenario; one
// that is read waits until its readers have run. A chain holds any number
// of scenarios that rotate the token and at most one, last, that revokes
// the family; any further one is not judged.
func planLeases(p *profile.Profile, runnable []*catalogue.Scenario, minter Minter) *leasePlan {
	lp := &leasePlan{leases: map[string][]*lease{}, chained: map[string]*chain{}, readers: map[string][]string{},
		notJudged: map[string]string{}, shared: map[string]string{}}
	spenders := spendersBySet(p, runnable)
	sets := make([]string, 0, len(spenders))
	for set := range spenders {
		sets = append(sets, set)
	}
	sort.Strings(sets)
	for _, set := range sets {
		instances := p.Instances(set)
		// Revokers first: they need an instance most.
		list := append([]*catalogue.Scenario(nil), spenders[set]...)
		sort.SliceStable(list, func(i, j int) bool {
			return list[i].SpendOf(set) == catalogue.SpendRevokes && list[j].SpendOf(set) != catalogue.SpendRevokes
		})
		ch := &chain{set: set}
		var revoker *catalogue.Scenario
		if readersOf(set, runnable) == 0 && len(list) == 1 {
			// The one scenario using the set has its token to itself.
			lp.leases[list[0].ID] = append(lp.leases[list[0].ID], &lease{set: set, cs: p.Credentials[set],
				how: fmt.Sprintf("the profile's own token of %s (no other scenario uses it)", set)})
			continue
		}
		if readersOf(set, runnable) == 0 {
			// Nobody else reads the set's own token: it serves one
			// spender (the last, a revoker only if all are).
			last := list[len(list)-1]
			list = list[:len(list)-1]
			lp.chained[last.ID] = ch
			if last.SpendOf(set) == catalogue.SpendRevokes {
				revoker = last
			} else {
				ch.scenarios = append(ch.scenarios, last)
			}
		}
		for _, s := range list {
			switch {
			case len(instances) > 0:
				name := instances[0]
				instances = instances[1:]
				lp.leases[s.ID] = append(lp.leases[s.ID], &lease{set: set, cs: p.Credentials[name],
					how: fmt.Sprintf("own instance %s of %s (from the profile or its provisioner)", name, set)})
			case minter != nil && minter.CanMint(set):
				lp.leases[s.ID] = append(lp.leases[s.ID], &lease{set: set, mint: true,
					how: fmt.Sprintf("own instance of %s, minted through the reference target's OAuth flow during the run", set)})
			case lp.chained[s.ID] != nil:
				lp.notJudged[s.ID] = fmt.Sprintf("not judged: it spends the refresh tokens of two rotating sets (%s and %s) and has no instance of %s: give the profile instances of both (see fixtures/provision)", lp.chained[s.ID].set, set, set)
			case s.SpendOf(set) == catalogue.SpendRevokes && revoker != nil:
				lp.notJudged[s.ID] = fmt.Sprintf("not judged: it ends the token family of credential set %s, whose refresh tokens rotate (profile rotation.refresh_tokens %s), and no instance of %s is left for it (%s ends the chain already): list instances %s in the profile or let the provisioner answer the provisioning request (fixtures/provision)",
					set, p.RotationMode(), set, revoker.ID, profile.InstanceName(set, 1))
			case s.SpendOf(set) == catalogue.SpendRevokes:
				revoker = s
				lp.chained[s.ID] = ch
			default:
				ch.scenarios = append(ch.scenarios, s)
				lp.chained[s.ID] = ch
			}
		}
		if revoker != nil {
			ch.scenarios = append(ch.scenarios, revoker)
		}
		if len(ch.scenarios) == 0 {
			continue
		}
		lp.chains = append(lp.chains, ch)
		for _, s := range runnable {
			if lp.chained[s.ID] != ch && needsSet(s, set) && !lp.hasLease(s.ID, set) && lp.notJudged[s.ID] == "" {
				lp.readers[set] = append(lp.readers[set], s.ID)
				ch.waitFor.Add(1)
			}
		}
	}
	for _, s := range runnable {
		var names []string
		for _, n := range s.Needs {
			if n.Kind == catalogue.NeedSet {
				names = append(names, n.Name)
			}
		}
		if len(names) > 0 {
			lp.shared[s.ID] = "the profile's sets " + strings.Join(names, ", ") + " (shared)"
		}
	}
	return lp
}

// hasLease reports whether scenario id has its own instance of set.
func (lp *leasePlan) hasLease(id, set string) bool {
	for _, l := range lp.leases[id] {
		if l.set == set {
			return true
		}
	}
	return false
}

// needsSet reports whether s needs credential set set.
func needsSet(s *catalogue.Scenario, set string) bool {
	for _, n := range s.Needs {
		if n.Kind == catalogue.NeedSet && n.Name == set {
			return true
		}
	}
	return false
}

// credentials says how scenario id got its credentials.
func (lp *leasePlan) credentials(id string) string {
	var parts []string
	for _, l := range lp.leases[id] {
		parts = append(parts, l.how)
	}
	if ch := lp.chained[id]; ch != nil {
		pos := 0
		for i, s := range ch.scenarios {
			if s.ID == id {
				pos = i
			}
		}
		from := fmt.Sprintf("the profile's own token of %s", ch.set)
		if pos > 0 {
			from = fmt.Sprintf("the newest token issued to %s in %s", ch.set, ch.scenarios[pos-1].ID)
		}
		parts = append(parts, fmt.Sprintf("chained: %d of %d scenarios spending %s's rotating token in turn; it got %s", pos+1, len(ch.scenarios), ch.set, from))
	}
	if len(parts) == 0 {
		return lp.shared[id]
	}
	return strings.Join(parts, "; ")
}

// readerDone marks reader id done for the chains waiting for it.
func (lp *leasePlan) readerDone(id string) {
	for set, ids := range lp.readers {
		for _, r := range ids {
			if r == id {
				for _, ch := range lp.chains {
					if ch.set == set {
						ch.waitFor.Done()
					}
				}
			}
		}
	}
}

// InstancesWanted is how many further instances of each rotating set of p
// a run of scenarios asks its provisioner for (the provisioning request).
func InstancesWanted(p *profile.Profile, scenarios []*catalogue.Scenario) map[string]int {
	return instancesWanted(p, scenarios)
}
