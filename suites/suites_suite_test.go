package suites_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	_ "github.com/refreshconf/refreshconf/suites/all"
	"github.com/refreshconf/refreshconf/suites/framework"
)

// TestRefreshconf runs the whole catalogue: against the embedded reference
// target by default, or against the target of `-- --profile FILE`.
func TestRefreshconf(t *testing.T) {
	framework.TuneGC()
	RegisterFailHandler(Fail)
	RunSpecs(t, "refreshconf conformance")
}
