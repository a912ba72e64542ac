package main

import (
	"context"
	"io"
)

func doctorCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errUsage
}
