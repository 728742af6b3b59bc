package testsuite_test

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/doubles/clarityhire"
	"github.com/hiresync/hiresync/testsuite"
)

// TestPageDoubles runs the eleven samples and reads the doubles' pages
// as a newcomer's browser shows them, in headless Chromium: the Slack page
// shows the channel, the root's fields, a real link to ClarityHire and the
// thread in order, and no email address or phone number; the HubSpot page
// shows the contact. Run with -artifacts to keep the screenshot.
func TestPageDoubles(t *testing.T) {
	browser := chromiumPath(t)
	s := testsuite.StartStack(t, temporalAddr(t), testsuite.StackOptions{})
	retire(t, s, "cand_7Q2KXW") // left by an earlier test on the shared dev server
	t.Cleanup(func() { retire(t, s, "cand_7Q2KXW") })
	ds, err := clarityhire.Samples()
	require.NoError(t, err)
	s.Send(t, ds...)
	s.WaitSettled(t, map[string]int{"cand_7Q2KXW": 11}, 2*time.Minute)

	t.Run("slack", func(t *testing.T) {
		dom := dumpDOM(t, browser, s.Slack.URL()+"/", "slack.html")
		body := bodyOf(t, dom)
		for _, want := range []string{"C0BACKEND", "Ada Okafor", "Senior Backend Engineer", "LinkedIn"} {
			require.Contains(t, body, want)
		}
		require.Regexp(t, `Status</strong>\s*<br>\s*Hired\b`, body)
		require.Regexp(t, `<a [^>]*href="https://app\.clarityhire\.com/candidates/cand_7Q2KXW"[^>]*>\s*Open in ClarityHire\s*</a>`, body)
		// The first event posted the root; the ten others are its thread.
		require.Contains(t, body, "10 replies")
		requireInOrder(t, body,
			"Test completed: ",
			"Test passed: ",
			"Test failed: ",
			"interview scheduled for ",
			"interview completed with ",
			"Stage changed: ",
			"Hired as ",
			"Application rejected: ",
			"Candidate withdrew: ",
		)
		requireNoContact(t, body)

		shot := filepath.Join(t.ArtifactDir(), "slack.png")
		runChromium(t, browser, "--window-size=1200,1600", "--screenshot="+shot, s.Slack.URL()+"/")
		requirePNG(t, shot, 1200, 1600)
	})

	t.Run("hubspot", func(t *testing.T) {
		dom := dumpDOM(t, browser, s.HubSpot.URL()+"/", "hubspot.html")
		body := bodyOf(t, dom)
		require.Regexp(t, `<td[^>]*>ada\.okafor@example\.com</td>\s*<td[^>]*>Ada Okafor</td>\s*<td[^>]*>customer</td>`, body)
		for _, want := range []string{"clarityhire_<wbr>candidate_id", "clarityhire_<wbr>stage", "cand_7Q2KXW", "<td>hired</td>"} {
			require.Contains(t, body, want)
		}
		require.Regexp(t, `<a [^>]*href="https://app\.clarityhire\.com/candidates/cand_7Q2KXW"`, body)
		requireNoPhone(t, body)
	})
}

// chromiumPath finds headless Chromium; the test fails without it, since
// it is part of the suite.
func chromiumPath(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("this test reads the doubles' pages in headless Chromium, which is not installed (%v): run make chromium (or make test)", err)
	}
	return path
}

// runChromium runs headless Chromium on its own profile, with the flags a
// machine without network needs, and returns what it wrote to stdout.
func runChromium(t *testing.T, browser string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, browser, append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir(),
	}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second // helper processes may hold the pipes after a kill
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes()
}

// dumpDOM is the DOM of url once Chromium loaded it, kept as an artifact
// under name.
func dumpDOM(t *testing.T, browser, url, name string) string {
	t.Helper()
	dom := string(runChromium(t, browser, "--dump-dom", url))
	require.NoError(t, os.WriteFile(filepath.Join(t.ArtifactDir(), name), []byte(dom), 0o644))
	require.Contains(t, dom, "</html>", "chromium dumped no page for %s", url)
	return dom
}

// bodyOf is the <body> of a dumped DOM: what the page shows, without its
// style sheet.
func bodyOf(t *testing.T, dom string) string {
	t.Helper()
	i := strings.Index(dom, "<body")
	require.GreaterOrEqual(t, i, 0, "no <body> in\n%s", dom)
	return dom[i:]
}

func requireInOrder(t *testing.T, s string, parts ...string) {
	t.Helper()
	last, lastPart := -1, ""
	for _, p := range parts {
		i := strings.Index(s, p)
		require.GreaterOrEqual(t, i, 0, "%q is not on the page", p)
		require.Greater(t, i, last, "%q comes before %q", p, lastPart)
		last, lastPart = i, p
	}
}

var (
	anyEmail  = regexp.MustCompile(`(?i)[a-z0-9._%+\-]+\s?(?:@|＠|%40|&#64;|&commat;)\s?[a-z0-9\-]+(?:\.[a-z0-9\-]+)+`)
	phoneLike = regexp.MustCompile(`\+?[\p{Nd}(][\p{Nd}\s().\-/]{5,}\p{Nd}`)
)

// requireNoContact fails when s holds an email address or a phone number.
func requireNoContact(t *testing.T, s string) {
	t.Helper()
	require.NotContains(t, s, "ada.okafor")
	if m := anyEmail.FindString(s); m != "" {
		t.Fatalf("an email address is on the page: %q", m)
	}
	requireNoPhone(t, s)
}

// requireNoPhone fails when s holds a run of seven digits or more with the
// usual phone separators, or the sample's number however written.
func requireNoPhone(t *testing.T, s string) {
	t.Helper()
	digits := strings.Map(func(r rune) rune {
		if unicode.IsDigit(r) {
			return r
		}
		return -1
	}, s)
	require.NotContains(t, digits, "2079460958", "the sample's phone number is on the page")
	for _, m := range phoneLike.FindAllString(s, -1) {
		n := 0
		for _, r := range m {
			if unicode.IsDigit(r) {
				n++
			}
		}
		if n >= 7 {
			t.Fatalf("a phone number is on the page: %q", m)
		}
	}
}

func requirePNG(t *testing.T, path string, width, height int) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err, "chromium took no screenshot")
	defer f.Close()
	st, err := f.Stat()
	require.NoError(t, err)
	require.Positive(t, st.Size())
	img, err := png.Decode(f)
	require.NoError(t, err)
	require.Equal(t, width, img.Bounds().Dx())
	require.Equal(t, height, img.Bounds().Dy())
	t.Logf("screenshot: %s (%d bytes)", path, st.Size())
}

// retire terminates the candidate's workflow if one is running, so that
// tests sharing the dev server and the sample candidate do not meet.
func retire(t *testing.T, s *testsuite.Stack, candidateID string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := s.Temporal.TerminateWorkflow(ctx, hiresync.WorkflowID(candidateID), "", "test over")
	var notFound *serviceerror.NotFound
	if err != nil && !errors.As(err, &notFound) {
		t.Fatalf("terminate %s: %v", hiresync.WorkflowID(candidateID), err)
	}
}
