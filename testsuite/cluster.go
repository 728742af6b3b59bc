package testsuite

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Cluster is the Temporal cluster on PostgreSQL that `make test-cluster`
// starts with scripts/cluster.sh (frontend, history, matching and worker as
// processes of their own). The tests find it, and kill and restart its
// services, through that script, with the CLUSTER_DIR and
// CLUSTER_PORT_OFFSET the Makefile passes on (ClusterFromEnv); the
// benchmarks start one of their own with StartCluster.
type Cluster struct {
	Addr string
	// Dir is the cluster's folder: data, logs and pid files.
	Dir    string
	script string
	// env is what run adds to the process's environment: CLUSTER_DIR and
	// CLUSTER_PORT_OFFSET for a cluster of StartCluster, nothing for the
	// one of ClusterFromEnv (the Makefile's, already in the environment).
	env []string
}

// ClusterServices are the cluster's Temporal services, each a process.
var ClusterServices = []string{"history", "matching", "frontend", "worker"}

// ClusterFromEnv is the cluster to test against when HIRESYNC_TEST_CLUSTER
// is set, nil otherwise (the tests then run on dev servers of their own).
func ClusterFromEnv() (*Cluster, error) {
	if os.Getenv("HIRESYNC_TEST_CLUSTER") == "" {
		return nil, nil
	}
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	dir := os.Getenv("CLUSTER_DIR")
	if dir == "" {
		dir = filepath.Join(root, ".data", "cluster") // the script's default
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return nil, err
	}
	c := &Cluster{Dir: dir, script: filepath.Join(root, "scripts", "cluster.sh")}
	addr, err := c.run(context.Background(), "address")
	if err != nil {
		return nil, err
	}
	c.Addr = addr
	return c, nil
}

// Service is one of the cluster's Temporal services: "frontend",
// "history", "matching" or "worker".
func (c *Cluster) Service(name string) *ClusterService {
	return &ClusterService{cluster: c, name: name}
}

// ClusterService stops and starts one service of the cluster, as the dev
// server is stopped and started in the tests that run on one.
type ClusterService struct {
	cluster *Cluster
	name    string
}

// Kill ends the service with SIGKILL and waits until it is gone.
func (s *ClusterService) Kill() error {
	_, err := s.cluster.run(context.Background(), "service-kill", s.name)
	return err
}

// Stop ends the service with SIGTERM and waits until it is gone.
func (s *ClusterService) Stop() error {
	_, err := s.cluster.run(context.Background(), "service-stop", s.name)
	return err
}

// Start starts the service again on its ports and data.
func (s *ClusterService) Start(ctx context.Context) error {
	_, err := s.cluster.run(ctx, "service-start", s.name)
	return err
}

// NewCluster is the cluster scripts/cluster.sh keeps in dir, its ports
// moved by portOffset (frontend on 127.0.0.1:7233+portOffset), whether
// running or not: Start starts it, Stop stops it.
func NewCluster(dir string, portOffset int) (*Cluster, error) {
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return nil, err
	}
	c := &Cluster{
		Dir:    dir,
		script: filepath.Join(root, "scripts", "cluster.sh"),
		env:    []string{"CLUSTER_DIR=" + dir, "CLUSTER_PORT_OFFSET=" + strconv.Itoa(portOffset)},
	}
	if c.Addr, err = c.run(context.Background(), "address"); err != nil {
		return nil, err
	}
	return c, nil
}

// StartCluster starts a cluster in dir with its ports moved by portOffset
// (as `make test-cluster` does with .data/test-cluster and 20000; the
// script takes at most 25828, membership ports being kept in a PostgreSQL
// smallint) for one test, and stops it when the test ends. A cluster
// already running there is found running, and stopped at the end all the
// same. It returns once the frontend takes workflows with hiresync's search
// attributes (the script waits for that). It takes PostgreSQL, temporal-server and temporal-sql-tool as
// `make cluster-tools` installs them (scripts/cluster.sh says where).
func StartCluster(t testing.TB, dir string, portOffset int) *Cluster {
	t.Helper()
	c, err := NewCluster(dir, portOffset)
	if err != nil {
		t.Fatal(err)
	}
	// Registered first: a start that fails half-way leaves processes behind.
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Errorf("stop the cluster in %s: %v", c.Dir, err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return c
}

// Start starts PostgreSQL, the schema and the four services, or finds them
// running, and waits until the frontend answers and the namespace holds
// hiresync's search attributes.
func (c *Cluster) Start(ctx context.Context) error {
	_, err := c.run(ctx, "start")
	return err
}

// Stop stops the services and PostgreSQL, waiting for each; what is not
// running is left alone.
func (c *Cluster) Stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	_, err := c.run(ctx, "stop")
	return err
}

// Destroy stops the cluster and removes its folder and data.
func (c *Cluster) Destroy() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	_, err := c.run(ctx, "destroy")
	return err
}

// Pids are the process ids of the four Temporal services, in the order of
// ClusterServices, 0 for one that is not running.
func (c *Cluster) Pids() []int {
	out := make([]int, len(ClusterServices))
	for i, name := range ClusterServices {
		out[i] = c.Service(name).Pid()
	}
	return out
}

// PostgreSQLPid is the process id of the cluster's PostgreSQL server (the
// postmaster; its backends are its children), 0 when it is not running.
func (c *Cluster) PostgreSQLPid() int {
	// The data folder: postgresql/data (possibly a link to a folder under
	// /tmp), or postgresql itself as the script once kept it.
	for _, data := range []string{filepath.Join(c.Dir, "postgresql", "data"), filepath.Join(c.Dir, "postgresql")} {
		b, err := os.ReadFile(filepath.Join(data, "postmaster.pid"))
		if err != nil {
			continue
		}
		line, _, _ := strings.Cut(string(b), "\n")
		pid, err := strconv.Atoi(strings.TrimSpace(line))
		if err != nil {
			continue
		}
		// Only ours: the file may be stale and the pid reused. PostgreSQL
		// runs in its data folder.
		dir, err := filepath.EvalSymlinks(data)
		if err != nil {
			continue
		}
		if cwd, err := os.Readlink(filepath.Join("/proc", strconv.Itoa(pid), "cwd")); err == nil && cwd == dir && alive(pid, "postgres") {
			return pid
		}
	}
	return 0
}

// Pid is the service's process id, from its pid file, 0 when it is not
// running.
func (s *ClusterService) Pid() int {
	b, err := os.ReadFile(filepath.Join(s.cluster.Dir, s.name+".pid"))
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	// As the script checks: the pid file may be stale and the pid reused.
	if err != nil || !alive(pid, "--service "+s.name) {
		return 0
	}
	return pid
}

// alive says whether process pid runs and its command line holds word.
func alive(pid int, word string) bool {
	cmd, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	return err == nil && strings.Contains(string(bytes.ReplaceAll(cmd, []byte{0}, []byte{' '})), word)
}

func (c *Cluster) run(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, c.script, args...)
	if len(c.env) > 0 {
		// The last of a repeated variable wins.
		cmd.Env = append(os.Environ(), c.env...)
	}
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s %s: %w: %s", filepath.Base(c.script), strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(out.String()), nil
}
