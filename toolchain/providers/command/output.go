package main

// What a command prints: captured in full for the stdout/stderr outputs, streamed line by line to
// the engine log for the streams that "logging" allows, and quoted in the error when the command
// fails (both streams, whatever "logging" says, as upstream does: a failed deploy must say why).
// Every line that reaches the engine, and
// every error message, first goes through the redactor, which blanks the values of secret inputs.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
)

// logFunc sends one message to the engine log. ephemeral messages are status updates shown while
// the resource is being worked on (upstream streams command output that way).
type logFunc func(sev severity, msg string, ephemeral bool)

type severity int

const (
	sevDebug severity = iota
	sevInfo
	sevWarning
	sevError
)

const redacted = "[secret]"

// redactor replaces secret values (and, for multi-line secrets such as a stdin bundle, each of
// their lines and long words) with "[secret]".
type redactor struct{ needles []string }

func newRedactor(secrets []string) *redactor {
	seen := map[string]bool{}
	var needles []string
	addNeedle := func(s string) {
		s = strings.TrimSpace(s)
		if len(s) < 4 || seen[s] { // too short to be worth blanking (and would blank everything)
			return
		}
		seen[s] = true
		needles = append(needles, s)
	}
	for _, s := range secrets {
		addNeedle(s)
		for _, line := range strings.Split(s, "\n") {
			if len(strings.TrimSpace(line)) >= 8 {
				addNeedle(line)
			}
			for _, word := range strings.Fields(line) {
				if len(word) >= 16 {
					addNeedle(word)
				}
			}
		}
	}
	// Longest first, so a whole secret is blanked before its parts.
	sort.SliceStable(needles, func(i, j int) bool { return len(needles[i]) > len(needles[j]) })
	return &redactor{needles: needles}
}

func (r *redactor) redact(s string) string {
	if r == nil {
		return s
	}
	for _, n := range r.needles {
		if strings.Contains(s, n) {
			s = strings.ReplaceAll(s, n, redacted)
		}
	}
	return s
}

// lineLogger is an io.Writer that sends complete lines to the engine log (ephemeral info status,
// as upstream does). Lines longer than maxLine are sent in pieces.
type lineLogger struct {
	mu   sync.Mutex
	buf  []byte
	log  logFunc
	red  *redactor
	done bool
}

const maxLine = 16 << 10

func (l *lineLogger) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.done {
		return len(p), nil
	}
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			if len(l.buf) >= maxLine {
				l.emit(string(l.buf[:maxLine]))
				l.buf = append([]byte(nil), l.buf[maxLine:]...)
				continue
			}
			return len(p), nil
		}
		l.emit(strings.TrimSuffix(string(l.buf[:i]), "\r"))
		l.buf = append([]byte(nil), l.buf[i+1:]...)
	}
}

func (l *lineLogger) emit(line string) {
	if l.log != nil {
		l.log(sevInfo, l.red.redact(line), true)
	}
}

// Close flushes a last line without newline.
func (l *lineLogger) Close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buf) > 0 {
		l.emit(string(l.buf))
		l.buf = nil
	}
	l.done = true
}

// capture collects a command's output.
type capture struct {
	stdout, stderr bytes.Buffer // full streams, for the outputs and the error of a failure
	logger         *lineLogger
	logging        Logging
}

func newCapture(logging Logging, log logFunc, red *redactor) *capture {
	return &capture{logging: logging, logger: &lineLogger{log: log, red: red}}
}

// writers returns the io.Writers to attach to the process's stdout and stderr.
func (c *capture) writers() (stdout, stderr io.Writer) {
	outs := []io.Writer{&c.stdout}
	if c.logging.logsStdout() {
		outs = append(outs, c.logger)
	}
	errs := []io.Writer{&c.stderr}
	if c.logging.logsStderr() {
		errs = append(errs, c.logger)
	}
	return io.MultiWriter(outs...), io.MultiWriter(errs...)
}

// warningMarker starts a stderr line that the command means as a warning for the user.
//
// Why: a command that carries secrets runs with logging "none", so nothing it prints reaches the
// user, and a successful delete shows nothing at all; yet some of what it did must be said (the
// broker's destroy putting back a conf.d file that opens an anonymous listener). Such a line,
// marked by the command itself (which vouches that it holds no secret), goes to the engine as a
// warning whatever "logging" says, once the command has ended, redacted like every other line.
const warningMarker = "::warning::"

// finish flushes the log, forwards the marked warnings of stderr, and returns the outputs: like
// upstream, one trailing newline is dropped.
func (c *capture) finish() (stdout, stderr string) {
	c.logger.Close()
	if c.logger.log != nil {
		for _, line := range warningLines(c.stderr.String()) {
			c.logger.log(sevWarning, c.logger.red.redact(line), false)
		}
	}
	return strings.TrimSuffix(c.stdout.String(), "\n"), strings.TrimSuffix(c.stderr.String(), "\n")
}

// warningLines returns the text of each line of s that begins with warningMarker (marker removed,
// each cut to maxErrorLine bytes).
func warningLines(s string) []string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		text, ok := strings.CutPrefix(strings.TrimRight(line, "\r"), warningMarker)
		if !ok || strings.TrimSpace(text) == "" {
			continue
		}
		if len(text) > maxErrorLine {
			text = text[:maxErrorLine] + "[...]"
		}
		out = append(out, strings.TrimSpace(text))
	}
	return out
}

// errorLines is how many of the last lines of a failed command's output its error quotes.
const errorLines = 10

// maxErrorLine bounds each quoted line, so one runaway line cannot flood the message.
const maxErrorLine = 400

// failure builds the error for a command that failed. It begins with what the command said: the
// last lines of its stderr (of its stdout when stderr is empty), secret values blanked; then one
// line saying where it ran and how it ended. The command text itself (a whole script, often) is
// never part of it: the error names the failure, not the code (see README.md in this folder).
func (c *capture) failure(runErr error, where string, red *redactor) error {
	said, dropped := lastLines(c.stderr.String(), errorLines)
	stream := "stderr"
	if said == "" {
		said, dropped = lastLines(c.stdout.String(), errorLines)
		stream = "stdout"
	}
	tail := fmt.Sprintf("(command failed on %s: %s", where, runErr.Error())
	if dropped > 0 {
		tail += fmt.Sprintf("; %d earlier lines of its %s not shown", dropped, stream)
	}
	tail += ")"
	if said == "" {
		return errors.New(red.redact(tail + ", with no output"))
	}
	return errors.New(red.redact(said + "\n" + tail))
}

// lastLines returns the last n non-empty lines of text (each cut to maxErrorLine bytes) and how
// many non-empty lines came before them.
func lastLines(text string, n int) (string, int) {
	var lines []string
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimRight(l, "\r ")
		if l == "" {
			continue
		}
		if len(l) > maxErrorLine {
			l = l[:maxErrorLine] + "[...]"
		}
		lines = append(lines, l)
	}
	dropped := 0
	if len(lines) > n {
		dropped = len(lines) - n
		lines = lines[dropped:]
	}
	return strings.Join(lines, "\n"), dropped
}
