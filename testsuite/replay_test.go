package testsuite_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/codec"
	"github.com/hiresync/hiresync/replay"
	"github.com/hiresync/hiresync/testsuite"
)

// TestReplayCommand runs `hiresync replay` as the runbook does, on a dev
// server of its own (so `ExecutionStatus="Running"` lists only its
// candidates): the candidates the current code ran replay cleanly by
// query, by workflow id and from a `temporal workflow show -o json`
// export; a binary built with a deliberately non-deterministic workflow
// (-tags replaybreak) exits 1 and names each candidate and the event where
// its history and the code part.
func TestReplayCommand(t *testing.T) {
	d := testsuite.StartTemporal(t, "")
	s := testsuite.StartStack(t, d.Addr, testsuite.StackOptions{})
	cands := []string{"cand_REPLAY1", "cand_REPLAY2"}
	want := map[string]int{}
	for _, c := range cands {
		s.Send(t, samplesFor(t, c)...)
		want[c] = 11
	}
	s.WaitSettled(t, want, 2*time.Minute)
	s.StopWorker() // the histories stay as they are while they are replayed

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	running := `ExecutionStatus="Running"`
	waitListed(ctx, t, s, running, len(cands))

	// The first command each history holds after the events are taken: the
	// broken build starts a timer there instead.
	firstActivity := map[string]int64{}
	for _, c := range cands {
		h, err := replay.Fetch(ctx, s.Temporal, hiresync.WorkflowID(c), "")
		require.NoError(t, err)
		for _, e := range h.GetEvents() {
			if e.GetEventType() == enums.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED {
				firstActivity[c] = e.GetEventId()
				break
			}
		}
		require.NotZero(t, firstActivity[c], c)
	}

	bin, err := testsuite.Binary()
	require.NoError(t, err)
	broken := filepath.Join(t.TempDir(), "hiresync")
	build := exec.CommandContext(ctx, "go", "build", "-tags", "replaybreak", "-o", broken, "./cmd/hiresync")
	build.Dir = ".."
	built, err := build.CombinedOutput()
	require.NoError(t, err, "%s", built)
	env := []string{"TEMPORAL_ADDRESS=" + d.Addr, "TEMPORAL_NAMESPACE=default", "HIRESYNC_PAYLOAD_KEY="}

	// Before a deploy: every open candidate replays on the current code…
	out, code := runReplay(ctx, t, bin, env, "-query", running)
	require.Equal(t, 0, code, "%s", out)
	for _, c := range cands {
		require.Regexp(t, `(?m)^ok      `+regexp.QuoteMeta(hiresync.WorkflowID(c))+` run \S+ \(\d+ events\): replays cleanly$`, out)
	}
	require.Contains(t, out, fmt.Sprintf("replayed %d of %d (0 failed)", len(cands), len(cands)))
	out, code = runReplay(ctx, t, bin, env, "-query", running, "-limit", "1")
	require.Equal(t, 0, code, "%s", out)
	require.Equal(t, 1, strings.Count(out, "replays cleanly"), "%s", out)
	require.Contains(t, out, "replayed 1 of 1 (0 failed)")

	// …and not on the broken one, which names each candidate and the event.
	out, code = runReplay(ctx, t, broken, env, "-query", running, "-rate", "20")
	require.Equal(t, 1, code, "%s", out)
	for _, c := range cands {
		require.Regexp(t, `(?m)^FAILED  `+regexp.QuoteMeta(hiresync.WorkflowID(c))+` run \S+ \(\d+ events\): `+
			fmt.Sprintf(`non-determinism at event %d: the history expects ScheduleActivityTask PostSlack\w+`, firstActivity[c]), out)
	}
	require.Contains(t, out, fmt.Sprintf("replayed %d of %d (%d failed)", len(cands), len(cands), len(cands)))
	require.Contains(t, out, fmt.Sprintf("hiresync: replay: %d workflows did not replay", len(cands)))

	// A stuck workflow, by id.
	wid := hiresync.WorkflowID(cands[0])
	out, code = runReplay(ctx, t, bin, env, "-workflow-id", wid)
	require.Equal(t, 0, code, "%s", out)
	require.Contains(t, out, "ok      "+wid)
	out, code = runReplay(ctx, t, broken, env, "-workflow-id", wid)
	require.Equal(t, 1, code, "%s", out)
	require.Contains(t, out, fmt.Sprintf("FAILED  %s (", wid))
	require.Contains(t, out, fmt.Sprintf("non-determinism at event %d", firstActivity[cands[0]]))

	// A history sent by someone else: the CLI's JSON export.
	cli, err := testsuite.TemporalCLI()
	require.NoError(t, err)
	export, err := exec.CommandContext(ctx, cli, "workflow", "show", "--address", d.Addr,
		"--workflow-id", wid, "-o", "json").Output()
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "h.json")
	require.NoError(t, os.WriteFile(file, export, 0o600))
	out, code = runReplay(ctx, t, bin, env, "-file", file)
	require.Equal(t, 0, code, "%s", out)
	require.Regexp(t, `(?m)^ok      `+regexp.QuoteMeta(file)+` \(\d+ events\): replays cleanly$`, out)
	out, code = runReplay(ctx, t, broken, env, "-file", file)
	require.Equal(t, 1, code, "%s", out)
	require.Contains(t, out, fmt.Sprintf("FAILED  %s (", file))
	require.Contains(t, out, fmt.Sprintf("non-determinism at event %d", firstActivity[cands[0]]))
}

