// Package tokens declares the token-attack specs: forged, tampered and
// confused JWS refresh tokens (alg none, key confusion, embedded keys,
// header URLs, psychic signatures, claim edits under the old signature).
package tokens

import (
	. "github.com/onsi/ginkgo/v2"

	"github.com/refreshconf/refreshconf/suites/catalogue"
	"github.com/refreshconf/refreshconf/suites/framework"
)

var _ = Describe("Token attacks", func() {
	DescribeTable("a forged or tampered refresh token is refused", framework.Check, framework.Entries(catalogue.FamilyToken))
})
