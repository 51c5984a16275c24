package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"
)

// TestGinkgoJSONMatchesEncodingJSON: the spliced encoding is byte for byte
// what json.Marshal writes, for no, one, an odd and an even number of
// specs, with values that encoding/json escapes (HTML characters, U+2028).
func TestGinkgoJSONMatchesEncodingJSON(t *testing.T) {
	at := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	spec := func(i int) types.SpecReport {
		return types.SpecReport{
			LeafNodeText: fmt.Sprintf("SEED-%02d <a&b>", i), LeafNodeLabels: []string{"seed", "code:X"},
			State: types.SpecStatePassed, StartTime: at, EndTime: at.Add(time.Millisecond), RunTime: time.Millisecond,
			ReportEntries: types.ReportEntries{
				{Name: "exchange: refresh", Time: at, Value: types.WrapEntryValue("> POST /token\n< HTTP/1.1 400\n< {\"error\":\"invalid_grant\"} \u2028 <jwt#abc>")},
				{Name: "outcome", Time: at, Value: types.WrapEntryValue(map[string]any{"id": i, "codes": []string{"A&B"}})},
			},
		}
	}
	for _, n := range []int{0, 1, 2, 5} {
		r := types.Report{SuitePath: "/x", SuiteDescription: `suite with "SpecReports":null in its text`, SuiteSucceeded: true, StartTime: at, EndTime: at}
		for i := range n {
			r.SpecReports = append(r.SpecReports, spec(i))
		}
		want, err := json.Marshal([]types.Report{r})
		if err != nil {
			t.Fatal(err)
		}
		got, err := ginkgoJSON(r)
		if err != nil {
			t.Fatalf("%d specs: %v", n, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%d specs: spliced encoding differs from json.Marshal\n got %s\nwant %s", n, got, want)
		}
	}
}
