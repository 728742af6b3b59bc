package testsuite

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	sdktest "go.temporal.io/sdk/testsuite"

	"github.com/hiresync/hiresync"
)

// TemporalCLI is the path of the Temporal CLI the Makefile installs:
// $HIRESYNC_TEMPORAL_CLI, else bin/temporal at the module root. The tests
// install nothing themselves.
func TemporalCLI() (string, error) {
	if p := os.Getenv("HIRESYNC_TEMPORAL_CLI"); p != "" {
		return p, nil
	}
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	p := filepath.Join(root, "bin", "temporal")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%s is missing: run `make tools` (or `make test`)", p)
	}
	return p, nil
}

// moduleRoot is the folder of go.mod above the working directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}

// DevServerArgs are the dev server's settings that production's
// deploy/temporal/dynamicconfig.yaml sets too (scripts/run-local.sh passes
// the same): eager activity execution.
var DevServerArgs = []string{"--dynamic-config-value", "system.enableActivityEagerExecution=true"}

// DevServer is a Temporal dev server on loopback with hiresync's search
// attributes. With a database file it can be stopped and started again on
// the same address and history.
type DevServer struct {
	Addr   string
	DBFile string
	server *sdktest.DevServer
}

// StartDevServer starts a dev server on a free loopback port; dbFile may be
// empty for an in-memory one.
func StartDevServer(ctx context.Context, dbFile string) (*DevServer, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	d := &DevServer{Addr: fmt.Sprintf("127.0.0.1:%d", port), DBFile: dbFile}
	return d, d.Start(ctx)
}

// Start (re)starts the server on its address.
func (d *DevServer) Start(ctx context.Context) error {
	cli, err := TemporalCLI()
	if err != nil {
		return err
	}
	s, err := sdktest.StartDevServer(ctx, sdktest.DevServerOptions{
		ExistingPath:  cli,
		ClientOptions: &client.Options{HostPort: d.Addr, Namespace: "default"},
		DBFilename:    d.DBFile,
		LogLevel:      "error",
		SearchAttributes: temporal.NewSearchAttributes(
			hiresync.CandidateIDAttr.ValueSet(""),
			hiresync.JobIDsAttr.ValueSet(nil),
			hiresync.HiringStageAttr.ValueSet(""),
			hiresync.StalledSinceAttr.ValueSet(time.Time{}),
		),
		ExtraArgs: DevServerArgs,
		Stdout:    os.Stderr,
		Stderr:    os.Stderr,
	})
	if err != nil {
		return fmt.Errorf("start temporal dev server: %w", err)
	}
	d.server = s
	return nil
}

// Stop stops the server process.
func (d *DevServer) Stop() error {
	if d.server == nil {
		return nil
	}
	d.server.Client().Close()
	err := d.server.Stop()
	d.server = nil
	return err
}

// Client is a client of the running server.
func (d *DevServer) Client() client.Client { return d.server.Client() }

// StartTemporal starts a dev server for one test, stopped at its end.
func StartTemporal(t testing.TB, dbFile string) *DevServer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	d, err := StartDevServer(ctx, dbFile)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Stop() })
	return d
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
