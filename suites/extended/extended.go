// Package extended declares the specs of the codes NetSuite's current
// documentation adds to the seed table: MissingKeyId, MissingKey and
// TokenNotAcceptable.
package extended

import (
	. "github.com/onsi/ginkgo/v2"

	"github.com/refreshconf/refreshconf/suites/catalogue"
	"github.com/refreshconf/refreshconf/suites/framework"
)

var _ = Describe("Current-documentation codes", func() {
	DescribeTable("key-id and time-validity codes", framework.Check, framework.Entries(catalogue.FamilyExtended))
})
