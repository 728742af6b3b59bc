// Package handoffdouble is a local double of the system that receives
// hiresync's hire hand-offs (IT and finance): it verifies each delivery's
// Standard Webhooks signature with the standard-webhooks library, records
// every delivery, keeps one hand-off per webhook-id (the receiver's
// deduplication), and can be told to fail (HTTP statuses, 429s with
// Retry-After, lost answers, slow answers). It keeps what it received in a
// JSON file when asked (Save, Load, AutoSave), and shows it on a page and as
// JSON at GET /_double/state.
package handoffdouble

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/hiresync/hiresync/activities/handoff"
)

// DefaultSecret is the signing secret the double accepts unless told
// otherwise.
const DefaultSecret = "whsec_aGlyZXN5bmMtaGFuZG9mZi1kb3VibGUtc2VjcmV0"

// Paths the double serves.
const (
	// HookPath receives the hand-offs.
	HookPath  = "/hire-handoff"
	StatePath = "/_double/state"
	PagePath  = "/"
)

// maxBody bounds what one delivery may send.
const maxBody = 1 << 20

// Delivery is one request the double received, in arrival order, whatever
// became of it.
type Delivery struct {
	WebhookID  string    `json:"webhook_id"`
	Timestamp  string    `json:"webhook_timestamp"`
	ReceivedAt time.Time `json:"received_at"`
	// Verified says the signature checked out with the library.
	Verified bool `json:"verified"`
	// Status is the HTTP status answered, or 0 when the connection was
	// closed without an answer.
	Status int `json:"status"`
	// Duplicate says a hand-off with this webhook-id was already accepted.
	Duplicate bool `json:"duplicate,omitempty"`
	// Fault names the injected failure, if any ("fail", "lose", "429").
	Fault string `json:"fault,omitempty"`
	// Error says why a delivery was refused.
	Error string `json:"error,omitempty"`
	// Test says it was hiresync doctor's signed test delivery: verified
	// and answered, not a hand-off.
	Test bool `json:"test,omitempty"`
}

// Handoff is one hand-off accepted: the first verified delivery of its
// webhook-id, and how many deliveries carried that id.
type Handoff struct {
	WebhookID  string          `json:"webhook_id"`
	ReceivedAt time.Time       `json:"received_at"`
	Deliveries int             `json:"deliveries"`
	Body       json.RawMessage `json:"body"`
}

// State is everything the double holds, as served at StatePath.
type State struct {
	Handoffs   []Handoff  `json:"handoffs"`
	Deliveries []Delivery `json:"deliveries"`
}

// Options configure a Double.
type Options struct {
	// Secret is the whsec_ secret deliveries are verified with (default
	// DefaultSecret).
	Secret string
	// Seed seeds the random source behind the failure and loss rates.
	Seed uint64
}

// Double is the hand-off receiver. Build it with New; all methods are safe
// for concurrent use.
type Double struct {
	secret   string
	verifier *standardwebhooks.Webhook
	handler  http.Handler

	mu         sync.Mutex
	handoffs   []Handoff
	byID       map[string]int // webhook-id -> index in handoffs
	deliveries []Delivery
	faults     faults
	rng        *rand.Rand
	changes    uint64
	// arrived counts requests that reached the hook, answered or not.
	arrived int

	saveMu sync.Mutex

	srvMu  sync.Mutex
	srv    *http.Server
	ln     net.Listener
	served chan struct{}
}

// New builds a double that is not yet listening.
func New(o Options) (*Double, error) {
	if o.Secret == "" {
		o.Secret = DefaultSecret
	}
	v, err := standardwebhooks.NewWebhook(o.Secret)
	if err != nil {
		return nil, errors.New("hand-off double: the secret is not a whsec_ secret")
	}
	d := &Double{
		secret:   o.Secret,
		verifier: v,
		byID:     map[string]int{},
		rng:      rand.New(rand.NewPCG(o.Seed, o.Seed)),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+HookPath, d.serveHook)
	mux.HandleFunc("GET "+StatePath, d.serveState)
	mux.HandleFunc("GET "+PagePath+"{$}", d.servePage)
	d.handler = mux
	return d, nil
}

// Secret is the signing secret the double verifies with.
func (d *Double) Secret() string { return d.secret }

// Handler serves the hook, the state and the page.
func (d *Double) Handler() http.Handler { return d.handler }

