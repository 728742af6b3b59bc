package slackdouble_test

import (
	"context"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hiresync/hiresync/doubles/slackdouble"
)

// TestSaveLoad: a double loaded from another's saved state has its
// channels, threads, edits and metadata, answers replies in the old threads,
// hands out ts after the old ones, and forgets faults and counters.
func TestSaveLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "slack.json")
	a := slackdouble.Start(t)
	ca := client(a)
	root := post(t, ca, "C0HIRING", "root", meta("evt_1"))
	reply := post(t, ca, "C0HIRING", "reply", slack.MsgOptionTS(root), meta("evt_2"))
	other := post(t, ca, "C0OTHER", "other")
	_, _, _, err := ca.UpdateMessage("C0HIRING", root, slack.MsgOptionText("root, edited", false))
	require.NoError(t, err)
	a.FailNext(slackdouble.MethodPostMessage, 5, http.StatusInternalServerError)
	require.NoError(t, a.Save(path))
	want := a.State().Channels

	b := slackdouble.Start(t)
	require.NoError(t, b.Load(path))
	got := b.State()
	assert.Equal(t, want, got.Channels)
	assert.Zero(t, got.Stats.Posts, "counters are not saved")
	assert.Len(t, b.MessagesForEvent("evt_2"), 1)

	cb := client(b)
	next := post(t, cb, "C0HIRING", "a reply after the restart", slack.MsgOptionTS(root))
	assert.Equal(t, []string{reply, next}, tsOf(b.Replies("C0HIRING", root)))
	for _, old := range []string{root, reply, other} {
		assert.Greater(t, micros(t, next), micros(t, old), "new ts %s after saved %s", next, old)
	}
	m, ok := b.Message("C0HIRING", root)
	require.True(t, ok)
	assert.Equal(t, "root, edited", m.Text)
	assert.Equal(t, 2, m.ReplyCount)
}

// TestLoadKeepsTSCounter: the saved ts counter holds even when the clock is
// behind it.
func TestLoadKeepsTSCounter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "slack.json")
	future := time.Now().Add(time.Hour).UnixMicro()
	last := strconv.FormatInt(future/1e6, 10) + "." + leftPad(future%1e6)
	require.NoError(t, os.WriteFile(path, []byte(`{"format":"hiresync-slack-double/1","last_ts":"`+last+`","channels":{}}`), 0o600))
	d := slackdouble.Start(t)
	require.NoError(t, d.Load(path))
	ts := post(t, client(d), "C1", "hello")
	assert.Greater(t, micros(t, ts), future)
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	d := slackdouble.New()
	err := d.Load(filepath.Join(dir, "missing.json"))
	require.ErrorIs(t, err, fs.ErrNotExist)

	for name, body := range map[string]string{
		"corrupt.json":   `{"format":"hiresync-slack-double/1","channels":{`,
		"hubspot.json":   `{"format":"hiresync-hubspot-double/1"}`,
		"badts.json":     `{"format":"hiresync-slack-double/1","channels":{"C1":[{"ts":"yesterday","text":"x"}]}}`,
		"orphan.json":    `{"format":"hiresync-slack-double/1","channels":{"C1":[{"ts":"1.000002","thread_ts":"1.000001","text":"x"}]}}`,
		"duplicate.json": `{"format":"hiresync-slack-double/1","channels":{"C1":[{"ts":"1.000001","text":"x"},{"ts":"1.000001","text":"y"}]}}`,
	} {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
		err := d.Load(path)
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), path, "the error names the file")
	}
	assert.Empty(t, d.State().Channels, "a failed load changes nothing")
}

// TestAutoSave: changes reach the file within the interval, without a
// final Save.
func TestAutoSave(t *testing.T) {
	path := filepath.Join(t.TempDir(), "slack.json")
	d := slackdouble.Start(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.AutoSave(ctx, path, 20*time.Millisecond, func(err error) { t.Error(err) })
	}()
	ts := post(t, client(d), "C1", "hello")
	require.Eventually(t, func() bool {
		b, err := os.ReadFile(path)
		return err == nil && strings.Contains(string(b), ts)
	}, 5*time.Second, 10*time.Millisecond)
	cancel()
	<-done

	again := slackdouble.New()
	require.NoError(t, again.Load(path))
	_, ok := again.Message("C1", ts)
	assert.True(t, ok)
	entries, err := os.ReadDir(filepath.Dir(path))
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary files left behind")
}

func tsOf(ms []slackdouble.Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.TS
	}
	return out
}

func micros(t *testing.T, ts string) int64 {
	t.Helper()
	secs, frac, _ := strings.Cut(ts, ".")
	s, err := strconv.ParseInt(secs, 10, 64)
	require.NoError(t, err)
	f, err := strconv.ParseInt(frac, 10, 64)
	require.NoError(t, err)
	return s*1e6 + f
}

func leftPad(n int64) string {
	s := strconv.FormatInt(n, 10)
	return strings.Repeat("0", 6-len(s)) + s
}
