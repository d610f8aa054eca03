package main

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

type logRecorder struct {
	mu    sync.Mutex
	lines []string
}

func (r *logRecorder) log(_ severity, msg string, _ bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, msg)
}

func (r *logRecorder) all() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.lines, "\n")
}

func remoteIn(s *testSSHServer, hostKey *string) remoteInputs {
	key := s.clientPEM
	return remoteInputs{
		commonInputs: commonInputs{AddPreviousOutputInEnv: true},
		Conn: &connection{Host: "127.0.0.1", Port: s.port, User: "test", PrivateKey: &key, HostKey: hostKey,
			DialErrorLimit: 0, PerDialTimeout: 5},
	}
}

func TestRemotePinnedHostKeyAccepted(t *testing.T) {
	t.Setenv("SSH_AUTH_SOCK", "")
	s := startSSHServer(t)
	pin := authorizedLine(s.hostKey.PublicKey()) + " comment@host"
	rec := &logRecorder{}
	out, errOut, err := runRemote(context.Background(), remoteIn(s, &pin),
		runSpec{command: "echo hello; echo oops >&2", log: rec.log, red: newRedactor(nil)})
	if err != nil {
		t.Fatal(err)
	}
	if out != "hello" || errOut != "oops" {
		t.Fatalf("stdout %q stderr %q", out, errOut)
	}
	if strings.Contains(rec.all(), "hostKey is not set") {
		t.Fatal("warned about a missing hostKey although one is pinned")
	}
}

func TestRemoteWrongHostKeyRefused(t *testing.T) {
	t.Setenv("SSH_AUTH_SOCK", "")
	s := startSSHServer(t)
	_, other := newKey(t)
	pin := authorizedLine(other.PublicKey())
	in := remoteIn(s, &pin)
	in.Conn.DialErrorLimit = 1
	_, _, err := runRemote(context.Background(), in, runSpec{command: "echo should-not-run", red: newRedactor(nil)})
	if err == nil {
		t.Fatal("connected although the host key does not match")
	}
	msg := err.Error()
	for _, want := range []string{"host key mismatch", s.addr, "after 2 failed attempts"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not mention %q", msg, want)
		}
	}
	if s.connection != 0 {
		t.Error("the server saw an authenticated connection")
	}
}

func TestRemoteNoHostKeyWarns(t *testing.T) {
	t.Setenv("SSH_AUTH_SOCK", "")
	s := startSSHServer(t)
	rec := &logRecorder{}
	if _, _, err := runRemote(context.Background(), remoteIn(s, nil), runSpec{command: "true", log: rec.log, red: newRedactor(nil)}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rec.all(), "hostKey is not set") {
		t.Fatalf("no warning about the unverified host key in %q", rec.all())
	}
}

func TestRemoteBadHostKeyText(t *testing.T) {
	if _, err := parseHostKeys("not a key"); err == nil {
		t.Fatal("accepted garbage as a host key")
	}
}

func TestRemoteUnreachableWithinBound(t *testing.T) {
	t.Setenv("SSH_AUTH_SOCK", "")
	// A port nobody listens on: bind, note, close.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	key := "unused"
	in := remoteInputs{commonInputs: commonInputs{}, Conn: &connection{Host: "127.0.0.1", Port: port, User: "u",
		Password: &key, DialErrorLimit: 3, PerDialTimeout: 1}}
	start := time.Now()
	_, _, err = runRemote(context.Background(), in, runSpec{command: "true", red: newRedactor(nil)})
	took := time.Since(start)
	if err == nil {
		t.Fatal("dialing a closed port succeeded")
	}
	if !strings.Contains(err.Error(), addr) || !strings.Contains(err.Error(), "after 4 failed attempts") {
		t.Fatalf("error %q should name %s and the attempts", err, addr)
	}
	// 3 retries: 0.1 + 0.15 + 0.225 s of back-off.
	if took > 3*time.Second {
		t.Fatalf("took %v", took)
	}
}

func TestRemoteSilentServerBoundedByPerDialTimeout(t *testing.T) {
	t.Setenv("SSH_AUTH_SOCK", "")
	// Accepts TCP but never speaks SSH.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	pw := "x"
	in := remoteInputs{Conn: &connection{Host: "127.0.0.1", Port: l.Addr().(*net.TCPAddr).Port, User: "u",
		Password: &pw, DialErrorLimit: 0, PerDialTimeout: 1}}
	start := time.Now()
	_, _, err = runRemote(context.Background(), in, runSpec{command: "true", red: newRedactor(nil)})
	if err == nil || time.Since(start) > 3*time.Second {
		t.Fatalf("err %v after %v", err, time.Since(start))
	}
}

