//go:build tools

// Package tools records that this module builds the etcd server.
package tools

import _ "go.etcd.io/etcd/server/v3"
