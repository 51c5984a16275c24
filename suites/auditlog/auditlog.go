// Package auditlog declares the audit-integrity specs: one row per
// request, Success rows for good refreshes, the columns of Failure rows
// and no secret in any row. (Every scenario of every family also checks
// its own rows for these properties.)
package auditlog

import (
	. "github.com/onsi/ginkgo/v2"

	"github.com/refreshconf/refreshconf/suites/catalogue"
	"github.com/refreshconf/refreshconf/suites/framework"
)

var _ = Describe("Audit integrity", func() {
	DescribeTable("the Login Audit Trail records every request faithfully", framework.Check, framework.Entries(catalogue.FamilyAudit))
})
