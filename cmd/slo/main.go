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
//	serve      a dashboard and /slo report of every SLO in Prometheus (a whole fleet)
//	validate   check spec files and report every problem
//	generate   Prometheus recording and alerting rules (and promtool tests) from spec files
//	budget     the error budget of an objective, in time and events
//	gate       fail when an SLO's error budget is exhausted (for deploy pipelines)
//	version    print the version
//	help       print the commands, or the help of one command
//
// Run "slo help <command>" or "slo <command> -h" for a command's flags.
// Flags may come before, between or after the arguments, as -flag or
// --flag, with their value after "=" or as the next word; "--" ends the
// flags.
//
// Exit codes: 0 success, 1 the check failed (invalid spec, gate closed),
// 2 usage error, an input file that cannot be read, or data that could not
// be fetched.
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
		{"serve", "a dashboard and /slo report of every SLO in Prometheus (a whole fleet)", runServe},
		{"validate", "check spec files and report every problem", runValidate},
		{"generate", "Prometheus recording and alerting rules (and promtool tests) from spec files", runGenerate},
		{"budget", "the error budget of an objective, in time and events", runBudget},
		{"gate", "fail when an SLO's error budget is exhausted (for deploy pipelines)", runGate},
		{"version", "print the version", runVersion},
		{"help", "print the commands, or the help of one command", runHelp},
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
	case "-h", "-help", "--help":
		usage(stdout)
		return exitOK
	}
	c, ok := lookup(name)
	if !ok {
		fmt.Fprintf(stderr, "slo: unknown command %q; see \"slo help\"\n", name)
		return exitUsage
	}
	return c.run(ctx, rest, stdout, stderr)
}

const helpHelp = `
Print the list of commands, or the help of one command: its usage, what it
does, and its flags.`

func runHelp(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("help", "[COMMAND]", helpHelp, stderr)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	switch fs.NArg() {
	case 0:
		usage(stdout)
		return exitOK
	case 1:
	default:
		return usageError(fs, "give one command, not %q", fs.Args())
	}
	c, ok := lookup(fs.Arg(0))
	if !ok {
		fmt.Fprintf(stderr, "slo help: unknown command %q; see \"slo help\"\n", fs.Arg(0))
		return exitUsage
	}
	return c.run(ctx, []string{"-h"}, stdout, stdout)
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
	fmt.Fprint(w, "Flags may come before or after the arguments, as -flag or --flag; \"--\" ends them.\n")
	fmt.Fprint(w, "Exit codes: 0 success, 1 check failed (invalid spec, gate closed), 2 usage, read or fetch error.\n")
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

// parseFlags parses args as people type them: flags before, between and
// after the arguments, as -flag or --flag, with their value after "=" or as
// the next word; "--" ends the flags. Afterwards fs.Args() holds the
// arguments in their order. When it returns false the command returns code:
// 0 after -h (the help is printed), 2 after a bad flag (one line says why).
func parseFlags(fs *flag.FlagSet, args []string) (code int, ok bool) {
	flags, positional := splitArgs(fs, args)
	// The flag package prints the error and the whole help; say it in one
	// line instead, and print the help only when asked.
	out, help := fs.Output(), fs.Usage
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err := fs.Parse(append(append(flags, "--"), positional...))
	fs.SetOutput(out)
	fs.Usage = help
	switch {
	case err == nil:
		return exitOK, true
	case errors.Is(err, flag.ErrHelp):
		fs.Usage()
		return exitOK, false
	}
	return usageError(fs, "%v", err), false
}

// splitArgs separates the flags (each with its value, when the value is the
// next word) from the arguments. A word is a flag when it starts with "-"
// and is not "-" alone; a flag that is not a boolean takes the next word as
// its value unless it has "=". After "--" every word is an argument.
func splitArgs(fs *flag.FlagSet, args []string) (flags, positional []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return flags, append(positional, args[i+1:]...)
		case len(a) < 2 || a[0] != '-':
			positional = append(positional, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimPrefix(a[1:], "-")
		if strings.Contains(name, "=") {
			continue
		}
		f := fs.Lookup(name)
		if f == nil || isBoolFlag(f) || i+1 == len(args) {
			continue // an unknown flag or a missing value: Parse says so
		}
		i++
		flags = append(flags, args[i])
	}
	return flags, positional
}

// isBoolFlag reports whether f takes no value, as the flag package decides:
// its Value has an IsBoolFlag method that returns true.
func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// usageError prints one line, "slo CMD: why; see "slo help CMD"", and
// returns the usage exit code.
func usageError(fs *flag.FlagSet, format string, a ...any) int {
	fmt.Fprintf(fs.Output(), "%s: %s; see \"slo help %s\"\n", fs.Name(), fmt.Sprintf(format, a...), strings.TrimPrefix(fs.Name(), "slo "))
	return exitUsage
}

// checkFiles reports, one line each, the input files that cannot be read
// (missing, unreadable, or a directory), and returns false if there is one.
func checkFiles(fs *flag.FlagSet, paths ...string) bool {
	ok := true
	for _, p := range paths {
		if err := readable(p); err != nil {
			fmt.Fprintf(fs.Output(), "%s: %v\n", fs.Name(), err)
			ok = false
		}
	}
	return ok
}

// readable returns an error naming path when it cannot be opened for
// reading or is a directory.
func readable(path string) error {
	f, err := os.Open(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return fmt.Errorf("%s: %w", path, pe.Err)
		}
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if st.IsDir() {
		return fmt.Errorf("%s: is a directory", path)
	}
	return nil
}
