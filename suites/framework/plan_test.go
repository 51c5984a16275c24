package framework

import (
	"context"
	"strings"
	"testing"

	"github.com/refreshconf/refreshconf/fixtures/profile"
)

// A scenario that lacks a fixture and needs a feature declared off gives
// both reasons, separated (profile check printed "...provision itnot
// supported: ...").
func TestPlanJoinsSkipAndUnsupportedReasons(t *testing.T) {
	off := false
	p := &profile.Profile{Name: "t", Target: profile.Target{TokenURL: "http://127.0.0.1:9/token"},
		Features: profile.Features{ExtendedCodes: &off}}
	items, err := Plan(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if it.Scenario.ID != "EXT-01" {
			continue
		}
		want := `add credentials.primary to the profile or provision it; not supported: the profile declares features.extended_codes: false`
		if it.Run || !strings.Contains(it.Reason, want) {
			t.Fatalf("EXT-01 plan: run %v, reason %q, want it to contain %q", it.Run, it.Reason, want)
		}
		return
	}
	t.Fatal("EXT-01 is not in the plan")
}
