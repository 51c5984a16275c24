// Package procgroup runs a command of the user's (a `$(command)` secret,
// an exec provisioner, an exec audit source) in its own process group, so
// that every process it started dies with it: when its context ends, and
// when it has finished but left children behind.
package procgroup
