// Package ingress is hiresync's HTTP front door: it verifies ClarityHire's
// signed webhooks and hands each event to its candidate's Temporal workflow,
// answering 202 only once Temporal has it.
package ingress

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/signature"
)

// MaxBodyBytes is the largest webhook body accepted (413 above).
const MaxBodyBytes = 1 << 20

const (
	// signalTimeout keeps our answer well under ClarityHire's 10 s.
	signalTimeout = 5 * time.Second
	// retryAfter is what a 503 asks ClarityHire to wait, in seconds.
	retryAfter = "5"
)

// Temporal is the part of the Temporal client the ingress uses.
type Temporal interface {
	SignalWithStartWorkflow(ctx context.Context, workflowID, signalName string, signalArg any,
		options client.StartWorkflowOptions, workflow any, workflowArgs ...any) (client.WorkflowRun, error)
	CheckHealth(ctx context.Context, request *client.CheckHealthRequest) (*client.CheckHealthResponse, error)
}

// Config is what the ingress needs to run.
type Config struct {
	Addr      string
	TaskQueue string
	Keys      []signature.Key
	// SlackSigningSecret (SLACK_SIGNING_SECRET) verifies the requests Slack
	// sends to hiresync.SlackInteractivityPath; empty turns that path off (404).
	SlackSigningSecret string
	// Now is the clock for timestamp checks and received-at; nil means time.Now.
	Now func() time.Time
	// Tuning is put in the input of the workflows the ingress starts.
	Tuning hiresync.WorkflowTuning
}

// Server is the ingress HTTP handler.
type Server struct {
	cfg      Config
	temporal Temporal
	verifier *signature.Verifier
	log      *slog.Logger
	metrics  *metrics
	engine   *gin.Engine
}

// New builds the ingress. reg receives the ingress metrics and is served at
// /metrics.
func New(cfg Config, tc Temporal, log *slog.Logger, reg *prometheus.Registry) *Server {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.TaskQueue == "" {
		cfg.TaskQueue = hiresync.DefaultTaskQueue
	}
	gin.SetMode(gin.ReleaseMode)
	s := &Server{
		cfg:      cfg,
		temporal: tc,
		verifier: signature.NewVerifier(cfg.Keys, cfg.Now),
		log:      log,
		metrics:  newMetrics(reg),
		engine:   gin.New(),
	}
	s.engine.Use(gin.Recovery())
	s.engine.POST(hiresync.WebhookPath, s.webhook)
	s.engine.POST(hiresync.SlackInteractivityPath, s.slackInteractivity)
	s.engine.GET(hiresync.HealthPath, func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	s.engine.GET(hiresync.ReadyPath, s.ready)
	s.engine.GET(hiresync.MetricsPath, gin.WrapH(promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})))
	s.engine.NoRoute(func(c *gin.Context) { c.JSON(http.StatusNotFound, gin.H{"error": "no such path"}) })
	s.engine.NoMethod(func(c *gin.Context) { c.JSON(http.StatusMethodNotAllowed, gin.H{"error": "method not allowed"}) })
	s.engine.HandleMethodNotAllowed = true
	return s
}

// Handler returns the HTTP handler, for tests and for embedding.
func (s *Server) Handler() http.Handler { return s.engine }

// Run serves on cfg.Addr until ctx ends, then stops accepting and lets
// in-flight requests finish.
func (s *Server) Run(ctx context.Context) error {
	srv := &http.Server{
		Addr:              s.cfg.Addr,
		Handler:           s.engine,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      15 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	s.log.Info("ingress listening", "addr", s.cfg.Addr, "path", hiresync.WebhookPath)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return err
	}
	s.log.Info("ingress stopped")
	return nil
}

// accepted is the answer to a webhook Temporal took.
type accepted struct {
	EventID    string `json:"event_id"`
	WorkflowID string `json:"workflow_id"`
}

// outcome is what one webhook request came to, for the log line and metrics.
type outcome struct {
	status      int
	result      string
	eventID     string
	eventType   string
	candidateID string
	reason      string
}

func (s *Server) webhook(c *gin.Context) {
	start := time.Now()
	o := s.handle(c)
	latency := time.Since(start)
	s.metrics.requests.WithLabelValues(o.result).Inc()
	s.metrics.duration.WithLabelValues(o.result).Observe(latency.Seconds())
	attrs := make([]slog.Attr, 0, 7)
	attrs = append(attrs,
		slog.String("event_id", o.eventID), slog.String("event_type", o.eventType), slog.String("candidate_id", o.candidateID),
		slog.Int("status", o.status), slog.String("outcome", o.result), slog.Float64("latency_ms", float64(latency.Microseconds())/1000),
	)
	if o.reason != "" {
		attrs = append(attrs, slog.String("reason", o.reason))
	}
	level := slog.LevelInfo
	if o.status >= 500 {
		level = slog.LevelWarn
	}
	s.log.LogAttrs(c.Request.Context(), level, "webhook", attrs...)
}

