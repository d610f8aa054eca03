//go:build tools

// Package tools pins the Node.js language host main package so `go mod tidy` keeps its deps.
package tools

import _ "github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3"
