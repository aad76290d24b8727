package spec

import (
	"errors"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// syntaxError records a YAML syntax error at the line and column where a
// reader finds the mistake. The YAML parser reports the line of the
// enclosing construct, counted from zero for parser errors ("line 5" for
// a flow mapping left open on line 6), and no column; the position is
// worked out again from the text for the errors whose place is known.
func (d *decoder) syntaxError(data []byte, err error) {
	reported, msg := splitYAMLError(err)
	lines := strings.Split(string(data), "\n")
	line, col := reported, 0
	switch {
	case strings.HasPrefix(msg, "did not find expected ',' or '}'"), strings.HasPrefix(msg, "did not find expected ',' or ']'"):
		open := byte('{')
		what := "flow mapping"
		if strings.HasSuffix(msg, "']'") {
			open, what = '[', "flow sequence"
		}
		if l, c, ok := unclosedFlow(lines, open); ok {
			line, col = l, c
			msg = "this " + what + " is not closed (" + msg + ")"
		}
	case strings.HasPrefix(msg, "did not find expected"):
		// A parser error: the parser counts this line from zero, and it
		// is where the enclosing block starts; the mistake is the first
		// line after it that fits no place in the block.
		line = misplacedLine(lines, reported+1)
		if line <= len(lines) {
			col = indentOf(lines[line-1]) + 1
		}
	case strings.Contains(msg, "tab character"):
		for i := max(reported-1, 0); i < len(lines); i++ {
			indent := len(lines[i]) - len(strings.TrimLeft(lines[i], " \t"))
			if t := strings.IndexByte(lines[i][:indent], '\t'); t >= 0 {
				line, col = i+1, t+1
				break
			}
		}
	case msg == "found unexpected end of stream" && reported > 0 && reported <= len(lines):
		if q := strings.IndexAny(lines[reported-1], `"'`); q >= 0 {
			col = q + 1
			msg = "a quoted string starting here is not closed (" + msg + ")"
		}
	}
	d.errs = append(d.errs, &Error{File: d.file, Line: line, Column: col, Problem: "invalid YAML: " + msg})
}

// splitYAMLError returns the line an error of the YAML parser reports (0
// when none) and its message.
func splitYAMLError(err error) (int, string) {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return 0, strings.Join(te.Errors, "; ")
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	rest, ok := strings.CutPrefix(msg, "line ")
	if !ok {
		return 0, msg
	}
	num, text, ok := strings.Cut(rest, ": ")
	n, convErr := strconv.Atoi(num)
	if !ok || convErr != nil || n < 0 || n > 1<<30 {
		return 0, msg
	}
	return n, text
}

// unclosedFlow finds the outermost flow collection opened with open ('{'
// or '[') that is never closed, skipping quoted strings and comments, and
// returns its 1-based line and column.
func unclosedFlow(lines []string, open byte) (line, col int, ok bool) {
	type pos struct {
		c         byte
		line, col int
	}
	var stack []pos
	for i, l := range lines {
		var quote byte
		for j := 0; j < len(l); j++ {
			c := l[j]
			switch {
			case quote != 0:
				if c == quote {
					quote = 0
				} else if c == '\\' && quote == '"' {
					j++
				}
			case c == '"' || c == '\'':
				if j == 0 || strings.IndexByte(" \t{[,:", l[j-1]) >= 0 {
					quote = c
				}
			case c == '#' && (j == 0 || l[j-1] == ' ' || l[j-1] == '\t'):
				j = len(l)
			case c == '{' || c == '[':
				stack = append(stack, pos{c, i + 1, j + 1})
			case (c == '}' || c == ']') && len(stack) > 0:
				stack = stack[:len(stack)-1]
			}
		}
	}
	for _, p := range stack {
		if p.c == open {
			return p.line, p.col, true
		}
	}
	return 0, 0, false
}

func indentOf(l string) int { return len(l) - len(strings.TrimLeft(l, " ")) }

// misplacedLine returns the first line after the block starting on line
// start (1-based) whose indentation fits neither an entry of the block nor
// the content of one, or start when every line fits.
func misplacedLine(lines []string, start int) int {
	if start < 1 || start > len(lines) {
		return start
	}
	head := lines[start-1]
	base := indentOf(head)
	seq := strings.HasPrefix(strings.TrimSpace(head), "- ")
	content := base
	if seq {
		content = base + 2 + indentOf(head[base+2:])
	}
	for i := start; i < len(lines); i++ {
		text := strings.TrimSpace(lines[i])
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		ind := indentOf(lines[i])
		switch {
		case ind < base:
			return start
		case seq && ind == base && !strings.HasPrefix(text, "-"):
			return i + 1
		case seq && ind > base && ind < content:
			return i + 1
		case !seq && ind == base && (strings.HasPrefix(text, "- ") || !strings.Contains(text, ":")):
			return i + 1
		}
	}
	return start
}