func TestRemoteCancelStopsDialing(t *testing.T) {
	t.Setenv("SSH_AUTH_SOCK", "")
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	pw := "x"
	in := remoteInputs{Conn: &connection{Host: "127.0.0.1", Port: port, User: "u", Password: &pw, DialErrorLimit: -1, PerDialTimeout: 1}}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, _, err := runRemote(ctx, in, runSpec{command: "true", red: newRedactor(nil)})
	if err == nil || !strings.Contains(err.Error(), "cancelled") || time.Since(start) > 2*time.Second {
		t.Fatalf("err %v after %v", err, time.Since(start))
	}
}

func TestRemoteEnvStdinPrevOutput(t *testing.T) {
	t.Setenv("SSH_AUTH_SOCK", "")
	s := startSSHServer(t, "FOO", envPrevStdout, envPrevStderr)
	pin := authorizedLine(s.hostKey.PublicKey())
	in := remoteIn(s, &pin)
	in.Environment = map[string]string{"FOO": "bar"}
	stdin := "line1\nline2\n"
	in.Stdin = &stdin
	out, _, err := runRemote(context.Background(), in, runSpec{
		command: `echo "FOO=$FOO PREV=$PULUMI_COMMAND_STDOUT"; wc -l`, prevStdout: "old-out", red: newRedactor(nil)})
	if err != nil {
		t.Fatal(err)
	}
	if out != "FOO=bar PREV=old-out\n2" {
		t.Fatalf("stdout %q", out)
	}

	// addPreviousOutputInEnv false: not sent.
	in.AddPreviousOutputInEnv = false
	out, _, err = runRemote(context.Background(), in, runSpec{command: `echo "PREV=$PULUMI_COMMAND_STDOUT"`, prevStdout: "old-out", red: newRedactor(nil)})
	if err != nil || out != "PREV=" {
		t.Fatalf("stdout %q err %v", out, err)
	}
}

func TestRemoteEnvRefusedIsAnError(t *testing.T) {
	t.Setenv("SSH_AUTH_SOCK", "")
	s := startSSHServer(t) // accepts no env
	pin := authorizedLine(s.hostKey.PublicKey())
	in := remoteIn(s, &pin)
	in.Environment = map[string]string{"NOPE": "x"}
	_, _, err := runRemote(context.Background(), in, runSpec{command: "true", red: newRedactor(nil)})
	if err == nil || !strings.Contains(err.Error(), `"NOPE"`) {
		t.Fatalf("err %v", err)
	}
	// Previous output that the server refuses is only a warning.
	in.Environment = nil
	rec := &logRecorder{}
	if _, _, err := runRemote(context.Background(), in, runSpec{command: "true", prevStdout: "x", log: rec.log, red: newRedactor(nil)}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rec.all(), "Unable to set 'PULUMI_COMMAND_STDOUT'") {
		t.Fatalf("log %q", rec.all())
	}
}

func TestRemoteFailureAndLoggingNone(t *testing.T) {
	t.Setenv("SSH_AUTH_SOCK", "")
	s := startSSHServer(t)
	pin := authorizedLine(s.hostKey.PublicKey())
	in := remoteIn(s, &pin)
	secret := "s3cr3t-bundle-line-0123456789"
	in.Stdin = &secret
	in.Logging = LogNone
	rec := &logRecorder{}
	_, _, err := runRemote(context.Background(), in, runSpec{command: "cat >&2; echo >&2; printf 'fail%s\\n' ing >&2; exit 3",
		log: rec.log, red: newRedactor([]string{secret})})
	var e error = err
	if e == nil || !strings.Contains(e.Error(), "status 3") || !strings.Contains(e.Error(), "(command failed on test@"+s.addr) {
		t.Fatalf("err %v", e)
	}
	// The error says why (as upstream, whatever logging says), with the secret blanked.
	if strings.Contains(e.Error(), secret) || !strings.Contains(e.Error(), "failing") || !strings.Contains(e.Error(), "[secret]") {
		t.Fatalf("error must quote the output with the secret blanked: %v", e)
	}
	if rec.all() != "" {
		t.Fatalf("logged %q although logging is none", rec.all())
	}

	// Default logging: output streamed and quoted, but the secret blanked.
	in.Logging = ""
	rec = &logRecorder{}
	_, _, err = runRemote(context.Background(), in, runSpec{command: "cat >&2; echo >&2; printf 'fail%s\\n' ing >&2; exit 3",
		log: rec.log, red: newRedactor([]string{secret})})
	if err == nil || !strings.Contains(err.Error(), "failing") || strings.Contains(err.Error(), secret) {
		t.Fatalf("err %v", err)
	}
	if !strings.Contains(rec.all(), "failing") || strings.Contains(rec.all(), secret) {
		t.Fatalf("log %q", rec.all())
	}
}
