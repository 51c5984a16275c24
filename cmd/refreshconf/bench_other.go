//go:build !unix

package main

import "os"

// peakRSS is not reported on this platform.
func peakRSS(*os.ProcessState) int64 { return 0 }

// selfPeakRSS is not reported on this platform.
func selfPeakRSS() int64 { return 0 }
