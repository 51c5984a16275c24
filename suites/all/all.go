// Package all imports every area of the catalogue, so that the Ginkgo
// suite in suites/ and the `refreshconf run` binary execute the same tree.
package all

import (
	// Each area registers its specs when imported.
	_ "github.com/refreshconf/refreshconf/suites/auditlog"
	_ "github.com/refreshconf/refreshconf/suites/extended"
	_ "github.com/refreshconf/refreshconf/suites/request"
	_ "github.com/refreshconf/refreshconf/suites/rotation"
	_ "github.com/refreshconf/refreshconf/suites/seed"
	_ "github.com/refreshconf/refreshconf/suites/tokens"
)