// serveHook receives one delivery: waits any delay, answers an injected
// failure before looking at it, verifies the signature, accepts the
// hand-off once per webhook-id, and may lose the answer of one it accepted.
func (d *Double) serveHook(w http.ResponseWriter, r *http.Request) {
	// The body is read first: only then does the server notice a sender
	// that hangs up during the delay.
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return
	}
	if delay := d.arrive(); delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return // the sender gave up: nothing happened
		}
	}
	dl := Delivery{
		WebhookID:  r.Header.Get(standardwebhooks.HeaderWebhookID),
		Timestamp:  r.Header.Get(standardwebhooks.HeaderWebhookTimestamp),
		ReceivedAt: time.Now().UTC(),
	}

	d.mu.Lock()
	defer d.mu.Unlock()
	if status, retryAfter, fault := d.injected(); status != 0 {
		dl.Status, dl.Fault = status, fault
		d.record(dl)
		if retryAfter > 0 {
			w.Header().Set("Retry-After", fmt.Sprint(int(retryAfter.Seconds())))
		}
		writeJSON(w, status, map[string]string{"error": "injected failure"})
		return
	}
	test, err := d.check(body, r.Header)
	if err == nil && test {
		dl.Verified, dl.Test, dl.Status = true, true, http.StatusOK
		d.record(dl)
		writeJSON(w, http.StatusOK, map[string]any{"webhook_id": dl.WebhookID, "test": true})
		return
	}
	if err != nil {
		dl.Status, dl.Error = http.StatusBadRequest, err.Error()
		if errors.Is(err, errSignature) {
			dl.Status = http.StatusUnauthorized
		}
		d.record(dl)
		writeJSON(w, dl.Status, map[string]string{"error": err.Error()})
		return
	}
	dl.Verified = true
	if i, ok := d.byID[dl.WebhookID]; ok {
		dl.Duplicate = true
		d.handoffs[i].Deliveries++
	} else {
		d.byID[dl.WebhookID] = len(d.handoffs)
		d.handoffs = append(d.handoffs, Handoff{WebhookID: dl.WebhookID, ReceivedAt: dl.ReceivedAt, Deliveries: 1, Body: body})
	}
	lost, status := d.lose()
	if lost {
		dl.Fault, dl.Status = "lose", status
		d.record(dl)
		if status == 0 {
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					_ = conn.Close()
					return
				}
			}
			dl.Status = http.StatusInternalServerError
		}
		writeJSON(w, cmpOr(status, http.StatusInternalServerError), map[string]string{"error": "answer lost"})
		return
	}
	dl.Status = http.StatusOK
	d.record(dl)
	writeJSON(w, http.StatusOK, map[string]any{"webhook_id": dl.WebhookID, "duplicate": dl.Duplicate})
}

var errSignature = errors.New("signature does not verify")

// check verifies the delivery with the Standard Webhooks library and reads
// its type: a hand-off of the schema it knows, or doctor's test delivery
// (test). Callers hold d.mu.
func (d *Double) check(body []byte, h http.Header) (test bool, err error) {
	if len(body) > maxBody {
		return false, errors.New("body over 1 MiB")
	}
	if err := d.verifier.Verify(body, h); err != nil {
		return false, fmt.Errorf("%w: %v", errSignature, err)
	}
	var head struct {
		Type          string `json:"type"`
		SchemaVersion int    `json:"schema_version"`
	}
	if err := json.Unmarshal(body, &head); err != nil {
		return false, fmt.Errorf("body is not JSON: %v", err)
	}
	switch {
	case head.Type == handoff.TestType:
		return true, nil
	case head.Type != handoff.EventType || head.SchemaVersion != handoff.SchemaVersion:
		return false, fmt.Errorf("type %q schema %d: want %s schema %d", head.Type, head.SchemaVersion, handoff.EventType, handoff.SchemaVersion)
	}
	return false, nil
}

// record keeps a delivery. Callers hold d.mu.
func (d *Double) record(dl Delivery) {
	d.deliveries = append(d.deliveries, dl)
	d.changes++
}

func cmpOr(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// State is a copy of what the double holds.
func (d *Double) State() State {
	d.mu.Lock()
	defer d.mu.Unlock()
	return State{Handoffs: append([]Handoff{}, d.handoffs...), Deliveries: append([]Delivery{}, d.deliveries...)}
}

// Arrived is how many requests reached the hook so far, including those
// still being delayed and those whose sender gave up.
func (d *Double) Arrived() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.arrived
}

// Handoffs is a copy of the hand-offs accepted, one per webhook-id.
func (d *Double) Handoffs() []Handoff { return d.State().Handoffs }

// Reset forgets everything received; faults stay.
func (d *Double) Reset() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.handoffs, d.deliveries, d.byID = nil, nil, map[string]int{}
	d.changes++
}

func (d *Double) serveState(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(d.State())
}

// TB is the part of testing.TB that Start needs.
type TB interface {
	Helper()
	Cleanup(func())
	Fatalf(format string, args ...any)
}

// Start serves a new double on a free port of 127.0.0.1 until the test ends.
func Start(t TB, o Options) *Double {
	t.Helper()
	d, err := New(o)
	if err != nil {
		t.Fatalf("start hand-off double: %v", err)
	}
	if err := d.Listen("127.0.0.1:0"); err != nil {
		t.Fatalf("start hand-off double: %v", err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}

// Listen starts serving on addr in the background; Close stops it.
func (d *Double) Listen(addr string) error {
	d.srvMu.Lock()
	defer d.srvMu.Unlock()
	if d.srv != nil {
		return errors.New("hand-off double already listening")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	d.ln = ln
	d.srv = &http.Server{Handler: d.handler, ReadHeaderTimeout: 10 * time.Second}
	d.served = make(chan struct{})
	go func(srv *http.Server, done chan struct{}) {
		defer close(done)
		_ = srv.Serve(ln)
	}(d.srv, d.served)
	return nil
}

// Run serves on addr until ctx ends.
func (d *Double) Run(ctx context.Context, addr string) error {
	if err := d.Listen(addr); err != nil {
		return err
	}
	<-ctx.Done()
	return d.Close()
}

// Close stops serving. It is safe to call twice.
func (d *Double) Close() error {
	d.srvMu.Lock()
	srv, done := d.srv, d.served
	d.srv = nil
	d.srvMu.Unlock()
	if srv == nil {
		return nil
	}
	err := srv.Close()
	<-done
	return err
}

// URL is the double's base URL, or "" when it is not listening.
func (d *Double) URL() string {
	d.srvMu.Lock()
	defer d.srvMu.Unlock()
	if d.ln == nil {
		return ""
	}
	return "http://" + d.ln.Addr().String()
}

// HookURL is the value for HIRESYNC_HANDOFF_URL.
func (d *Double) HookURL() string { return d.URL() + HookPath }
