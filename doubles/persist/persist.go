// Package persist keeps a local double's state in a file: written
// atomically, and again in the background after each change.
package persist

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/google/renameio/v2"
)

// WriteFile replaces path with b atomically: a reader, or a process killed
// mid-write, sees the old file or the new one, never a part.
func WriteFile(path string, b []byte) error {
	return renameio.WriteFile(path, b, 0o600)
}

// Save writes state to path as JSON, atomically; double names
// whose state it is, in errors.
func Save(path, double string, state any) error {
	b, err := json.Marshal(state)
	if err == nil {
		err = WriteFile(path, append(b, '\n'))
	}
	if err != nil {
		return fmt.Errorf("save %s state to %s: %w", double, path, err)
	}
	return nil
}

// Load reads the state saved at path into state, once its "format" field
// is format: a file of another double, or of another version, is refused
// with an error naming it. A missing file satisfies errors.Is(err,
// fs.ErrNotExist).
func Load(path, double, format string, state any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("load %s state: %w", double, err)
	}
	var head struct {
		Format string `json:"format"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return fmt.Errorf("load %s state from %s: not a valid state file: %w", double, path, err)
	}
	if head.Format != format {
		return fmt.Errorf("load %s state from %s: format %q, want %q", double, path, head.Format, format)
	}
	if err := json.Unmarshal(b, state); err != nil {
		return fmt.Errorf("load %s state from %s: not a valid state file: %w", double, path, err)
	}
	return nil
}

// AutoSave calls save at the first tick and then whenever version has moved
// since the last successful save, at most once per interval, until ctx
// ends, so that a process killed without warning loses at most an
// interval's worth. save returns the version it wrote. It does not save
// when ctx ends: stop serving, then save. Failed saves are passed to report
// (when not nil) and tried again at the next tick.
func AutoSave(ctx context.Context, interval time.Duration, version func() uint64, save func() (uint64, error), report func(error)) {
	var saved uint64
	written := false
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if written && version() == saved {
			continue
		}
		v, err := save()
		if err != nil {
			if report != nil {
				report(err)
			}
			continue
		}
		saved, written = v, true
	}
}
