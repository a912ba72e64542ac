package client

import (
	"context"
	"time"
)

// SetSleep replaces how the client waits between attempts, so tests can see
// the delays asked for (and move a test clock) without sleeping.
func SetSleep(c *Client, f func(ctx context.Context, d time.Duration) error) { c.sleep = f }
