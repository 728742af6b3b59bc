// Package persist keeps a local double's state in a file: written
// atomically, and again in the background after each change.
package persist

import (
	"context"
	"time"

	"github.com/google/renameio/v2"
)

// WriteFile replaces path with b atomically: a reader, or a process killed
// mid-write, sees the old file or the new one, never a part.
func WriteFile(path string, b []byte) error {
	return renameio.WriteFile(path, b, 0o600)
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
