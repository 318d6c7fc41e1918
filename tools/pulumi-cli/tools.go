//go:build tools

// Package tools pins the Pulumi CLI and the Python language host so `go mod tidy` keeps them.
package tools

import (
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
)
