// Package request declares the request-shape specs (RFC 6749 §2.3, §3.2,
// §5.2, §6): grant types, repeated and missing parameters, methods,
// content types and client authentication.
package request

import (
	. "github.com/onsi/ginkgo/v2"

	"github.com/refreshconf/refreshconf/suites/catalogue"
	"github.com/refreshconf/refreshconf/suites/framework"
)

var _ = Describe("Request shape", func() {
	DescribeTable("the token endpoint judges the request before the token", framework.Check, framework.Entries(catalogue.FamilyRequest))
})
