package report

import (
	"slices"
	"strings"

	"github.com/onsi/ginkgo/v2/types"
)

// scenarioState is the State of one scenario spec: the suite's own when it
// set one, otherwise derived from the Ginkgo state and the outcome entry
// (hasOutcome false: the scenario never reached Check).
func scenarioState(sr types.SpecReport, out Outcome, hasOutcome bool) State {
	if out.State != "" {
		return out.State
	}
	switch {
	case sr.State == types.SpecStatePassed && out.NotJudged:
		return StateNotJudged
	case sr.State == types.SpecStatePassed && len(out.Warnings) > 0:
		return StateWarning
	case sr.State == types.SpecStatePassed:
		return StatePassed
	case sr.State == types.SpecStateSkipped && out.Unsupported != "":
		return StateUnsupported
	case sr.State == types.SpecStateSkipped && !hasOutcome && sr.Failure.Message == "":
		return StateNotSelected // left out by a label filter or focus
	case sr.State == types.SpecStateSkipped || sr.State == types.SpecStatePending:
		return StateSkipped
	case sr.State.Is(types.SpecStateInterrupted | types.SpecStateAborted):
		return StateInterrupted
	case out.HarnessError != "" || sr.State == types.SpecStatePanicked:
		return StateHarnessError
	}
	return StateFailed
}

// stateRank orders states as States lists them (failures first); unknown
// states go last.
func stateRank(s string) int {
	for i, info := range States() {
		if string(info.State) == s {
			return i
		}
	}
	return len(States())
}

// sortScenarios orders scenarios by family (report order), then ID.
func sortScenarios(l []ScenarioResult) {
	slices.SortStableFunc(l, func(a, b ScenarioResult) int {
		if fa, fb := slices.Index(families, a.Family), slices.Index(families, b.Family); fa != fb {
			if fa < 0 || fb < 0 {
				return fb - fa // unknown families last
			}
			return fa - fb
		}
		return strings.Compare(a.ID, b.ID)
	})
}
