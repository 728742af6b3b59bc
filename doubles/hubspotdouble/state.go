package hubspotdouble

import (
	"maps"
	"net/http"
)

// Counters tell what the double was asked and how it answered.
type Counters struct {
	// Calls counts requests per endpoint (the Endpoint constants), whatever
	// their answer.
	Calls map[string]int `json:"calls"`
	// RateLimited counts requests answered 429.
	RateLimited int `json:"rate_limited"`
	// Unauthorized counts requests answered 401.
	Unauthorized int `json:"unauthorized"`
	// Failed counts requests failed on purpose (Faults.FailNext, FailRate).
	Failed int `json:"failed"`
	// Lost counts requests applied whose answer was lost (Faults.LoseNext).
	Lost int `json:"lost"`
}

// Counters returns a copy of the counters.
func (d *Double) Counters() Counters {
	d.mu.Lock()
	defer d.mu.Unlock()
	c := d.counters
	c.Calls = maps.Clone(d.counters.Calls)
	return c
}

// Calls is how many requests reached an endpoint (an Endpoint constant).
func (d *Double) Calls(endpoint string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.counters.Calls[endpoint]
}

// State is what GET /_double/state answers.
type State struct {
	Contacts []Contact       `json:"contacts"`
	Groups   []PropertyGroup `json:"groups"`
	// Properties lists only the properties created through the API.
	Properties []Property `json:"properties"`
	Counters   Counters   `json:"counters"`
}

// State returns everything the double holds.
func (d *Double) State() State {
	s := State{Contacts: d.Contacts(), Groups: d.Groups(), Properties: []Property{}, Counters: d.Counters()}
	for _, p := range d.Properties() {
		if !p.HubspotDefined {
			s.Properties = append(s.Properties, p)
		}
	}
	return s
}

func (d *Double) serveState(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, d.State())
}
