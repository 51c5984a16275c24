package catalogue

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/refreshconf/refreshconf/client"
	"github.com/refreshconf/refreshconf/fixtures/codes"
)

func TestTableIsValid(t *testing.T) {
	if err := Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestIDsAndLabels(t *testing.T) {
	idPattern := regexp.MustCompile(`^(SEED|VAR|EXT|TOK|REQ|ROT|AUD)-\d{2}$`)
	prefix := map[Family]string{FamilySeed: "SEED", FamilyVariant: "VAR", FamilyExtended: "EXT", FamilyToken: "TOK", FamilyRequest: "REQ", FamilyRotation: "ROT", FamilyAudit: "AUD"}
	for _, s := range All() {
		if !idPattern.MatchString(s.ID) {
			t.Errorf("%s: ID does not match %s", s.ID, idPattern)
		}
		if !strings.HasPrefix(s.ID, prefix[s.Family]+"-") {
			t.Errorf("%s: ID prefix does not match family %s", s.ID, s.Family)
		}
		labels := strings.Join(s.Labels(), " ")
		for _, want := range []string{"id:" + s.ID, "family:" + string(s.Family), "level:" + string(s.Level), "code:"} {
			if !strings.Contains(labels, want) {
				t.Errorf("%s: labels %q lack %q", s.ID, labels, want)
			}
		}
		if strings.ContainsAny(labels, "&|!,()/") {
			t.Errorf("%s: labels %q contain a character Ginkgo's label filter reserves", s.ID, labels)
		}
		if slices.Contains(s.Labels(), "seed") != (s.SeedRow > 0) {
			t.Errorf("%s: the seed label must be on the 13 seed rows only: %q", s.ID, labels)
		}
	}
}

func TestCatalogueSize(t *testing.T) {
	if n := len(All()); n < 60 {
		t.Errorf("the catalogue has %d scenarios, want at least 60", n)
	}
	for _, f := range Families() {
		if len(ByFamily(f)) == 0 {
			t.Errorf("family %s is empty", f)
		}
	}
}

func TestLookups(t *testing.T) {
	s, ok := ByID("seed-03")
	if !ok || s.Code != codes.InvalidSignature {
		t.Fatalf("ByID(seed-03) = %v, %v", s, ok)
	}
	if _, ok := ByID("NOPE-99"); ok {
		t.Error("ByID found a scenario that does not exist")
	}
	for _, s := range ByCode(codes.IntegrationBlocked) {
		if s.Code != codes.IntegrationBlocked {
			t.Errorf("ByCode returned %s with code %s", s.ID, s.Code)
		}
	}
	if len(ByCode(codes.IntegrationBlocked)) == 0 {
		t.Error("ByCode(IntegrationBlocked) is empty")
	}
}

func TestExpectString(t *testing.T) {
	if got := Fail(codes.InvalidScope, "invalid_grant", "invalid_scope").String(); got != "InvalidScope (error invalid_grant or invalid_scope)" {
		t.Errorf("Fail(...).String() = %q", got)
	}
	if !Succeed().IsSuccess() || Fail(codes.InvalidRequest).IsSuccess() {
		t.Error("IsSuccess is wrong")
	}
	any := Expect{AnyOf: []Expect{Succeed(), Fail(codes.TokenReused, "invalid_grant")}}
	if any.IsSuccess() || !strings.Contains(any.String(), "one of") {
		t.Errorf("AnyOf expectation: %q", any.String())
	}
}

func TestFormHelpers(t *testing.T) {
	r := client.Request{Form: []client.Field{{Name: "grant_type", Value: "refresh_token"}, {Name: "refresh_token", Value: "x"}}}
	setField(&r, "grant_type", "password")
	setField(&r, "scope", "restlets")
	if fieldValue(&r, "grant_type") != "password" || fieldValue(&r, "scope") != "restlets" {
		t.Errorf("setField: %+v", r.Form)
	}
	dropField(&r, "refresh_token")
	if fieldValue(&r, "refresh_token") != "" || len(r.Form) != 2 {
		t.Errorf("dropField: %+v", r.Form)
	}
	if got := string(formJSON(&r)); got != `{"grant_type":"password","scope":"restlets"}` {
		t.Errorf("formJSON = %s", got)
	}
}
