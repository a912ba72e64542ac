package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
)

// customerCmd is `satsrail customer forget --email E`: a privacy request's
// erasure of one customer's email and name from every merchant's sessions
// and their stored copies (gateway.Service.ForgetCustomer). The payments
// stay. It needs no master key: nothing it touches is sealed.
func customerCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "forget" {
		fmt.Fprint(stderr, "Usage: satsrail customer forget --email E [--json] [--data-dir DIR | --database-url URL]\n")
		if len(args) > 0 && (args[0] == "--help" || args[0] == "-h") {
			return errHelp
		}
		return errUsage
	}
	fs := newFlags("customer forget", "customer forget --email E [--json] [--data-dir DIR | --database-url URL]", stdout)
	sf := addStoreFlags(fs)
	email := fs.String("email", "", "the customer's email address (matched without regard to case)")
	asJSON := fs.Bool("json", false, "print the counts as JSON")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if *email == "" {
		fmt.Fprintln(stderr, "customer forget: --email is required")
		return errUsage
	}
	svc, closeStore, err := openService(ctx, sf)
	if err != nil {
		return err
	}
	defer closeStore()
	got, err := svc.ForgetCustomer(ctx, *email)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(map[string]int{"checkout_sessions": got.Sessions, "events": got.Events,
			"idempotent_replies": got.IdempotentReplies, "total": got.Total()})
	}
	fmt.Fprintf(stdout, "changed %d record(s): %d checkout session(s), %d event(s), %d stored idempotent reply(ies); payments kept\n",
		got.Total(), got.Sessions, got.Events, got.IdempotentReplies)
	return nil
}