func (s *Server) handle(c *gin.Context) outcome {
	// The header id is only trusted (and logged) once the signature holds.
	reject := func(status int, result string, err error) outcome {
		c.JSON(status, gin.H{"error": err.Error()})
		return outcome{status: status, result: result, reason: err.Error()}
	}
	body, status, result, err := readBody(c, MaxBodyBytes)
	if err != nil {
		return reject(status, result, err)
	}
	id := c.Request.Header.Get(signature.HeaderID)
	if err := s.verifier.Verify(c.Request.Header, body); err != nil {
		s.metrics.signatureFailures.Inc()
		return reject(http.StatusUnauthorized, "bad_signature", err)
	}
	ev, err := ParseEvent(body)
	if err != nil {
		o := reject(http.StatusBadRequest, "bad_event", err)
		o.eventID = id
		return o
	}
	o := outcome{eventID: ev.ID, eventType: ev.Type, candidateID: ev.Data.Candidate.ID}
	if ev.ID != id {
		o2 := reject(http.StatusBadRequest, "bad_event", errors.New("webhook-id header does not match the body's id"))
		o2.eventID, o2.eventType, o2.candidateID = o.eventID, o.eventType, o.candidateID
		return o2
	}
	ev.ReceivedAt = s.cfg.Now().UTC()
	wid := hiresync.WorkflowID(ev.Data.Candidate.ID)
	ctx, cancel := context.WithTimeout(c.Request.Context(), signalTimeout)
	defer cancel()
	began := time.Now()
	_, err = s.temporal.SignalWithStartWorkflow(ctx, wid, hiresync.SignalName, ev, StartOptions(s.cfg.TaskQueue, ev),
		hiresync.WorkflowType, s.initialState(ev.Data.Candidate.ID))
	s.metrics.signalLatency.Observe(time.Since(began).Seconds())
	if err != nil {
		c.Header("Retry-After", retryAfter)
		o.status, o.result, o.reason = http.StatusServiceUnavailable, "temporal_unavailable", err.Error()
		c.JSON(o.status, gin.H{"error": "temporal is unavailable; retry later"})
		return o
	}
	o.status, o.result = http.StatusAccepted, "accepted"
	c.JSON(o.status, accepted{EventID: ev.ID, WorkflowID: wid})
	return o
}

// initialState is the input of a candidate's first run.
func (s *Server) initialState(candidateID string) hiresync.CandidateState {
	st := hiresync.NewState(candidateID)
	st.Options = s.cfg.Tuning
	return st
}

// StartOptions are the options of the ingress's signal-with-start of a
// candidate's workflow (exported for the benchmarks' direct baseline).
func StartOptions(taskQueue string, ev hiresync.Event) client.StartWorkflowOptions {
	wid := hiresync.WorkflowID(ev.Data.Candidate.ID)
	return client.StartWorkflowOptions{
		ID:                       wid,
		TaskQueue:                taskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		TypedSearchAttributes:    hiresync.StartAttributes(ev),
		StaticSummary:            hiresync.WorkflowSummary(ev),
		StaticDetails:            hiresync.WorkflowDetails(ev),
	}
}

func (s *Server) ready(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	if _, err := s.temporal.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		c.Header("Retry-After", retryAfter)
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "temporal unreachable"})
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready"})
}

// readBody reads a request body of at most limit bytes. On failure it
// returns the status and outcome to answer with, and why.
func readBody(c *gin.Context, limit int) (body []byte, status int, result string, err error) {
	tooLarge := errors.New("body is larger than " + strconv.Itoa(limit) + " bytes")
	if c.Request.ContentLength > int64(limit) {
		return nil, http.StatusRequestEntityTooLarge, "too_large", tooLarge
	}
	// Read into a buffer of the announced size at once, rather than
	// growing one from 512 bytes.
	buf := bytes.NewBuffer(make([]byte, 0, max(min(c.Request.ContentLength, int64(limit)), 0)+bytes.MinRead))
	_, err = buf.ReadFrom(http.MaxBytesReader(c.Writer, c.Request.Body, int64(limit)))
	body = buf.Bytes()
	var overLimit *http.MaxBytesError
	switch {
	case errors.As(err, &overLimit):
		return nil, http.StatusRequestEntityTooLarge, "too_large", tooLarge
	case err != nil:
		return nil, http.StatusBadRequest, "unreadable", errors.New("could not read the request body")
	}
	return body, 0, "", nil
}
