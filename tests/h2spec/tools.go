//go:build tools

// Package h2spec pins the HTTP/2 conformance tester the suite runs against
// prewarmd's h2c listener (see run_h2spec.sh).
package h2spec

import _ "github.com/summerwind/h2spec/cmd/h2spec"
