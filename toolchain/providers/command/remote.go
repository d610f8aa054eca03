package main

// command:remote:Command: runs the command over SSH (golang.org/x/crypto/ssh).
//
// Host keys: with connection.hostKey (authorized_keys format, "ssh-ed25519 AAAA... [comment]";
// several lines = several accepted keys) the server's key must be one of them, else the dial fails
// with an error naming host:port and both fingerprints. Without hostKey upstream accepts any host
// key; so does this provider, but it says so in a warning on the engine log each time.
//
// Dialing: up to dialErrorLimit failed attempts are retried (-1 = no limit; default 10) with
// upstream's back-off (0.1 s, x1.5, at most 5 s); the (dialErrorLimit+1)-th failure ends the
// operation with "dialing host:port: after N failed attempts: <last error>". Each attempt (TCP
// connect and SSH handshake) is bounded by perDialTimeout seconds (default 15, 0 = no bound).

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// parseHostKeys parses connection.hostKey: one or more authorized_keys-style lines.
func parseHostKeys(text string) ([]ssh.PublicKey, error) {
	var keys []ssh.PublicKey
	rest := []byte(text)
	for len(bytes.TrimSpace(rest)) > 0 {
		k, _, _, r, err := ssh.ParseAuthorizedKey(rest)
		if err != nil {
			return nil, fmt.Errorf("failed to parse host key (expected an authorized_keys line such as \"ssh-ed25519 AAAA...\"): %w", err)
		}
		keys = append(keys, k)
		rest = r
	}
	if len(keys) == 0 {
		return nil, errors.New("hostKey is empty")
	}
	return keys, nil
}

// hostKeyAlgorithms are the signature algorithms to offer for the pinned keys, so that the server
// presents a key of a pinned type (for RSA keys: the SHA-2 algorithms as well as ssh-rsa).
func hostKeyAlgorithms(keys []ssh.PublicKey) []string {
	var algs []string
	seen := map[string]bool{}
	add := func(a string) {
		if !seen[a] {
			seen[a] = true
			algs = append(algs, a)
		}
	}
	for _, k := range keys {
		if k.Type() == ssh.KeyAlgoRSA {
			add(ssh.KeyAlgoRSASHA512)
			add(ssh.KeyAlgoRSASHA256)
		}
		add(k.Type())
	}
	return algs
}

// HostKeyMismatchError is returned when the server's host key is not the pinned one.
type HostKeyMismatchError struct {
	Endpoint string
	Got      ssh.PublicKey
	Want     []ssh.PublicKey
}

func (e *HostKeyMismatchError) Error() string {
	var want []string
	for _, k := range e.Want {
		want = append(want, k.Type()+" "+ssh.FingerprintSHA256(k))
	}
	return fmt.Sprintf("host key mismatch for %s: the server presented %s %s, but connection.hostKey pins %s; "+
		"refusing to connect (another machine answers at this address, or its host key changed)",
		e.Endpoint, e.Got.Type(), ssh.FingerprintSHA256(e.Got), strings.Join(want, " or "))
}

func pinnedHostKeyCallback(endpoint string, want []ssh.PublicKey) ssh.HostKeyCallback {
	return func(_ string, _ net.Addr, key ssh.PublicKey) error {
		for _, w := range want {
			if bytes.Equal(key.Marshal(), w.Marshal()) {
				return nil
			}
		}
		return &HostKeyMismatchError{Endpoint: endpoint, Got: key, Want: want}
	}
}

func (c *connection) endpoint() string {
	return net.JoinHostPort(c.Host, strconv.Itoa(c.Port))
}

func (c *connection) perDial() time.Duration {
	return time.Duration(c.PerDialTimeout) * time.Second
}

