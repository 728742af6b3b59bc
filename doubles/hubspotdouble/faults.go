package hubspotdouble

import (
	"net/http"
	"time"
)

// LoseMode says how the answer to a stored write is lost.
type LoseMode string

// The ways to lose an answer.
const (
	// LoseBadGateway answers 502 after applying the request.
	LoseBadGateway LoseMode = "502"
	// LoseDrop closes the connection without an answer after applying the
	// request.
	LoseDrop LoseMode = "drop"
)

// Faults tell the double to misbehave. They apply to API requests that pass
// the token and rate-limit checks, never to /_double/ endpoints. The zero
// value is a healthy double.
type Faults struct {
	// FailNext requests are answered FailStatus without being applied.
	FailNext int `json:"fail_next,omitempty"`
	// FailRate is the fraction (0 to 1) of requests answered FailStatus
	// without being applied, drawn from the double's seeded source.
	FailRate float64 `json:"fail_rate,omitempty"`
	// FailStatus is the status of failed answers; 503 when zero.
	FailStatus int `json:"fail_status,omitempty"`
	// Latency delays every answer.
	Latency time.Duration `json:"-"`
	// LoseNext requests are applied, and then their answer is lost as
	// LoseMode says (LoseBadGateway when empty).
	LoseNext int `json:"lose_next,omitempty"`
	// LoseRate is the fraction (0 to 1) of requests applied and then
	// answered as LoseMode says, drawn from the double's seeded source.
	LoseRate float64  `json:"lose_rate,omitempty"`
	LoseMode LoseMode `json:"lose_mode,omitempty"`
}

// SetFaults replaces the faults in force.
func (d *Double) SetFaults(f Faults) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.faults = f
}

// ClearFaults makes the double healthy again.
func (d *Double) ClearFaults() { d.SetFaults(Faults{}) }

// FailNext makes the next n requests answer status (e.g. 503) without
// applying them.
func (d *Double) FailNext(n, status int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.faults.FailNext = n
	d.faults.FailStatus = status
}

// LoseNext makes the next n requests apply and then lose their answer.
func (d *Double) LoseNext(n int, mode LoseMode) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.faults.LoseNext = n
	d.faults.LoseMode = mode
}

// SetLatency delays every answer by latency (0 for none).
func (d *Double) SetLatency(latency time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.faults.Latency = latency
}

type fault struct {
	latency    time.Duration
	failStatus int
	lose       LoseMode
}

// drawFault decides what happens to one request and uses up the counted
// faults it takes.
func (d *Double) drawFault() fault {
	d.mu.Lock()
	defer d.mu.Unlock()
	f := &d.faults
	out := fault{latency: f.Latency}
	status := f.FailStatus
	if status == 0 {
		status = http.StatusServiceUnavailable
	}
	switch {
	case f.FailNext > 0:
		f.FailNext--
		out.failStatus = status
	case f.FailRate > 0 && d.rng.Float64() < f.FailRate:
		out.failStatus = status
	case f.LoseNext > 0 || f.LoseRate > 0 && d.rng.Float64() < f.LoseRate:
		if f.LoseNext > 0 {
			f.LoseNext--
		}
		out.lose = f.LoseMode
		if out.lose == "" {
			out.lose = LoseBadGateway
		}
	}
	switch {
	case out.failStatus != 0:
		d.counters.Failed++
	case out.lose != "":
		d.counters.Lost++
	}
	return out
}

// faultsRequest is the JSON body of POST /_double/faults.
type faultsRequest struct {
	Faults
	Latency string `json:"latency,omitempty"` // a Go duration, e.g. "250ms"
}

func (d *Double) serveSetFaults(w http.ResponseWriter, r *http.Request) {
	var req faultsRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	if req.Latency != "" {
		l, err := time.ParseDuration(req.Latency)
		if err != nil {
			writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "latency: "+err.Error())
			return
		}
		req.Faults.Latency = l
	}
	d.SetFaults(req.Faults)
	w.WriteHeader(http.StatusNoContent)
}

func (d *Double) serveClearFaults(w http.ResponseWriter, _ *http.Request) {
	d.ClearFaults()
	w.WriteHeader(http.StatusNoContent)
}
