// Package bench is hiresync's benchmark run, `make bench`: what an event
// costs in Temporal actions (as Temporal Cloud bills them) and in CPU, how
// soon Slack shows a new application, how fast the ingress acknowledges,
// what verifying and parsing a delivery costs, how HubSpot and Slack calls
// are paced, and how many events an hour the whole system carries at what
// memory, each figure beside a baseline measured in the same run. It is all
// one test, TestBench, which runs only with HIRESYNC_BENCH=1, on loopback,
// and writes BENCHMARKS.md. The rows that need Temporal run on a PostgreSQL
// cluster (scripts/cluster.sh), where their targets are judged, and rows 1
// and 5 again on a dev server for reading, each on an engine started for it.
package bench
