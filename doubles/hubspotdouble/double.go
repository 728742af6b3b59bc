// Package hubspotdouble is a local stand-in for HubSpot's CRM v3 API: the
// contacts batch upsert and batch read endpoints and the contact properties
// and property groups endpoints, with HubSpot's request and response shapes,
// error bodies, rate limit and lifecycle-stage rule. Tests start it on
// 127.0.0.1 and point the client's base URL at it; `make run` serves its
// Handler on a fixed port, keeping its contacts and properties in a JSON
// file across restarts (Save, Load, AutoSave). It can be told to fail at
// run time (5xx, slow answers, writes whose response is lost) and shows what
// it holds under GET /_double/state. For `hiresync doctor` it also reads a
// page of contacts, refuses a token without an endpoint's scope with
// HubSpot's 403 MISSING_SCOPES, and can lose a property or have its type
// changed (SetScopes, DropProperty, SetPropertyType).
package hubspotdouble

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	mathrand "math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
)

// DefaultToken is the private-app token the double accepts unless
// Options.Token says otherwise.
const DefaultToken = "hubspot-double-token"

// Default rate limit, HubSpot's for a private app: 100 requests in any
// rolling 10 seconds.
const (
	DefaultRateLimit  = 100
	DefaultRateWindow = 10 * time.Second
)

// The endpoints the double serves, as "METHOD /path" patterns. Counters are
// kept per endpoint under these names.
const (
	EndpointBatchUpsert    = "POST /crm/v3/objects/contacts/batch/upsert"
	EndpointBatchRead      = "POST /crm/v3/objects/contacts/batch/read"
	EndpointCreateGroup    = "POST /crm/v3/properties/contacts/groups"
	EndpointListGroups     = "GET /crm/v3/properties/contacts/groups"
	EndpointReadGroup      = "GET /crm/v3/properties/contacts/groups/{groupName}"
	EndpointCreateProperty = "POST /crm/v3/properties/contacts"
	EndpointListProperties = "GET /crm/v3/properties/contacts"
	EndpointReadProperty   = "GET /crm/v3/properties/contacts/{propertyName}"
)

// Options configure a Double. The zero value is usable.
type Options struct {
	// Token is the bearer token requests must carry; DefaultToken if empty.
	Token string
	// RateLimit is how many requests are answered in any rolling RateWindow
	// (DefaultRateLimit and DefaultRateWindow when zero). Requests answered
	// 429 do not count towards the limit.
	RateLimit  int
	RateWindow time.Duration
	// RandSeed seeds the draw behind Faults.FailRate, so a run can be repeated.
	RandSeed uint64
	// Scopes are granted to the token; DefaultScopes when nil.
	Scopes []string
}

// Double is a running or runnable HubSpot double. All its methods are safe
// for concurrent use.
type Double struct {
	token      string
	scopes     []string
	rateLimit  int
	rateWindow time.Duration
	handler    http.Handler

	mu         sync.Mutex
	contacts   map[string]*contact // by lower-cased email
	byID       map[string]*contact
	nextID     int64
	groups     map[string]PropertyGroup
	groupOrder []string
	properties map[string]Property
	propOrder  []string
	accepted   []time.Time // requests answered inside the current window
	counters   Counters
	faults     Faults
	rng        *mathrand.Rand
	changes    uint64 // counts changes to the durable state, for AutoSave

	saveMu sync.Mutex // one Save at a time, so the newest state is written last

	srv *http.Server
	ln  net.Listener
}

// New returns a Double that is not listening yet: serve its Handler, or call
// Start.
func New(opts Options) *Double {
	if opts.Token == "" {
		opts.Token = DefaultToken
	}
	if opts.Scopes == nil {
		opts.Scopes = DefaultScopes
	}
	if opts.RateLimit <= 0 {
		opts.RateLimit = DefaultRateLimit
	}
	if opts.RateWindow <= 0 {
		opts.RateWindow = DefaultRateWindow
	}
	d := &Double{
		token:      opts.Token,
		scopes:     slices.Clone(opts.Scopes),
		rateLimit:  opts.RateLimit,
		rateWindow: opts.RateWindow,
		contacts:   map[string]*contact{},
		byID:       map[string]*contact{},
		nextID:     1001,
		groups:     map[string]PropertyGroup{},
		properties: map[string]Property{},
		counters:   Counters{Calls: map[string]int{}},
		rng:        mathrand.New(mathrand.NewPCG(opts.RandSeed, opts.RandSeed^0x9e3779b97f4a7c15)),
	}
	for _, g := range defaultGroups() {
		d.addGroupLocked(g)
	}
	for _, p := range defaultProperties() {
		d.addPropertyLocked(p)
	}
	d.handler = d.routes()
	return d
}

// Start returns a Double listening on a free port of 127.0.0.1. Stop it
// with Close.
func Start(opts Options) (*Double, error) {
	d := New(opts)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for hubspot double: %w", err)
	}
	d.ln = ln
	d.srv = &http.Server{Handler: d.handler, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = d.srv.Serve(ln) }()
	return d, nil
}

// URL is the base URL of a started Double, e.g. http://127.0.0.1:41234.
func (d *Double) URL() string {
	if d.ln == nil {
		return ""
	}
	return "http://" + d.ln.Addr().String()
}

// Token is the bearer token the double accepts.
func (d *Double) Token() string { return d.token }

