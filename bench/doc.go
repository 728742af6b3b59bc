// Package bench is hiresync's benchmark run, `make bench`: how fast the
// ingress acknowledges, what verifying and parsing a delivery costs, how
// HubSpot and Slack calls are paced, and how many events an hour the whole
// system carries at what memory, each figure a ratio against a baseline
// measured in the same run. It is all one test, TestBench, which runs only
// with HIRESYNC_BENCH=1, on loopback, and writes BENCHMARKS.md. The rows
// that need Temporal run twice, on a dev server and on a PostgreSQL cluster
// (scripts/cluster.sh), each started for the row.
package bench
