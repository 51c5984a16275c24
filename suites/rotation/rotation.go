// Package rotation declares the rotation and scope specs (RFC 9700
// §4.14.2, RFC 6749 §6): one-time tokens, reuse detection, family
// revocation, concurrent refresh, scope narrowing and broadening.
package rotation

import (
	. "github.com/onsi/ginkgo/v2"

	"github.com/refreshconf/refreshconf/suites/catalogue"
	"github.com/refreshconf/refreshconf/suites/framework"
)

var _ = Describe("Rotation and scope", func() {
	DescribeTable("refresh-token rotation and scope rules", framework.Check, framework.Entries(catalogue.FamilyRotation))
})
