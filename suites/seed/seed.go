// Package seed declares the specs of the normative seed table (13 rows,
// one exact audit code each) and of the other ways to reach a seed code.
package seed

import (
	. "github.com/onsi/ginkgo/v2"

	"github.com/refreshconf/refreshconf/suites/catalogue"
	"github.com/refreshconf/refreshconf/suites/framework"
)

var _ = Describe("Seed table", func() {
	DescribeTable("the 13 rows of the Refresh Token Request error table", framework.Check, framework.Entries(catalogue.FamilySeed))
	DescribeTable("other ways to reach a seed code", framework.Check, framework.Entries(catalogue.FamilyVariant))
})
