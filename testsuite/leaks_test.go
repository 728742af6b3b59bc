package testsuite_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/doubles/slackdouble"
	"github.com/hiresync/hiresync/signature"
	"github.com/hiresync/hiresync/testsuite"
)

// TestNoLeaks captures every log line of a run (ingress and worker) and the
// full history of its workflows: no secret, token, signature, email address
// or phone number in the logs; no secret or token in history. Recruiters by
// email and the hand-off are on: neither the recruiter's email nor the
// hand-off's secret appears either.
func TestNoLeaks(t *testing.T) {
	s := testsuite.StartStack(t, temporalAddr(t), testsuite.StackOptions{
		Routes: testsuite.LoopRoutes(), SlackOptions: []slackdouble.Option{testsuite.RecruiterUser()}, Handoff: true,
	})
	ds := twice(samplesFor(t, "cand_LEAKS1"))
	// HubSpot's answer to an invalid email quotes it: make one happen.
	bad := samplesFor(t, "cand_LEAKS2")[0]
	bad.Body = []byte(strings.ReplaceAll(string(bad.Body), "cand_LEAKS2@example.com", "leaks2@example"))
	s.Send(t, append(ds, bad)...)
	tls := s.WaitSettled(t, map[string]int{"cand_LEAKS1": 11, "cand_LEAKS2": 1}, 2*time.Minute)
	hub := tls["cand_LEAKS2"][0].Actions[1]
	require.Equal(t, hiresync.ActionFailed, hub.Result, "HubSpot refused the invalid email: %+v", hub)
	require.Contains(t, hub.Detail, "[email]", "and the timeline does not repeat it")

	key, err := signature.ParseSecret(testsuite.TestSecret)
	require.NoError(t, err)
	secrets := []string{
		testsuite.TestSecret,
		strings.TrimPrefix(testsuite.TestSecret, "whsec_"),
		strings.TrimRight(strings.TrimPrefix(testsuite.TestSecret, "whsec_"), "="),
		s.Config.SlackToken,
		s.Config.HubSpotToken,
		s.Config.HandoffSecret,
		strings.TrimPrefix(s.Config.HandoffSecret, "whsec_"),
	}
	// Signatures the sender made for this run's deliveries, at any second of it.
	var sigs []string
	for ts := time.Now().Add(-5 * time.Minute).Unix(); ts <= time.Now().Unix(); ts++ {
		for _, d := range ds[:2] {
			sigs = append(sigs, strings.TrimPrefix(signature.Sign(key, d.ID, ts, d.Body), "v1,"))
		}
	}
	personal := []string{"cand_leaks1@example.com", "@example.com", "leaks2@example", "+44 20 7946", "7946 0958", testsuite.RecruiterEmail}
	// Every address the payloads carry: the candidate's, the recruiter's,
	// the interviewers'.
	emailRe := regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`)
	for _, d := range ds {
		personal = append(personal, emailRe.FindAllString(string(d.Body), -1)...)
	}
	require.Contains(t, personal, "lena@acme.example", "the recruiter's address is among those searched")

	logs := s.Logs.String()
	require.NotEmpty(t, logs)
	require.Contains(t, logs, "cand_LEAKS1", "the logs do carry ids")
	for _, v := range append(append(secrets, sigs...), personal...) {
		require.NotContains(t, logs, v, "log lines leak %q", v)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	raw, err := s.History(ctx, hiresync.WorkflowID("cand_LEAKS1"))
	require.NoError(t, err)
	history := testsuite.Readable(raw)
	require.Contains(t, history, "EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED")
	require.Contains(t, history, "Okafor", "payloads are searched decoded")
	for _, v := range secrets {
		require.NotContains(t, history, v, "history leaks a secret or token")
	}
	for _, v := range sigs {
		require.NotContains(t, history, v, "history holds a signature")
	}
	// The phone number as the payloads write it, and its digits alone ("7946"
	// alone would match timestamps and task ids by chance).
	for _, v := range []string{"+44 20 7946 0958", "7946 0958", "2079460958"} {
		require.NotContains(t, history, v, "the phone number is never kept")
	}
}
