// Package ctxio lets a context bound the I/O of a connection that has
// deadlines (net.Conn, the HID and in-memory transports), and words the
// errors of I/O cut short that way as the context's. The framing and
// transport layers of hw/ share it so that every device link treats
// contexts alike.
package ctxio

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"
)

// deadliner is implemented by connections with I/O deadlines.
type deadliner interface {
	SetDeadline(t time.Time) error
}

// Bind applies ctx's deadline (none if ctx has none) and its cancellation
// to conn's I/O until the returned function runs. A cancelled context sets
// a deadline in the past, which ends pending reads and writes. A conn
// without SetDeadline is left alone.
func Bind(ctx context.Context, conn any) (release func()) {
	dl, ok := conn.(deadliner)
	if !ok {
		return func() {}
	}
	t, _ := ctx.Deadline()
	_ = dl.SetDeadline(t)
	stop := context.AfterFunc(ctx, func() { _ = dl.SetDeadline(time.Unix(1, 0)) })
	return func() { stop() }
}

// Ended returns the error of I/O that ctx cut short: ctx's error when it
// ended, or context.DeadlineExceeded when err is a transport deadline
// taken from ctx that fired before ctx's own timer; either wraps err's
// text. It returns nil when ctx did not end err.
func Ended(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("%w (%v)", cerr, err)
	}
	if _, has := ctx.Deadline(); has && errors.Is(err, os.ErrDeadlineExceeded) {
		return fmt.Errorf("%w (%v)", context.DeadlineExceeded, err)
	}
	return nil
}

// Err prefers the context's error when ctx ended err (see Ended), and
// returns err otherwise.
func Err(ctx context.Context, err error) error {
	if e := Ended(ctx, err); e != nil {
		return e
	}
	return err
}
