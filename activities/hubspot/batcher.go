package hubspot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultBatchWindow is how long the Batcher gathers requests before it
// sends them.
const DefaultBatchWindow = 50 * time.Millisecond

// BatcherConfig configures a Batcher. Zero fields take defaults.
type BatcherConfig struct {
	// Window is how long requests are gathered (DefaultBatchWindow).
	Window time.Duration
	// MaxBatch sends a batch as soon as it holds this many contacts
	// (MaxBatchInputs, which is also the most it may be).
	MaxBatch int
	// ReadProperties are the properties Read returns (ReadProperties).
	ReadProperties []string
	// ObserveBatch, if set, is told of every batch call the Batcher makes:
	// its kind (BatchUpsert or BatchRead) and how many inputs it carries,
	// for metrics. It must not block.
	ObserveBatch func(kind string, inputs int)
}

// The kinds of batch call, as BatcherConfig.ObserveBatch hears them.
const (
	BatchUpsert = "upsert"
	BatchRead   = "read"
)

// ReadProperties are the contact properties a Batcher reads by default.
var ReadProperties = []string{
	PropertyEmail, PropertyFirstName, PropertyLastName, PropertyLifecycleStage,
	PropertyCandidateID, PropertySourceJob, PropertyProfileURL, PropertyStage, PropertyTalentPool,
}

// Batcher coalesces concurrent upserts and reads of single contacts into
// batch calls: what arrives within the window, or until a batch is full,
// goes out in one call, and each caller gets its own result or error.
// Batches are sent concurrently, each in its own goroutine, through the
// client's limiter and breaker.
//
// Two upserts of the same email are never merged: the second one closes
// the batch that holds the first, and starts the next batch, so HubSpot
// never sees duplicate ids in one call. (Callers who need an order between
// two writes of one contact wait for the first, as Syncer does.)
type Batcher struct {
	client    *Client
	window    time.Duration
	max       int
	readProps []string
	observe   func(kind string, inputs int)

	mu    sync.Mutex
	ups   *upsertBatch
	reads *readBatch
}

// NewBatcher returns a Batcher in front of client.
func NewBatcher(client *Client, cfg BatcherConfig) *Batcher {
	if cfg.Window <= 0 {
		cfg.Window = DefaultBatchWindow
	}
	if cfg.MaxBatch <= 0 || cfg.MaxBatch > MaxBatchInputs {
		cfg.MaxBatch = MaxBatchInputs
	}
	if len(cfg.ReadProperties) == 0 {
		cfg.ReadProperties = ReadProperties
	}
	return &Batcher{client: client, window: cfg.Window, max: cfg.MaxBatch, readProps: cfg.ReadProperties, observe: cfg.ObserveBatch}
}

type upsertCall struct {
	ctx  context.Context
	in   UpsertInput
	done chan struct{}
	res  UpsertResult
	err  error
}

type upsertBatch struct {
	calls []*upsertCall
	keys  map[string]bool
	timer *time.Timer
}

type readCall struct {
	ctx     context.Context
	email   string
	done    chan struct{}
	contact Contact
	found   bool
	err     error
}

type readBatch struct {
	calls map[string][]*readCall // by email key
	order []string
	timer *time.Timer
}

// Upsert creates or updates one contact, in a batch with others.
func (b *Batcher) Upsert(ctx context.Context, in UpsertInput) (UpsertResult, error) {
	key := emailKey(in.Email)
	if key == "" {
		return UpsertResult{}, fmt.Errorf("upsert contact: no email: %w", ErrInvalidInput)
	}
	if err := ctx.Err(); err != nil {
		return UpsertResult{}, fmt.Errorf("upsert contact: %w", err)
	}
	call := &upsertCall{ctx: ctx, in: in, done: make(chan struct{})}

	b.mu.Lock()
	if b.ups != nil && b.ups.keys[key] {
		b.flushUpsertsLocked()
	}
	if b.ups == nil {
		batch := &upsertBatch{keys: map[string]bool{}}
		batch.timer = time.AfterFunc(b.window, func() {
			b.mu.Lock()
			defer b.mu.Unlock()
			if b.ups == batch {
				b.flushUpsertsLocked()
			}
		})
		b.ups = batch
	}
	b.ups.calls = append(b.ups.calls, call)
	b.ups.keys[key] = true
	if len(b.ups.calls) >= b.max {
		b.flushUpsertsLocked()
	}
	b.mu.Unlock()

	select {
	case <-call.done:
		return call.res, call.err
	case <-ctx.Done():
		return UpsertResult{}, fmt.Errorf("upsert contact: %w", ctx.Err())
	}
}

