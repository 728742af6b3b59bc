package activities

import (
	"context"
	"time"
)

// SetRetrying makes every activity run as a retry (attempt 2) whose second
// look comes after settle, until the test ends.
func SetRetrying(cleanup func(func()), settle time.Duration) {
	attempt, wait := attemptOf, repostSettle
	attemptOf = func(context.Context) int32 { return 2 }
	repostSettle = settle
	cleanup(func() { attemptOf, repostSettle = attempt, wait })
}
