package handoffdouble

import (
	"context"
	"fmt"
	"time"

	"github.com/hiresync/hiresync/doubles/persist"
)

// stateFormat names the file format Save writes, so that Load refuses
// another double's file.
const stateFormat = "hiresync-handoff-double/1"

type savedState struct {
	Format string `json:"format"`
	State
}

// Save writes what the double received to path, atomically.
func (d *Double) Save(path string) error {
	_, err := d.save(path)
	return err
}

func (d *Double) save(path string) (uint64, error) {
	d.saveMu.Lock()
	defer d.saveMu.Unlock()
	d.mu.Lock()
	st := savedState{Format: stateFormat, State: State{Handoffs: append([]Handoff{}, d.handoffs...), Deliveries: append([]Delivery{}, d.deliveries...)}}
	version := d.changes
	d.mu.Unlock()
	return version, persist.Save(path, "hand-off double", st)
}

// Load replaces what the double received with what path holds; faults
// stay. A missing file satisfies errors.Is(err, fs.ErrNotExist).
func (d *Double) Load(path string) error {
	var st savedState
	if err := persist.Load(path, "hand-off double", stateFormat, &st); err != nil {
		return err
	}
	byID := make(map[string]int, len(st.Handoffs))
	for i, h := range st.Handoffs {
		if _, dup := byID[h.WebhookID]; dup || h.WebhookID == "" {
			return fmt.Errorf("load hand-off double state from %s: hand-off %d: missing or repeated webhook-id", path, i)
		}
		byID[h.WebhookID] = i
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.handoffs, d.deliveries, d.byID = st.Handoffs, st.Deliveries, byID
	d.changes++
	return nil
}

// AutoSave saves the double to path after changes, at most once per
// interval, until ctx ends (persist.AutoSave).
func (d *Double) AutoSave(ctx context.Context, path string, interval time.Duration, report func(error)) {
	version := func() uint64 {
		d.mu.Lock()
		defer d.mu.Unlock()
		return d.changes
	}
	persist.AutoSave(ctx, interval, version, func() (uint64, error) { return d.save(path) }, report)
}
