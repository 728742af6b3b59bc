// Package testsuite holds hiresync's end-to-end harness: a real Temporal dev
// server (the CLI the Makefile installs), the real ingress and worker, and
// the local Slack and HubSpot doubles of the sub-packages.
package testsuite
