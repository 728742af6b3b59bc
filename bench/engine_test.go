package bench

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hiresync/hiresync/testsuite"
)

// engineKind is the Temporal a row runs on, as the results table names it.
type engineKind string

const (
	noEngine  engineKind = ""
	devServer engineKind = "dev server"
	pgCluster engineKind = "PostgreSQL cluster"
)

// The benchmark's cluster: a folder of its own and ports that collide with
// neither `make cluster` (offset 10000) nor `make test-cluster` (20000):
// PostgreSQL on 30432, membership 31933-31939, frontend 32233. The offset
// can be no higher than 25828 (Temporal keeps membership ports in a
// PostgreSQL smallint; scripts/cluster.sh refuses more), and at 25000 every
// port stays below Linux's ephemeral range (32768 up), where the dev
// servers' free ports come from.
const clusterPortOffset = 25000

// clusterMetricsPort is where the cluster's frontend serves its Prometheus
// metrics (scripts/cluster.sh's metrics_port).
const clusterMetricsPort = 7250 + clusterPortOffset

var (
	clusterDir = filepath.Join(os.TempDir(), "hiresync-bench-cluster")
	// clusterLogs keeps the logs of the cluster of a row that failed.
	clusterLogs = clusterDir + "-logs"
)

// engine is a Temporal started for one row: its frontend's address and the
// processes its CPU time is read from.
type engine struct {
	kind engineKind
	// label names the engine's processes in a sentence.
	label string
	addr  string
	names []string
	cpus  []func() time.Duration
	// notes says what the CPU figures cover, for the row's notes.
	notes string
	// metrics is the frontend's Prometheus endpoint (the cluster's; empty
	// for the dev server, whose `action` counter the bench does not read).
	metrics string
}

// proc is a process whose CPU time a run is charged.
type proc struct {
	name string
	pid  int
}

// procs are the engine's processes and then others.
func (e engine) procs(others ...proc) procs {
	ps := procs{names: slices.Clone(e.names), cpus: slices.Clone(e.cpus), engine: len(e.names)}
	for _, o := range others {
		ps.names = append(ps.names, o.name)
		ps.cpus = append(ps.cpus, func() time.Duration { return cpuTime(o.pid) })
	}
	return ps
}

// startEngine starts a Temporal of kind for the test, stopped at its end:
// a dev server in memory, or a fresh cluster on PostgreSQL.
func startEngine(t *testing.T, rep *report, kind engineKind) engine {
	t.Helper()
	switch kind {
	case devServer:
		dev := testsuite.StartTemporal(t, "")
		_, port, _ := net.SplitHostPort(dev.Addr)
		pid := childWith("start-dev", port)
		if pid == 0 {
			t.Log("the dev server's process was not found: its CPU time reads as 0")
		}
		rep.used(kind, "")
		return engine{kind: kind, label: "the dev server", addr: dev.Addr, names: []string{"dev server"},
			cpus: []func() time.Duration{func() time.Duration { return cpuTime(pid) }}}
	case pgCluster:
		c := startCluster(t)
		pids := c.Pids()
		for i, pid := range pids {
			if pid == 0 {
				t.Fatalf("the cluster's %s service is not running", testsuite.ClusterServices[i])
			}
		}
		pg := c.PostgreSQLPid()
		if pg == 0 {
			t.Fatal("the cluster's PostgreSQL is not running")
		}
		rep.used(kind, clusterVersions(t, c))
		return engine{kind: kind, label: "the cluster's four Temporal services and PostgreSQL", addr: c.Addr,
			names: []string{"Temporal services", "PostgreSQL"},
			cpus: []func() time.Duration{
				func() time.Duration {
					var sum time.Duration
					for _, pid := range pids {
						sum += cpuTime(pid)
					}
					return sum
				},
				func() time.Duration { return treeCPU(pg) },
			},
			notes:   "Temporal services: frontend, history, matching and worker summed; PostgreSQL: its server and backends",
			metrics: fmt.Sprintf("http://127.0.0.1:%d/metrics", clusterMetricsPort)}
	}
	t.Fatalf("no engine %q", kind)
	return engine{}
}

// startCluster starts a fresh cluster in clusterDir: whatever an earlier
// run left there (a run ended by -timeout stops nothing) is stopped and
// removed first, and all of it is removed after the row.
func startCluster(t *testing.T) *testsuite.Cluster {
	t.Helper()
	old, err := testsuite.NewCluster(clusterDir, clusterPortOffset)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(clusterDir); err == nil {
		t.Logf("stopping and removing what an earlier run left in %s", clusterDir)
		if err := destroy(old); err != nil {
			t.Fatal(err)
		}
	}
	// Registered before StartCluster's stop, so it runs after it.
	t.Cleanup(func() {
		if t.Failed() {
			keepLogs(t)
		}
		if err := destroy(old); err != nil {
			t.Error(err)
		}
	})
	began := time.Now()
	c := testsuite.StartCluster(t, clusterDir, clusterPortOffset)
	t.Logf("cluster on %s started in %s", c.Addr, time.Since(began).Round(time.Second))
	return c
}

// keepLogs copies the logs of a failed row's cluster to clusterLogs (the
// folder itself is removed) and shows the end of each.
func keepLogs(t *testing.T) {
	_ = os.RemoveAll(clusterLogs)
	if err := os.MkdirAll(clusterLogs, 0o755); err != nil {
		t.Log(err)
		return
	}
	for _, name := range append(slices.Clone(testsuite.ClusterServices), "postgresql/postgresql", "setup", "schema") {
		b, err := os.ReadFile(filepath.Join(clusterDir, name+".log"))
		if err != nil || len(b) == 0 {
			continue
		}
		t.Logf("cluster %s.log, the end:\n%s", name, tail(string(b), 1500))
		if err := os.WriteFile(filepath.Join(clusterLogs, filepath.Base(name)+".log"), b, 0o644); err != nil {
			t.Log(err)
		}
	}
	t.Logf("the cluster's logs are kept in %s", clusterLogs)
}

// destroy stops the cluster, makes sure nothing of it still runs, and
// removes its folder and data.
func destroy(c *testsuite.Cluster) error {
	if err := c.Stop(); err != nil {
		return err
	}
	for i, pid := range c.Pids() {
		if pid != 0 {
			return fmt.Errorf("the cluster's %s service (pid %d) still runs: %s not removed", testsuite.ClusterServices[i], pid, c.Dir)
		}
	}
	if pid := c.PostgreSQLPid(); pid != 0 {
		return fmt.Errorf("the cluster's PostgreSQL (pid %d) still runs: %s not removed", pid, c.Dir)
	}
	return c.Destroy()
}

// clusterVersions names the Temporal server and PostgreSQL the cluster
// runs, for the report.
func clusterVersions(t *testing.T, c *testsuite.Cluster) string {
	server := "Temporal server"
	bin := os.Getenv("TEMPORAL_SERVER") // as scripts/cluster.sh finds it
	if bin == "" {
		bin = filepath.Join(moduleRoot(t), "bin", "temporal-server")
	}
	if out, err := exec.Command(bin, "--version").Output(); err == nil {
		if f := strings.Fields(string(out)); len(f) > 0 {
			server += " " + f[len(f)-1]
		}
	}
	pg := "PostgreSQL"
	if b, err := os.ReadFile(filepath.Join(c.Dir, "postgresql", "data", "PG_VERSION")); err == nil {
		pg += " " + strings.TrimSpace(string(b))
	}
	return server + " on " + pg
}
