package testsuite

import (
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hiresync/hiresync/config"
)

// Binary is the path of the hiresync binary `make build` writes:
// $HIRESYNC_BIN, else bin/hiresync at the module root.
func Binary() (string, error) {
	if p := os.Getenv("HIRESYNC_BIN"); p != "" {
		return p, nil
	}
	cli, err := TemporalCLI()
	if err != nil {
		return "", err
	}
	p := filepath.Join(filepath.Dir(cli), "hiresync")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%s is missing: run `make build` (or `make test`)", p)
	}
	return p, nil
}

// Process is a hiresync subcommand running as its own process, so a test
// can kill it as a crash would.
type Process struct {
	cmd  *exec.Cmd
	done chan error
}

// StartProcess runs `hiresync args...` with env added to the test's
// environment, its output going to out.
func StartProcess(t testing.TB, env map[string]string, out *SyncBuffer, args ...string) *Process {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &Process{cmd: cmd, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() { _ = p.Kill() })
	return p
}

// Pid is the process's id, for reading its /proc entries (memory use).
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Kill ends the process at once (SIGKILL), as a crash would.
func (p *Process) Kill() error {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	return p.wait(10 * time.Second)
}

// Stop asks the process to stop (SIGTERM) and waits for it.
func (p *Process) Stop() error {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	return p.wait(30 * time.Second)
}

func (p *Process) wait(d time.Duration) error {
	select {
	case err := <-p.done:
		p.done <- err // later calls see it too
		if err != nil && strings.Contains(err.Error(), "signal: killed") {
			return nil
		}
		return err
	case <-time.After(d):
		return fmt.Errorf("process %d still running after %s", p.cmd.Process.Pid, d)
	}
}

// WorkerEnv is the environment a worker process of the stack needs.
func (s *Stack) WorkerEnv(t testing.TB) map[string]string {
	t.Helper()
	routes := filepath.Join(t.TempDir(), "routes.yaml")
	if err := os.WriteFile(routes, routesYAML(s.Config.Routes), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"TEMPORAL_ADDRESS":                      s.Config.Temporal.HostPort,
		"TEMPORAL_NAMESPACE":                    s.Config.Temporal.Namespace,
		"HIRESYNC_TASK_QUEUE":                   s.TaskQueue,
		"HIRESYNC_ROUTES":                       routes,
		"SLACK_BOT_TOKEN":                       s.Config.SlackToken,
		"SLACK_API_URL":                         s.Config.SlackAPIURL,
		"HIRESYNC_SLACK_PER_CHANNEL_PER_SECOND": fmt.Sprint(s.Config.SlackPerSecond),
		"HUBSPOT_ACCESS_TOKEN":                  s.Config.HubSpotToken,
		"HUBSPOT_API_URL":                       s.Config.HubSpotAPIURL,
		"HIRESYNC_HUBSPOT_REQUESTS_PER_WINDOW":  fmt.Sprint(s.Config.HubSpotRate),
		"HIRESYNC_HUBSPOT_WINDOW":               s.Config.HubSpotWindow.String(),
		"HIRESYNC_METRICS_ADDR":                 "127.0.0.1:0",
		"HIRESYNC_LOG_FORMAT":                   "json",
	}
	if s.Config.HandoffURL != "" {
		env["HIRESYNC_HANDOFF_URL"], env["HIRESYNC_HANDOFF_SECRET"] = s.Config.HandoffURL, s.Config.HandoffSecret
	}
	return env
}

// routesYAML writes r in the routes file's format.
func routesYAML(r *config.Routes) []byte {
	var b strings.Builder
	line := func(indent, key, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%s%s: %s\n", indent, key, v)
		}
	}
	nudges := func(indent string, n map[string]time.Duration) {
		if len(n) == 0 {
			return
		}
		fmt.Fprintf(&b, "%snudges:\n", indent)
		for _, status := range slices.Sorted(maps.Keys(n)) {
			fmt.Fprintf(&b, "%s  %s: %s\n", indent, status, n[status])
		}
	}
	line("", "default_channel", r.DefaultChannel)
	line("", "default_recruiter", r.DefaultRecruiter)
	line("", "provisioning_channel", r.ProvisioningChannel)
	nudges("", r.Nudges)
	b.WriteString("jobs:\n")
	for _, job := range slices.Sorted(maps.Keys(r.Jobs)) {
		j := r.Jobs[job]
		fmt.Fprintf(&b, "  %s:\n", job)
		line("    ", "channel", j.Channel)
		line("    ", "recruiter", j.Recruiter)
		nudges("    ", j.Nudges)
	}
	return []byte(b.String())
}
