package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLocalEnvStdinPrevOutput(t *testing.T) {
	stdin := "a\nb\nc\n"
	in := localInputs{commonInputs: commonInputs{AddPreviousOutputInEnv: true, Stdin: &stdin,
		Environment: map[string]string{"FOO": "bar baz"}}}
	out, errOut, err := runLocal(context.Background(), in, runSpec{
		command:    `echo "$FOO|$PULUMI_COMMAND_STDOUT|$PULUMI_COMMAND_STDERR"; wc -l | tr -d ' '; echo warn >&2`,
		prevStdout: "p-out", prevStderr: "p-err", red: newRedactor(nil)})
	if err != nil {
		t.Fatal(err)
	}
	if out != "bar baz|p-out|p-err\n3" || errOut != "warn" {
		t.Fatalf("stdout %q stderr %q", out, errOut)
	}
	in.AddPreviousOutputInEnv = false
	out, _, err = runLocal(context.Background(), in, runSpec{command: `echo "[$PULUMI_COMMAND_STDOUT]"`, prevStdout: "p", red: newRedactor(nil)})
	if err != nil || out != "[]" {
		t.Fatalf("%q %v", out, err)
	}
}

func TestLocalEmptyStdinNotAttached(t *testing.T) {
	empty := ""
	in := localInputs{commonInputs: commonInputs{Stdin: &empty}}
	out, _, err := runLocal(context.Background(), in, runSpec{command: `cat; echo done`, red: newRedactor(nil)})
	if err != nil || out != "done" {
		t.Fatalf("%q %v", out, err)
	}
}

func TestLocalInterpreterDir(t *testing.T) {
	dir := t.TempDir()
	in := localInputs{Interpreter: []string{"/bin/bash", "-c"}, Dir: &dir}
	out, _, err := runLocal(context.Background(), in, runSpec{command: `echo "${BASH_VERSION:+bash} $(pwd)"`, red: newRedactor(nil)})
	if err != nil || out != "bash "+dir {
		t.Fatalf("%q %v", out, err)
	}
	missing := filepath.Join(dir, "nope")
	in.Dir = &missing
	if _, _, err := runLocal(context.Background(), in, runSpec{command: "true", red: newRedactor(nil)}); err == nil {
		t.Fatal("ran in a missing dir")
	}
}

func TestLocalFailureLogging(t *testing.T) {
	cases := []struct {
		logging          Logging
		wantOut, wantErr bool
	}{
		{"", true, true}, {LogStdoutAndStderr, true, true}, {LogStdout, true, false}, {LogStderr, false, true}, {LogNone, false, false},
	}
	for _, c := range cases {
		rec := &logRecorder{}
		in := localInputs{commonInputs: commonInputs{Logging: c.logging}}
		_, _, err := runLocal(context.Background(), in, runSpec{command: "printf 'to-%s\\n' out; printf 'to-%s\\n' err >&2; exit 7", log: rec.log, red: newRedactor(nil)})
		if err == nil || !strings.HasPrefix(err.Error(), "to-err\n") || !strings.Contains(err.Error(), "exit status 7") {
			t.Fatalf("%q: err %v", c.logging, err)
		}
		for _, x := range []struct {
			text string
			want bool
		}{{"to-out", c.wantOut}, {"to-err", c.wantErr}} {
			// The log follows logging; the error always quotes stderr (what says why), whatever logging says.
			if strings.Contains(rec.all(), x.text) != x.want {
				t.Errorf("logging %q: %s (logged: want %v) in error %q / log %q", c.logging, x.text, x.want, err, rec.all())
			}
		}
	}
}

func TestLocalSecretsRedacted(t *testing.T) {
	secret := "-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END KEY-----\n"
	in := localInputs{commonInputs: commonInputs{Stdin: &secret}}
	rec := &logRecorder{}
	out, _, err := runLocal(context.Background(), in, runSpec{command: "cat; cat /nonexistent-file-xyz", log: rec.log, red: newRedactor([]string{secret})})
	if err == nil {
		t.Fatal("expected failure")
	}
	if out != "" {
		t.Fatal("outputs returned on failure")
	}
	if strings.Contains(err.Error(), "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC") || strings.Contains(rec.all(), "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC") {
		t.Fatalf("secret leaked: err %q log %q", err, rec.all())
	}
	if !strings.Contains(rec.all(), redacted) {
		t.Fatalf("log %q", rec.all())
	}
	// A secret command is not quoted.
	_, _, err = runLocal(context.Background(), localInputs{}, runSpec{command: "exit 1 # token=abcdef", commandSecret: true, red: newRedactor(nil)})
	if err == nil || strings.Contains(err.Error(), "token=abcdef") {
		t.Fatalf("err %v", err)
	}
}

func TestLocalCancelKillsProcessGroup(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "survived")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, _, err := runLocal(ctx, localInputs{}, runSpec{command: "(sleep 2; touch " + marker + ") & sleep 30", red: newRedactor(nil)})
	if err == nil || !strings.Contains(err.Error(), "cancelled") || time.Since(start) > 5*time.Second {
		t.Fatalf("err %v after %v", err, time.Since(start))
	}
	time.Sleep(2500 * time.Millisecond)
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("a child of the cancelled command kept running")
	}
}

func TestGlobFiles(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"assets/logos/logo.svg", "src/index.js", "src/secret.js", "top.txt"} {
		p := filepath.Join(dir, f)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(f), 0o644)
	}
	got, err := globFiles(dir, []string{"assets/**", "src/**.js", "!**secret.*", "*.txt"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"assets/logos/logo.svg", "src/index.js", "top.txt"}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for _, w := range want {
		if _, ok := got[w]; !ok {
			t.Fatalf("missing %s in %v", w, got)
		}
	}
}

// The error of a failed command begins with the last lines of what it said on stderr, then where it
// ran; the command text (a script, with the program's data in it) is never quoted.
func TestFailureQuotesTheLastLinesOfStderrNotTheScript(t *testing.T) {
	script := "# SCRIPT-MARKER\nfor i in $(seq 1 30); do echo \"noise $i\" >&2; done\necho 'sudo: command not found' >&2\nexit 127"
	_, _, err := runLocal(context.Background(), localInputs{}, runSpec{command: script, red: newRedactor(nil)})
	if err == nil {
		t.Fatal("expected failure")
	}
	msg := err.Error()
	lines := strings.Split(msg, "\n")
	if len(lines) != errorLines+1 || lines[0] != "noise 22" || lines[errorLines-1] != "sudo: command not found" {
		t.Fatalf("want the last %d lines of stderr first, got %q", errorLines, msg)
	}
	want := "(command failed on the machine running Pulumi: exit status 127; 21 earlier lines of its stderr not shown)"
	if lines[errorLines] != want || strings.Contains(msg, "SCRIPT-MARKER") || strings.Contains(msg, "seq 1 30") {
		t.Fatalf("want %q last and no script text, got %q", want, msg)
	}
	// Nothing on stderr: stdout is what the command said.
	_, _, err = runLocal(context.Background(), localInputs{}, runSpec{command: "echo only-stdout; exit 2", red: newRedactor(nil)})
	if err == nil || err.Error() != "only-stdout\n(command failed on the machine running Pulumi: exit status 2)" {
		t.Fatalf("err %v", err)
	}
	_, _, err = runLocal(context.Background(), localInputs{}, runSpec{command: "exit 5", red: newRedactor(nil)})
	if err == nil || err.Error() != "(command failed on the machine running Pulumi: exit status 5), with no output" {
		t.Fatalf("err %v", err)
	}
}
