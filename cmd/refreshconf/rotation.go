package main

import (
	"context"
	"fmt"
	"io"

	"github.com/refreshconf/refreshconf/client"
	"github.com/refreshconf/refreshconf/fixtures/profile"
	"github.com/refreshconf/refreshconf/suites/framework"
)

// checkRotation prints the rotation `profile check` saw after the good
// primary refresh first (see framework.ProbeRotation) and returns how many
// findings contradict the profile's rotation declaration.
func checkRotation(ctx context.Context, w io.Writer, p *profile.Profile, first *client.Exchange) int {
	rp, err := framework.ProbeRotation(ctx, p, first)
	if err != nil {
		fmt.Fprintf(w, "rotation: not probed: %v\n", err)
		return 0
	}
	for _, l := range rp.Lines {
		fmt.Fprintln(w, l)
	}
	for _, d := range rp.Disagreements {
		fmt.Fprintf(w, "rotation: DECLARATION DISAGREES: %s: fix the profile's rotation section\n", d)
	}
	fmt.Fprintf(w, "rotation: declared refresh_tokens %s, reuse_revokes_family %v\n", p.RotationMode(), p.ReuseRevokesFamily())
	return len(rp.Disagreements)
}
