package ingress_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hiresync/hiresync/ingress"
	"github.com/hiresync/hiresync/signature"
)

// benchBodySize is the size of the event the ingress benchmarks verify and
// parse: a large ClarityHire delivery (a completed panel interview with
// its feedback), four times the samples' size.
const benchBodySize = 4 << 10

// event4KiB is an interview.completed delivery of exactly benchBodySize
// bytes: the sample's envelope with a panel of three, and the panel's
// written feedback (a field hiresync does not keep, as ClarityHire may add
// any) making up the rest.
func event4KiB(tb testing.TB) []byte {
	tb.Helper()
	var panel []map[string]string
	for i := range 3 {
		panel = append(panel, map[string]string{"name": fmt.Sprintf("Interviewer %02d", i), "email": fmt.Sprintf("panel%02d@acme.example", i)})
	}
	build := func(feedback string) []byte {
		b, err := json.Marshal(map[string]any{
			"id": "evt_01JC06Z8Q4", "type": "interview.completed", "created_at": "2026-11-10T15:05:00Z", "organization_id": "org_acme",
			"data": map[string]any{
				"candidate": map[string]any{
					"id": "cand_7Q2KXW", "first_name": "Ada", "last_name": "Okafor", "email": "ada.okafor@example.com",
					"phone": "+44 20 7946 0958", "profile_url": "https://app.clarityhire.com/candidates/cand_7Q2KXW",
				},
				"application": map[string]any{
					"id": "app_91XR3", "source": "LinkedIn", "applied_at": "2026-11-02T09:14:03Z", "stage": "interview",
					"job": map[string]any{"id": "job_BE42", "title": "Senior Backend Engineer", "department": "Engineering"},
				},
				"interview": map[string]any{
					"id": "int_301", "kind": "technical", "scheduled_at": "2026-11-10T14:00:00Z", "duration_minutes": 60,
					"interviewers": panel, "meeting_url": "https://meet.example/abc-defg-hij", "outcome": "strong_yes",
					"feedback": feedback,
				},
			},
		})
		if err != nil {
			tb.Fatal(err)
		}
		return b
	}
	short := build("")
	if len(short) > benchBodySize {
		tb.Fatalf("the event without feedback is already %d bytes", len(short))
	}
	words := "Clear reasoning about failure modes; designed the queue with back-pressure and explained the trade-offs. "
	feedback := strings.Repeat(words, benchBodySize/len(words)+1)[:benchBodySize-len(short)]
	body := build(feedback)
	if len(body) != benchBodySize {
		tb.Fatalf("event is %d bytes, want %d", len(body), benchBodySize)
	}
	return body
}

// BenchmarkVerifyAndParse4KiB is the ingress's CPU work per delivery
// before Temporal: check the Standard Webhooks signature and timestamp,
// then decode and validate the envelope.
func BenchmarkVerifyAndParse4KiB(b *testing.B) {
	body := event4KiB(b)
	key, err := signature.ParseSecret(secret)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 11, 10, 15, 5, 1, 0, time.UTC)
	v := signature.NewVerifier([]signature.Key{key}, func() time.Time { return now })
	const id = "evt_01JC06Z8Q4"
	h := http.Header{}
	h.Set(signature.HeaderID, id)
	h.Set(signature.HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	h.Set(signature.HeaderSignature, signature.Sign(key, id, now.Unix(), body))
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if err := v.Verify(h, body); err != nil {
			b.Fatal(err)
		}
		ev, err := ingress.ParseEvent(body)
		if err != nil {
			b.Fatal(err)
		}
		if ev.ID != id {
			b.Fatalf("parsed id %q", ev.ID)
		}
	}
}

// BenchmarkHMAC4KiB is the floor under BenchmarkVerifyAndParse4KiB: one
// HMAC-SHA256 over the same bytes, with a fresh HMAC as Verify makes.
func BenchmarkHMAC4KiB(b *testing.B) {
	body := event4KiB(b)
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		h := hmac.New(sha256.New, key)
		h.Write(body)
		if len(h.Sum(nil)) != sha256.Size {
			b.Fatal("short sum")
		}
	}
}