// Close stops a started Double and the requests it is serving.
func (d *Double) Close() error {
	if d.srv == nil {
		return nil
	}
	return d.srv.Close()
}

// Handler serves the double's API and its /_double/ inspection endpoints.
func (d *Double) Handler() http.Handler { return d.handler }

func (d *Double) routes() http.Handler {
	mux := http.NewServeMux()
	api := func(endpoint string, h http.HandlerFunc) { mux.Handle(endpoint, d.api(endpoint, h)) }
	api(EndpointBatchUpsert, d.batchUpsert)
	api(EndpointBatchRead, d.batchRead)
	api(EndpointCreateGroup, d.createGroup)
	api(EndpointListGroups, d.listGroups)
	api(EndpointReadGroup, d.readGroup)
	api(EndpointCreateProperty, d.createProperty)
	api(EndpointListProperties, d.listProperties)
	api(EndpointReadProperty, d.readProperty)
	api(EndpointListContacts, d.listContacts)
	mux.HandleFunc("GET /_double/state", d.serveState)
	mux.HandleFunc("GET "+PagePath+"{$}", d.servePage)
	mux.HandleFunc("POST /_double/faults", d.serveSetFaults)
	mux.HandleFunc("DELETE /_double/faults", d.serveClearFaults)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "OBJECT_NOT_FOUND",
			fmt.Sprintf("no endpoint %s %s in the hubspot double", r.Method, r.URL.Path))
	})
	return mux
}

// api wraps an endpoint with what every HubSpot request goes through:
// counting, the bearer token, the rate limit, and injected faults.
func (d *Double) api(endpoint string, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		d.counters.Calls[endpoint]++
		d.mu.Unlock()

		if r.Header.Get("Authorization") != "Bearer "+d.token {
			d.mu.Lock()
			d.counters.Unauthorized++
			d.mu.Unlock()
			writeError(w, http.StatusUnauthorized, "INVALID_AUTHENTICATION",
				"Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview")
			return
		}
		if scopes := d.missingScopes(endpoint); scopes != nil {
			writeMissingScopes(w, scopes)
			return
		}

		ok, remaining := d.admit()
		h2 := w.Header()
		h2.Set("X-HubSpot-RateLimit-Max", strconv.Itoa(d.rateLimit))
		h2.Set("X-HubSpot-RateLimit-Remaining", strconv.Itoa(remaining))
		h2.Set("X-HubSpot-RateLimit-Interval-Milliseconds", strconv.FormatInt(d.rateWindow.Milliseconds(), 10))
		if !ok {
			writeJSON(w, http.StatusTooManyRequests, map[string]any{
				"status":        "error",
				"message":       "You have reached your ten_secondly_rolling limit.",
				"errorType":     "RATE_LIMIT",
				"category":      "RATE_LIMITS",
				"correlationId": newCorrelationID(),
				"policyName":    "TEN_SECONDLY_ROLLING",
				"groupName":     "hiresync-double",
			})
			return
		}

		fault := d.drawFault()
		if fault.latency > 0 {
			t := time.NewTimer(fault.latency)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		switch {
		case fault.failStatus != 0:
			writeError(w, fault.failStatus, "INTERNAL_ERROR", "injected failure: the hubspot double was told to fail this request")
		case fault.lose != "":
			// Apply the request, then lose its answer.
			h(&discardWriter{header: http.Header{}}, r)
			d.loseResponse(w, fault.lose)
		default:
			h(w, r)
		}
	})
}

// admit records a request against the rolling window, or refuses it.
func (d *Double) admit() (ok bool, remaining int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := time.Now()
	cutoff := now.Add(-d.rateWindow)
	i := 0
	for i < len(d.accepted) && !d.accepted[i].After(cutoff) {
		i++
	}
	d.accepted = d.accepted[i:]
	if len(d.accepted) >= d.rateLimit {
		d.counters.RateLimited++
		return false, 0
	}
	d.accepted = append(d.accepted, now)
	return true, d.rateLimit - len(d.accepted)
}

func (d *Double) loseResponse(w http.ResponseWriter, mode LoseMode) {
	if mode == LoseDrop {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			_ = conn.Close()
			return
		}
	}
	writeError(w, http.StatusBadGateway, "INTERNAL_ERROR", "injected failure: the write was stored but its answer was lost")
}

// errorBody is HubSpot's standard error body.
type errorBody struct {
	Status        string              `json:"status"`
	Message       string              `json:"message"`
	CorrelationID string              `json:"correlationId"`
	Category      string              `json:"category"`
	SubCategory   string              `json:"subCategory,omitempty"`
	Context       map[string][]string `json:"context,omitempty"`
	Errors        []errorDetail       `json:"errors,omitempty"`
}

type errorDetail struct {
	Message string `json:"message"`
	Code    string `json:"code,omitempty"`
	In      string `json:"in,omitempty"`
}

func writeError(w http.ResponseWriter, status int, category, message string) {
	writeJSON(w, status, errorBody{
		Status:        "error",
		Message:       message,
		CorrelationID: newCorrelationID(),
		Category:      category,
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<20))
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "Invalid input JSON: "+err.Error())
		return false
	}
	return true
}

func newCorrelationID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	s := hex.EncodeToString(b[:])
	return s[0:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:]
}

// discardWriter takes the answer of a request whose response is to be lost.
type discardWriter struct{ header http.Header }

func (w *discardWriter) Header() http.Header         { return w.header }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(int)             {}