// sshConfig builds the client configuration: auth by private key, password (and
// keyboard-interactive with it) and the SSH agent (agentSocketPath, else $SSH_AUTH_SOCK), as
// upstream does; host key check as described above.
func (c *connection) sshConfig(what string, log logFunc) (*ssh.ClientConfig, func(), error) {
	cfg := &ssh.ClientConfig{User: c.User, Timeout: c.perDial()}
	endpoint := c.endpoint()
	if c.HostKey != nil {
		keys, err := parseHostKeys(*c.HostKey)
		if err != nil {
			return nil, nil, fmt.Errorf("%s.hostKey: %w", what, err)
		}
		cfg.HostKeyCallback = pinnedHostKeyCallback(endpoint, keys)
		cfg.HostKeyAlgorithms = hostKeyAlgorithms(keys)
	} else {
		cfg.HostKeyCallback = func(_ string, _ net.Addr, key ssh.PublicKey) error {
			if log != nil {
				log(sevWarning, fmt.Sprintf("%s.hostKey is not set: accepting the host key %s %s that %s presented without verification",
					what, key.Type(), ssh.FingerprintSHA256(key), endpoint), false)
			}
			return nil
		}
	}
	if c.PrivateKey != nil {
		var signer ssh.Signer
		var err error
		if c.PrivateKeyPassword != nil {
			signer, err = ssh.ParsePrivateKeyWithPassphrase([]byte(*c.PrivateKey), []byte(*c.PrivateKeyPassword))
		} else {
			signer, err = ssh.ParsePrivateKey([]byte(*c.PrivateKey))
		}
		if err != nil {
			// The parser's messages never quote the key.
			return nil, nil, fmt.Errorf("%s.privateKey: %w", what, err)
		}
		cfg.Auth = append(cfg.Auth, ssh.PublicKeys(signer))
	}
	if c.Password != nil {
		pw := *c.Password
		cfg.Auth = append(cfg.Auth, ssh.Password(pw),
			ssh.KeyboardInteractive(func(_, _ string, questions []string, _ []bool) ([]string, error) {
				answers := make([]string, len(questions))
				for i := range answers {
					answers[i] = pw
				}
				return answers, nil
			}))
	}
	cleanup := func() {}
	sock := ""
	if c.AgentSocketPath != nil {
		sock = *c.AgentSocketPath
	} else {
		sock = os.Getenv("SSH_AUTH_SOCK")
	}
	if sock != "" {
		conn, err := net.Dial("unix", sock)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: SSH agent at %s: %w", what, sock, err)
		}
		cfg.Auth = append(cfg.Auth, ssh.PublicKeysCallback(agent.NewClient(conn).Signers))
		cleanup = func() { conn.Close() }
	}
	return cfg, cleanup, nil
}

// handshake runs the SSH handshake on conn within the per-dial bound.
func handshake(ctx context.Context, conn net.Conn, endpoint string, cfg *ssh.ClientConfig, bound time.Duration) (*ssh.Client, error) {
	if bound > 0 {
		_ = conn.SetDeadline(time.Now().Add(bound))
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	c, chans, reqs, err := ssh.NewClientConn(conn, endpoint, cfg)
	if err != nil {
		conn.Close()
		return nil, err
	}
	_ = conn.SetDeadline(time.Time{})
	return ssh.NewClient(c, chans, reqs), nil
}

// dialOnce makes one connection attempt to c, directly or through an established proxy client.
func dialOnce(ctx context.Context, c *connection, cfg *ssh.ClientConfig, via *ssh.Client) (*ssh.Client, error) {
	endpoint := c.endpoint()
	var conn net.Conn
	var err error
	if via == nil {
		d := net.Dialer{Timeout: c.perDial()}
		conn, err = d.DialContext(ctx, "tcp", endpoint)
	} else {
		dctx := ctx
		if b := c.perDial(); b > 0 {
			var cancel context.CancelFunc
			dctx, cancel = context.WithTimeout(ctx, b)
			defer cancel()
		}
		conn, err = via.DialContext(dctx, "tcp", endpoint)
	}
	if err != nil {
		return nil, err
	}
	client, err := handshake(ctx, conn, endpoint, cfg, c.perDial())
	if err != nil {
		return nil, fmt.Errorf("ssh handshake with %s: %w", endpoint, err)
	}
	return client, nil
}

// Back-off of upstream's retry loop (pulumi sdk retry.Until defaults).
var (
	retryDelay    = 100 * time.Millisecond
	retryBackoff  = 1.5
	retryMaxDelay = 5 * time.Second
)

// withRetry calls f until it succeeds, it failed limit+1 times (limit -1: no limit), or ctx ends.
func withRetry[T any](ctx context.Context, label string, limit int, log logFunc, f func() (T, error)) (T, error) {
	var zero T
	delay := retryDelay
	for failures := 1; ; failures++ {
		v, err := f()
		if err == nil {
			return v, nil
		}
		if ctx.Err() != nil {
			return zero, fmt.Errorf("%s: cancelled: %w", label, err)
		}
		if limit >= 0 && failures > limit {
			return zero, fmt.Errorf("%s: after %d failed attempts: %w", label, failures, err)
		}
		if log != nil {
			max := "inf"
			if limit >= 0 {
				max = strconv.Itoa(limit + 1)
			}
			log(sevInfo, fmt.Sprintf("%s: attempt %d/%s failed (%v): retrying", label, failures, max, err), true)
		}
		if delay > retryMaxDelay {
			delay = retryMaxDelay
		}
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return zero, fmt.Errorf("%s: cancelled: %w", label, err)
		}
		delay = time.Duration(float64(delay) * retryBackoff)
	}
}