// waitListed waits until the visibility store lists n workflows for query
// (it follows the histories by a moment).
func waitListed(ctx context.Context, t *testing.T, s *testsuite.Stack, query string, n int) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		res, err := s.Temporal.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Query: query})
		if err == nil && res.GetCount() == int64(n) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s lists %d workflows, want %d (error %v)", query, res.GetCount(), n, err)
		}
		time.Sleep(200 * time.Millisecond) // polling interval
	}
}

// runReplay runs `bin replay args...` and returns its output and exit code.
func runReplay(ctx context.Context, t *testing.T, bin string, env []string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.CommandContext(ctx, bin, append([]string{"replay"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	t.Logf("%s replay %s:\n%s", filepath.Base(filepath.Dir(bin)), strings.Join(args, " "), out)
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return string(out), exit.ExitCode()
	}
	require.NoError(t, err)
	return string(out), 0
}

// TestReplayEncrypted replays a candidate whose payloads are encrypted
// (HIRESYNC_PAYLOAD_KEY): with the worker's key it replays cleanly; without
// it, replay fails and says the key is missing.
func TestReplayEncrypted(t *testing.T) {
	secret := make([]byte, codec.KeySize)
	_, err := rand.Read(secret)
	require.NoError(t, err)
	keyEnv := "replay-1:" + base64.StdEncoding.EncodeToString(secret)
	keys, err := codec.ParseKeys(keyEnv)
	require.NoError(t, err)

	s := testsuite.StartStack(t, temporalAddr(t), testsuite.StackOptions{PayloadKeys: keys})
	const cand = "cand_REPLAYKEY"
	s.Send(t, samplesFor(t, cand)...)
	s.WaitSettled(t, map[string]int{cand: 11}, 2*time.Minute)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	bin, err := testsuite.Binary()
	require.NoError(t, err)
	wid := hiresync.WorkflowID(cand)
	env := []string{"TEMPORAL_ADDRESS=" + temporalAddr(t), "TEMPORAL_NAMESPACE=default"}

	out, code := runReplay(ctx, t, bin, append(env, codec.EnvVar+"="+keyEnv), "-workflow-id", wid)
	require.Equal(t, 0, code, "%s", out)
	require.Contains(t, out, "ok      "+wid)

	out, code = runReplay(ctx, t, bin, append(env, codec.EnvVar+"="), "-workflow-id", wid)
	require.Equal(t, 1, code, "%s", out)
	require.Contains(t, out, "FAILED  "+wid)
	require.Contains(t, out, "the history's payloads are encrypted and "+codec.EnvVar+" is not set")
}
