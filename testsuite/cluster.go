package testsuite

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Cluster is the Temporal cluster on PostgreSQL that `make test-cluster`
// starts with scripts/cluster.sh (frontend, history, matching and worker as
// processes of their own). The tests find it, and kill and restart its
// services, through that script, with the CLUSTER_DIR and
// CLUSTER_PORT_OFFSET the Makefile passes on.
type Cluster struct {
	Addr   string
	script string
}

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
	c := &Cluster{script: filepath.Join(root, "scripts", "cluster.sh")}
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

func (c *Cluster) run(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, c.script, args...)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s %s: %w: %s", filepath.Base(c.script), strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(out.String()), nil
}
