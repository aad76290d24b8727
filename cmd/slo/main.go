// Command slo works with service level objectives from the command line:
// it checks spec files, computes error budgets, and gates deploys on the
// budget a service has left.
//
// Usage:
//
//	slo <command> [flags] [arguments]
//
// The commands are:
//
//	demo       run a sample service whose error budgets move, live, in a dashboard
//	validate   check spec files and report every problem
//	generate   Prometheus recording and alerting rules (and promtool tests) from spec files
//	budget     the error budget of an objective, in time and events
//	gate       fail when an SLO's error budget is exhausted (for deploy pipelines)
//	version    print the version
//	help       print help for a command
//
// Run "slo help <command>" or "slo <command> -h" for a command's flags.
//
// Exit codes: 0 success, 1 the check failed (invalid spec, gate closed),
// 2 usage error or the data could not be fetched.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// Exit codes shared by every command.
const (
	exitOK    = 0 // success
	exitFail  = 1 // the check ran and failed: invalid spec, gate closed
	exitUsage = 2 // bad usage, or the data could not be read or fetched
)

// A command is one subcommand of slo. run gets the arguments after the
// command's name and returns the process's exit code; it writes only to
// stdout and stderr, so tests call it directly.
type command struct {
	name    string
	summary string // one line for "slo help"
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

// commands is the command table, in the order "slo help" lists them. To add
// a command, write its run function in a file of its own (demo.go,
// generate.go) and add one line here.
func commands() []command {
	return []command{
		{"demo", "run a sample service whose error budgets move, live, in a dashboard", runDemo},
		{"validate", "check spec files and report every problem", runValidate},
		{"generate", "Prometheus recording and alerting rules (and promtool tests) from spec files", runGenerate},
		{"budget", "the error budget of an objective, in time and events", runBudget},
		{"gate", "fail when an SLO's error budget is exhausted (for deploy pipelines)", runGate},
		{"version", "print the version", runVersion},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run dispatches args to a command and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		if name == "help" && len(rest) > 0 {
			if c, ok := lookup(rest[0]); ok {
				return c.run(ctx, []string{"-h"}, stdout, stdout)
			}
			fmt.Fprintf(stderr, "slo help: unknown command %q\n", rest[0])
			usage(stderr)
			return exitUsage
		}
		usage(stdout)
		return exitOK
	}
	c, ok := lookup(name)
	if !ok {
		fmt.Fprintf(stderr, "slo: unknown command %q\n", name)
		usage(stderr)
		return exitUsage
	}
	return c.run(ctx, rest, stdout, stderr)
}

func lookup(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func usage(w io.Writer) {
	fmt.Fprint(w, "slo works with service level objectives: spec files, error budgets, deploy gates.\n\n")
	fmt.Fprint(w, "Usage:\n\n\tslo <command> [flags] [arguments]\n\nThe commands are:\n\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "\t%-10s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, "\nRun \"slo help <command>\" or \"slo <command> -h\" for a command's flags.\n")
	fmt.Fprint(w, "Exit codes: 0 success, 1 check failed (invalid spec, gate closed), 2 usage or fetch error.\n")
}

// newFlagSet returns a flag set for a command whose help starts with the
// usage line and the description.
func newFlagSet(name, usageLine, description string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("slo "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		out := fs.Output()
		fmt.Fprintf(out, "usage: slo %s %s\n\n%s\n", name, usageLine, strings.TrimSpace(description))
		hasFlags := false
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if hasFlags {
			fmt.Fprint(out, "\nFlags:\n")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parseFlags parses args; when it returns false the command returns code:
// 0 after -h, 2 after a bad flag (the flag package has printed why).
func parseFlags(fs *flag.FlagSet, args []string) (code int, ok bool) {
	err := fs.Parse(args)
	switch {
	case err == nil:
		return 0, true
	case errors.Is(err, flag.ErrHelp):
		return exitOK, false
	}
	return exitUsage, false
}
