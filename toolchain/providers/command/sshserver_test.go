package main

// An in-process SSH server on loopback for the tests: public-key auth, "env" requests for an
// allow-list, "exec" runs the command with /bin/sh -c locally.

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"encoding/pem"
	"io"
	"net"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"

	"golang.org/x/crypto/ssh"
)

type testSSHServer struct {
	addr       string
	port       int
	hostKey    ssh.Signer
	clientPEM  string // the client's private key (OpenSSH PEM)
	acceptEnv  map[string]bool
	listener   net.Listener
	wg         sync.WaitGroup
	mu         sync.Mutex
	lastEnv    []string
	connection int
}

func newKey(t *testing.T) (ed25519.PrivateKey, ssh.Signer) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return priv, s
}

func authorizedLine(k ssh.PublicKey) string {
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k)))
}

func startSSHServer(t *testing.T, acceptEnv ...string) *testSSHServer {
	t.Helper()
	_, hostSigner := newKey(t)
	clientPriv, clientSigner := newKey(t)
	block, err := ssh.MarshalPrivateKey(clientPriv, "")
	if err != nil {
		t.Fatal(err)
	}
	s := &testSSHServer{hostKey: hostSigner, clientPEM: string(pem.EncodeToMemory(block)), acceptEnv: map[string]bool{}}
	for _, e := range acceptEnv {
		s.acceptEnv[e] = true
	}
	cfg := &ssh.ServerConfig{
		PublicKeyCallback: func(_ ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			if string(key.Marshal()) == string(clientSigner.PublicKey().Marshal()) {
				return nil, nil
			}
			return nil, io.EOF
		},
	}
	cfg.AddHostKey(hostSigner)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.listener = l
	s.addr = l.Addr().String()
	s.port = l.Addr().(*net.TCPAddr).Port
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.serveConn(c, cfg)
			}()
		}
	}()
	t.Cleanup(func() { l.Close() })
	return s
}

func (s *testSSHServer) serveConn(c net.Conn, cfg *ssh.ServerConfig) {
	defer c.Close()
	sc, chans, reqs, err := ssh.NewServerConn(c, cfg)
	if err != nil {
		return
	}
	defer sc.Close()
	s.mu.Lock()
	s.connection++
	s.mu.Unlock()
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		if nc.ChannelType() != "session" {
			nc.Reject(ssh.UnknownChannelType, "no")
			continue
		}
		ch, creqs, err := nc.Accept()
		if err != nil {
			continue
		}
		go s.serveSession(ch, creqs)
	}
}

func sshString(b []byte) (string, []byte) {
	if len(b) < 4 {
		return "", nil
	}
	n := binary.BigEndian.Uint32(b)
	if int(n) > len(b)-4 {
		return "", nil
	}
	return string(b[4 : 4+n]), b[4+n:]
}

func (s *testSSHServer) serveSession(ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	var env []string
	for req := range reqs {
		switch req.Type {
		case "env":
			k, rest := sshString(req.Payload)
			v, _ := sshString(rest)
			ok := s.acceptEnv[k]
			if ok {
				env = append(env, k+"="+v)
			}
			req.Reply(ok, nil)
		case "exec":
			command, _ := sshString(req.Payload)
			req.Reply(true, nil)
			s.mu.Lock()
			s.lastEnv = env
			s.mu.Unlock()
			cmd := exec.Command("/bin/sh", "-c", command)
			cmd.Env = append([]string{"PATH=/usr/bin:/bin"}, env...)
			cmd.Stdin = ch
			cmd.Stdout = ch
			cmd.Stderr = ch.Stderr()
			code := 0
			if err := cmd.Run(); err != nil {
				code = 255
				if ee, ok := err.(*exec.ExitError); ok {
					if ws, ok := ee.Sys().(syscall.WaitStatus); ok {
						code = ws.ExitStatus()
					}
				}
			}
			status := make([]byte, 4)
			binary.BigEndian.PutUint32(status, uint32(code))
			ch.SendRequest("exit-status", false, status)
			return
		default:
			req.Reply(false, nil)
		}
	}
}
