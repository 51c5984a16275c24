// Package suites is the root of the refreshconf conformance suites. Its
// single Ginkgo suite (suites_suite_test.go) runs every area package:
//
//	go tool ginkgo ./suites                       # embedded reference target
//	go tool ginkgo ./suites -- --profile p.yaml   # a real target
//	go tool ginkgo --label-filter='family:seed' ./suites
//
// The scenarios themselves live in suites/catalogue.
package suites
