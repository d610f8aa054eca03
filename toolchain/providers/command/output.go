package main

// What a command prints: captured in full for the stdout/stderr outputs, streamed line by line to
// the engine log for the streams that "logging" allows, and quoted in the error when the command
// fails (both streams, whatever "logging" says, as upstream does: a failed deploy must say why).
// Every line that reaches the engine, and
// every error message, first goes through the redactor, which blanks the values of secret inputs.

import (
	"bytes"
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

// lockedBuffer is a bytes.Buffer safe for writes from two goroutines (stdout and stderr copiers).
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *lockedBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *lockedBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// capture collects a command's output.
type capture struct {
	stdout, stderr bytes.Buffer // full streams, for the outputs
	shown          lockedBuffer // both streams interleaved, for an error message
	logger         *lineLogger
	logging        Logging
}

func newCapture(logging Logging, log logFunc, red *redactor) *capture {
	return &capture{logging: logging, logger: &lineLogger{log: log, red: red}}
}

// writers returns the io.Writers to attach to the process's stdout and stderr.
func (c *capture) writers() (stdout, stderr io.Writer) {
	outs := []io.Writer{&c.stdout, &c.shown}
	if c.logging.logsStdout() {
		outs = append(outs, c.logger)
	}
	errs := []io.Writer{&c.stderr, &c.shown}
	if c.logging.logsStderr() {
		errs = append(errs, c.logger)
	}
	return io.MultiWriter(outs...), io.MultiWriter(errs...)
}

// finish flushes the log and returns the outputs: like upstream, one trailing newline is dropped.
func (c *capture) finish() (stdout, stderr string) {
	c.logger.Close()
	return strings.TrimSuffix(c.stdout.String(), "\n"), strings.TrimSuffix(c.stderr.String(), "\n")
}

const maxErrorOutput = 32 << 10

// failure builds the error for a command that failed: like upstream "<err>: running <cmd>:\n<output>"
// with both streams (the last 32 KiB of them), but the command text is left out when it is secret,
// and secret values are blanked.
func (c *capture) failure(runErr error, command string, commandSecret bool, red *redactor) error {
	cmdText := fmt.Sprintf("%q", command)
	if commandSecret {
		cmdText = "the command (secret, not shown)"
	}
	out := c.shown.String()
	if len(out) > maxErrorOutput {
		out = "[...]" + out[len(out)-maxErrorOutput:]
	}
	return fmt.Errorf("%s: running %s:\n%s", red.redact(runErr.Error()), red.redact(cmdText), red.redact(out))
}