// dial connects to the remote host (through connection.proxy when set).
func (c *connection) dial(ctx context.Context, log logFunc) (*ssh.Client, func(), error) {
	cfg, cleanup, err := c.sshConfig("connection", log)
	if err != nil {
		return nil, nil, err
	}
	var proxy *ssh.Client
	if c.Proxy != nil {
		pcfg, pcleanup, err := c.Proxy.sshConfig("connection.proxy", log)
		if err != nil {
			cleanup()
			return nil, nil, err
		}
		defer pcleanup()
		proxy, err = withRetry(ctx, "dialing proxy "+c.Proxy.endpoint(), c.Proxy.DialErrorLimit, log,
			func() (*ssh.Client, error) { return dialOnce(ctx, c.Proxy, pcfg, nil) })
		if err != nil {
			cleanup()
			return nil, nil, fmt.Errorf("proxy: %w", err)
		}
	}
	label := "dialing " + c.endpoint()
	if proxy != nil {
		label += " via proxy " + c.Proxy.endpoint()
	}
	client, err := withRetry(ctx, label, c.DialErrorLimit, log,
		func() (*ssh.Client, error) { return dialOnce(ctx, c, cfg, proxy) })
	if err != nil {
		if proxy != nil {
			proxy.Close()
		}
		cleanup()
		return nil, nil, err
	}
	closeAll := func() {
		client.Close()
		if proxy != nil {
			proxy.Close()
		}
		cleanup()
	}
	return client, closeAll, nil
}

func setenvWarning(key string) string {
	return fmt.Sprintf("Unable to set '%s'. This only works if your SSH server is configured to accept "+
		"these variables via AcceptEnv. Alternatively, if a Bash-like shell runs the command on the remote host, "+
		"you could prefix the command itself with the variables in the form 'VAR=value command'", key)
}

func runRemote(ctx context.Context, in remoteInputs, spec runSpec) (stdout, stderr string, err error) {
	client, closeAll, err := in.Conn.dial(ctx, spec.log)
	if err != nil {
		return "", "", errors.New(spec.red.redact(err.Error()))
	}
	defer closeAll()

	session, err := client.NewSession()
	if err != nil {
		return "", "", fmt.Errorf("opening an SSH session on %s: %w", in.Conn.endpoint(), err)
	}
	defer session.Close()

	for k, v := range in.Environment {
		if err := session.Setenv(k, v); err != nil {
			if spec.log != nil {
				spec.log(sevError, setenvWarning(k), false)
			}
			return "", "", fmt.Errorf("could not set environment variable %q: %w", k, err)
		}
	}
	if in.AddPreviousOutputInEnv {
		for _, kv := range [][2]string{{envPrevStdout, spec.prevStdout}, {envPrevStderr, spec.prevStderr}} {
			if kv[1] == "" {
				continue
			}
			if err := session.Setenv(kv[0], kv[1]); err != nil && spec.log != nil {
				spec.log(sevWarning, setenvWarning(kv[0]), false)
			}
		}
	}
	if in.Stdin != nil && len(*in.Stdin) > 0 {
		session.Stdin = strings.NewReader(*in.Stdin)
	}

	c := newCapture(in.Logging, spec.log, spec.red)
	session.Stdout, session.Stderr = c.writers()

	// Cancellation: signal the remote process, then tear the connection down.
	stop := context.AfterFunc(ctx, func() {
		_ = session.Signal(ssh.SIGTERM)
		time.Sleep(2 * time.Second)
		session.Close()
		closeAll()
	})
	runErr := session.Run(spec.command)
	stop()
	stdout, stderr = c.finish()
	if runErr != nil {
		if ctx.Err() != nil {
			runErr = fmt.Errorf("cancelled (%v)", runErr)
		}
		return "", "", c.failure(runErr, in.Conn.User+"@"+in.Conn.endpoint(), spec.red)
	}
	return stdout, stderr, nil
}