// Read reads one contact by email, in a batch with others. found is false
// when HubSpot has no such contact.
func (b *Batcher) Read(ctx context.Context, email string) (contact Contact, found bool, err error) {
	key := emailKey(email)
	if key == "" {
		return Contact{}, false, fmt.Errorf("read contact: no email: %w", ErrInvalidInput)
	}
	if err := ctx.Err(); err != nil {
		return Contact{}, false, fmt.Errorf("read contact: %w", err)
	}
	call := &readCall{ctx: ctx, email: email, done: make(chan struct{})}

	b.mu.Lock()
	if b.reads == nil {
		batch := &readBatch{calls: map[string][]*readCall{}}
		batch.timer = time.AfterFunc(b.window, func() {
			b.mu.Lock()
			defer b.mu.Unlock()
			if b.reads == batch {
				b.flushReadsLocked()
			}
		})
		b.reads = batch
	}
	if _, ok := b.reads.calls[key]; !ok {
		b.reads.order = append(b.reads.order, key)
	}
	b.reads.calls[key] = append(b.reads.calls[key], call)
	if len(b.reads.order) >= b.max {
		b.flushReadsLocked()
	}
	b.mu.Unlock()

	select {
	case <-call.done:
		return call.contact, call.found, call.err
	case <-ctx.Done():
		return Contact{}, false, fmt.Errorf("read contact: %w", ctx.Err())
	}
}

func (b *Batcher) flushUpsertsLocked() {
	batch := b.ups
	b.ups = nil
	batch.timer.Stop()
	go b.sendUpserts(batch.calls)
}

func (b *Batcher) flushReadsLocked() {
	batch := b.reads
	b.reads = nil
	batch.timer.Stop()
	go b.sendReads(batch)
}

// sendUpserts sends one batch of upserts and answers each caller. A batch
// HubSpot refuses as a whole with a validation error is split in halves
// and sent again, so that one bad input fails only its own caller.
func (b *Batcher) sendUpserts(calls []*upsertCall) {
	live := make([]*upsertCall, 0, len(calls))
	for _, c := range calls {
		if c.ctx.Err() == nil {
			live = append(live, c)
		}
	}
	if len(live) == 0 {
		return
	}
	ctxs := make([]context.Context, len(live))
	inputs := make([]UpsertInput, len(live))
	for i, c := range live {
		ctxs[i], inputs[i] = c.ctx, c.in
	}
	b.observeBatch(BatchUpsert, len(inputs))
	ctx, stop := batchContext(ctxs)
	results, err := b.client.BatchUpsertContacts(ctx, inputs)
	stop()

	var apiErr *APIError
	if err != nil && len(live) > 1 && errors.As(err, &apiErr) && apiErr.Status == http.StatusBadRequest {
		half := len(live) / 2
		b.sendUpserts(live[:half])
		b.sendUpserts(live[half:])
		return
	}
	for i, c := range live {
		if err != nil {
			c.err = err
		} else {
			c.res, c.err = results[i], results[i].Err
			if c.err != nil {
				c.err = fmt.Errorf("upsert contact: %w", c.err)
			}
		}
		close(c.done)
	}
}

func (b *Batcher) sendReads(batch *readBatch) {
	var emails []string
	var ctxs []context.Context
	keys := 0 // distinct emails: the inputs of the call
	for _, key := range batch.order {
		live := false
		for _, c := range batch.calls[key] {
			if c.ctx.Err() == nil {
				emails = append(emails, c.email)
				ctxs = append(ctxs, c.ctx)
				live = true
			}
		}
		if live {
			keys++
		}
	}
	if len(emails) == 0 {
		return
	}
	b.observeBatch(BatchRead, keys)
	ctx, stop := batchContext(ctxs)
	found, err := b.client.BatchReadContacts(ctx, emails, b.readProps)
	stop()
	for _, key := range batch.order {
		for _, c := range batch.calls[key] {
			if err != nil {
				c.err = err
			} else {
				c.contact, c.found = found[c.email]
			}
			close(c.done)
		}
	}
}

func (b *Batcher) observeBatch(kind string, inputs int) {
	if b.observe != nil {
		b.observe(kind, inputs)
	}
}

// batchContext is the context of one batch call: it keeps the values of
// the first caller's context and ends only when every caller's has ended,
// so one caller giving up does not fail the others.
func batchContext(ctxs []context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctxs[0]))
	remaining := atomic.Int64{}
	remaining.Store(int64(len(ctxs)))
	stops := make([]func() bool, len(ctxs))
	for i, c := range ctxs {
		stops[i] = context.AfterFunc(c, func() {
			if remaining.Add(-1) == 0 {
				cancel()
			}
		})
	}
	return ctx, func() {
		for _, s := range stops {
			s()
		}
		cancel()
	}
}
