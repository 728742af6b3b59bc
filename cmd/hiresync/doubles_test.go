package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hiresync/hiresync/activities/handoff"
	"github.com/hiresync/hiresync/doubles/handoffdouble"
)

// TestDoublesKeepStateAcrossRestarts: a message posted to the Slack double
// of one `hiresync doubles -state-dir` is there for the next one, and a
// reply in its thread works.
func TestDoublesKeepStateAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	api := "http://" + addr + "/api/"
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	start := func() (stop func() error) {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			done <- runDoubles(ctx, []string{"-slack", addr, "-slack-token", "xoxb-t", "-hubspot", freeAddr(t), "-state-dir", dir}, log)
		}()
		require.Eventually(t, func() bool {
			resp, err := http.Get("http://" + addr + "/_double/state")
			if err == nil {
				resp.Body.Close()
			}
			return err == nil && resp.StatusCode == http.StatusOK
		}, 10*time.Second, 20*time.Millisecond)
		return func() error { cancel(); return <-done }
	}
	post := func(params url.Values) map[string]any {
		params.Set("token", "xoxb-t")
		resp, err := http.PostForm(api+"chat.postMessage", params)
		require.NoError(t, err)
		defer resp.Body.Close()
		var out map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
		return out
	}

	stop := start()
	root := post(url.Values{"channel": {"C0HIRING"}, "text": {"root"}})
	require.Equal(t, true, root["ok"], root)
	require.NoError(t, stop())
	for _, f := range []string{"slack.json", "hubspot.json"} {
		require.FileExists(t, filepath.Join(dir, f))
	}

	stop = start()
	reply := post(url.Values{"channel": {"C0HIRING"}, "text": {"reply"}, "thread_ts": {root["ts"].(string)}})
	require.Equal(t, true, reply["ok"], "a reply in a thread of the earlier run: %v", reply)
	require.NoError(t, stop())
}

func TestDoublesRefuseACorruptStateFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hubspot.json")
	require.NoError(t, os.WriteFile(path, []byte("{not json"), 0o600))
	err := runDoubles(context.Background(), []string{"-hubspot", freeAddr(t), "-state-dir", dir}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.ErrorContains(t, err, path)
}

// freeAddr is a 127.0.0.1 address nothing listens on: bound, then released.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// TestDoublesServeTheHandoffReceiverAndSlackUsers: `hiresync doubles`
// serves the hand-off receiver, which keeps what it took across restarts,
// and a Slack double whose users.lookupByEmail finds the -slack-users.
func TestDoublesServeTheHandoffReceiverAndSlackUsers(t *testing.T) {
	dir := t.TempDir()
	slackAddr, handoffAddr := freeAddr(t), freeAddr(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	start := func() (stop func() error) {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			done <- runDoubles(ctx, []string{"-slack", slackAddr, "-slack-token", "xoxb-t", "-slack-users", "U0MAYA=maya@acme.example",
				"-handoff", handoffAddr, "-state-dir", dir}, log)
		}()
		require.Eventually(t, func() bool {
			resp, err := http.Get("http://" + handoffAddr + "/_double/state")
			if err == nil {
				resp.Body.Close()
			}
			return err == nil && resp.StatusCode == http.StatusOK
		}, 10*time.Second, 20*time.Millisecond)
		return func() error { cancel(); return <-done }
	}
	stop := start()
	resp, err := http.PostForm("http://"+slackAddr+"/api/users.lookupByEmail", url.Values{"token": {"xoxb-t"}, "email": {"maya@acme.example"}})
	require.NoError(t, err)
	var found struct {
		OK   bool `json:"ok"`
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&found))
	resp.Body.Close()
	require.Equal(t, "U0MAYA", found.User.ID)

	sender, err := handoff.New(handoff.Config{URL: "http://" + handoffAddr + handoffdouble.HookPath, Secret: handoffdouble.DefaultSecret})
	require.NoError(t, err)
	body := []byte(`{"type":"hiresync.hire_handoff","schema_version":1,"event_id":"evt_1","candidate":{"id":"c","name":"Ada"},"job":{},"hire":{}}`)
	require.NoError(t, sender.Send(t.Context(), "handoff_evt_1", body))
	require.NoError(t, stop())
	require.FileExists(t, filepath.Join(dir, "handoff.json"))

	stop = start()
	resp, err = http.Get("http://" + handoffAddr + "/_double/state")
	require.NoError(t, err)
	var st handoffdouble.State
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&st))
	resp.Body.Close()
	require.Len(t, st.Handoffs, 1, "the hand-off is still there after a restart")
	require.NoError(t, stop())
}
