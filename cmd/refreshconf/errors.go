package main

// usageError marks a bad command line (unknown or invalid flag, missing
// argument): the root command maps it to exit status 2.
type usageError struct{ error }

// Unwrap returns the underlying error.
func (e usageError) Unwrap() error { return e.error }
