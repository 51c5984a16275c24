//go:build !unix

package main

import "os"

// stdoutMuter does nothing where file descriptors cannot be duplicated:
// Ginkgo's output after an interrupt stays visible.
type stdoutMuter struct{}

func newStdoutMuter() *stdoutMuter        { return nil }
func (m *stdoutMuter) mute()              {}
func (m *stdoutMuter) original() *os.File { return os.Stdout }
func (m *stdoutMuter) close()             {}
