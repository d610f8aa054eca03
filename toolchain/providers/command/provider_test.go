package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

const localURN = "urn:pulumi:dev::proj::command:local:Command::c"
const remoteURN = "urn:pulumi:dev::proj::command:remote:Command::r"

func mustMarshal(t *testing.T, m resource.PropertyMap) *structpb.Struct {
	t.Helper()
	s, err := marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustUnmarshal(t *testing.T, s *structpb.Struct) resource.PropertyMap {
	t.Helper()
	m, err := unmarshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestProviderLifecycleLocal(t *testing.T) {
	p := newProvider(nil)
	ctx := context.Background()
	dir := t.TempDir()
	log := filepath.Join(dir, "log")
	secret := "super-secret-stdin-value"
	inputs := resource.PropertyMap{
		"create": resource.NewProperty("cat > /dev/null; echo created >> " + log + "; echo out1"),
		"delete": resource.NewProperty(`echo "deleted prev=$PULUMI_COMMAND_STDOUT" >> ` + log),
		"stdin":  resource.MakeSecret(resource.NewProperty(secret)),
	}

	// Preview: nothing runs, outputs unknown, the secret stays secret.
	cr, err := p.Create(ctx, &pulumirpc.CreateRequest{Urn: localURN, Properties: mustMarshal(t, inputs), Preview: true})
	if err != nil {
		t.Fatal(err)
	}
	out := mustUnmarshal(t, cr.Properties)
	if !out["stdout"].IsComputed() || !out["stdin"].IsSecret() {
		t.Fatalf("preview outputs %v", out)
	}
	if _, err := os.Stat(log); err == nil {
		t.Fatal("preview ran the command")
	}

	cr, err = p.Create(ctx, &pulumirpc.CreateRequest{Urn: localURN, Properties: mustMarshal(t, inputs)})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(cr.Id, "c") {
		t.Fatalf("id %q", cr.Id)
	}
	state := mustUnmarshal(t, cr.Properties)
	if state["stdout"].StringValue() != "out1" || !state["stdin"].IsSecret() || state["stdin"].SecretValue().Element.StringValue() != secret {
		t.Fatalf("state %v", state)
	}
	if strings.Contains(cr.Properties.String(), secret) && !strings.Contains(cr.Properties.String(), "1b47061264138c4ac30d75fd1eb44270") {
		t.Fatal("secret not marked")
	}

	// Update without "update": create runs again, with the previous stdout in the env.
	news := inputs.Copy()
	news["create"] = resource.NewProperty(`echo "recreated prev=$PULUMI_COMMAND_STDOUT" >> ` + log + "; echo out2")
	ur, err := p.Update(ctx, &pulumirpc.UpdateRequest{Urn: localURN, Olds: cr.Properties, News: mustMarshal(t, news)})
	if err != nil {
		t.Fatal(err)
	}
	state = mustUnmarshal(t, ur.Properties)
	if state["stdout"].StringValue() != "out2" {
		t.Fatalf("state %v", state)
	}
	// With "update": it runs instead of create.
	news["update"] = resource.NewProperty(`echo "updated" >> ` + log + "; echo out3")
	ur, err = p.Update(ctx, &pulumirpc.UpdateRequest{Urn: localURN, Olds: ur.Properties, News: mustMarshal(t, news)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Delete(ctx, &pulumirpc.DeleteRequest{Urn: localURN, Id: cr.Id, Properties: ur.Properties}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(log)
	want := "created\nrecreated prev=out1\nupdated\ndeleted prev=out3\n"
	if string(b) != want {
		t.Fatalf("log %q, want %q", b, want)
	}
}

func TestProviderCreateFailure(t *testing.T) {
	p := newProvider(nil)
	_, err := p.Create(context.Background(), &pulumirpc.CreateRequest{Urn: localURN,
		Properties: mustMarshal(t, resource.PropertyMap{"create": resource.NewProperty("echo nope >&2; exit 4")})})
	if err == nil || !strings.Contains(err.Error(), "exit status 4") || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("err %v", err)
	}
}

func TestProviderCheckRemote(t *testing.T) {
	p := newProvider(nil)
	news := resource.PropertyMap{
		"create":     resource.NewProperty("true"),
		"connection": resource.NewProperty(resource.PropertyMap{"host": resource.NewProperty("h"), "privateKey": resource.MakeSecret(resource.NewProperty("k"))}),
	}
	cr, err := p.Check(context.Background(), &pulumirpc.CheckRequest{Urn: remoteURN, News: mustMarshal(t, news)})
	if err != nil {
		t.Fatal(err)
	}
	if len(cr.Failures) != 0 {
		t.Fatalf("failures %v", cr.Failures)
	}
	got := mustUnmarshal(t, cr.Inputs)
	if !got["connection"].IsSecret() {
		t.Fatal("connection not secret")
	}
	c := stripSecrets(got["connection"]).ObjectValue()
	if c["user"].StringValue() != "root" || c["port"].NumberValue() != 22 || c["dialErrorLimit"].NumberValue() != 10 || c["perDialTimeout"].NumberValue() != 15 {
		t.Fatalf("defaults %v", c)
	}

	// Missing connection, bad logging, bad host key: failures.
	bad := resource.PropertyMap{"logging": resource.NewProperty("loud")}
	cr, _ = p.Check(context.Background(), &pulumirpc.CheckRequest{Urn: remoteURN, News: mustMarshal(t, bad)})
	if len(cr.Failures) != 2 {
		t.Fatalf("failures %v", cr.Failures)
	}
	bad = resource.PropertyMap{"connection": resource.NewProperty(resource.PropertyMap{"host": resource.NewProperty("h"), "hostKey": resource.NewProperty("garbage")})}
	cr, _ = p.Check(context.Background(), &pulumirpc.CheckRequest{Urn: remoteURN, News: mustMarshal(t, bad)})
	if len(cr.Failures) != 1 || !strings.Contains(cr.Failures[0].Reason, "hostKey") {
		t.Fatalf("failures %v", cr.Failures)
	}
	// Unknown values pass.
	unk := resource.PropertyMap{"connection": resource.MakeComputed(resource.NewProperty("")), "stdin": resource.MakeComputed(resource.NewProperty(""))}
	cr, _ = p.Check(context.Background(), &pulumirpc.CheckRequest{Urn: remoteURN, News: mustMarshal(t, unk)})
	if len(cr.Failures) != 0 {
		t.Fatalf("failures %v", cr.Failures)
	}
}

func TestProviderRemoteSecretsStaySecret(t *testing.T) {
	t.Setenv("SSH_AUTH_SOCK", "")
	s := startSSHServer(t)
	p := newProvider(nil)
	secret := "bundle-secret-0123456789abcdef"
	inputs := resource.PropertyMap{
		"create":  resource.NewProperty("wc -c"),
		"stdin":   resource.MakeSecret(resource.NewProperty(secret)),
		"logging": resource.NewProperty("none"),
		"connection": resource.MakeSecret(resource.NewProperty(resource.PropertyMap{
			"host": resource.NewProperty("127.0.0.1"), "port": resource.NewProperty(float64(s.port)), "user": resource.NewProperty("t"),
			"privateKey": resource.NewProperty(s.clientPEM), "hostKey": resource.NewProperty(authorizedLine(s.hostKey.PublicKey())),
			"dialErrorLimit": resource.NewProperty(1.0), "perDialTimeout": resource.NewProperty(5.0),
		})),
	}
	cr, err := p.Create(context.Background(), &pulumirpc.CreateRequest{Urn: remoteURN, Properties: mustMarshal(t, inputs)})
	if err != nil {
		t.Fatal(err)
	}
	state := mustUnmarshal(t, cr.Properties)
	if !state["stdin"].IsSecret() || !state["connection"].IsSecret() {
		t.Fatal("secret inputs lost their secretness")
	}
	if strings.TrimSpace(state["stdout"].StringValue()) != "30" || state["stdout"].IsSecret() {
		t.Fatalf("stdout %v", state["stdout"])
	}
}

func TestSecretStrings(t *testing.T) {
	m := resource.PropertyMap{
		"stdin":       resource.MakeSecret(resource.NewProperty("s1")),
		"create":      resource.NewProperty("plain"),
		"environment": resource.NewProperty(resource.PropertyMap{"A": resource.MakeSecret(resource.NewProperty("s2")), "B": resource.NewProperty("p")}),
		"connection": resource.MakeSecret(resource.NewProperty(resource.PropertyMap{
			"host": resource.NewProperty("h"), "password": resource.NewProperty("s3")})),
	}
	got := strings.Join(secretStrings(m), ",")
	if got != "s1,s2,s3" {
		t.Fatalf("%s", got)
	}
}

// Read is upstream's: a refresh returns the state exactly as stored and never contacts the host
// (here, a host that does not exist and a command that would leave a trace). Drift on the hosts
// is the program's host observers' job (src/drift/observer.ts), so the lab works unchanged with
// upstream's plugin.
func TestReadReturnsStateAsIs(t *testing.T) {
	p := newProvider(nil)
	trace := filepath.Join(t.TempDir(), "ran")
	state := resource.PropertyMap{
		"create": resource.NewProperty("touch " + trace),
		"stdout": resource.NewProperty("what the last run printed"),
		"stderr": resource.NewProperty(""),
		"stdin":  resource.MakeSecret(resource.NewProperty("bundle")),
		"connection": resource.MakeSecret(resource.NewProperty(resource.PropertyMap{
			"host": resource.NewProperty("192.0.2.1"), "port": resource.NewProperty(22.0), "user": resource.NewProperty("nobody"),
			"dialErrorLimit": resource.NewProperty(1.0), "perDialTimeout": resource.NewProperty(1.0),
		})),
	}
	for _, urn := range []string{remoteURN, localURN} {
		rr, err := p.Read(context.Background(), &pulumirpc.ReadRequest{Id: "x", Urn: urn, Properties: mustMarshal(t, state)})
		if err != nil {
			t.Fatal(err)
		}
		if rr.GetId() != "x" {
			t.Fatalf("%s: id %q", urn, rr.GetId())
		}
		got := mustUnmarshal(t, rr.GetProperties())
		if !got.DeepEquals(state) {
			t.Fatalf("%s: read changed the state:\n got  %v\n want %v", urn, got, state)
		}
		if _, err := os.Stat(trace); err == nil {
			t.Fatalf("%s: read ran the command", urn)
		}
	}
}

// fakeEngine records what the provider logs to the engine.
type fakeEngine struct {
	pulumirpc.EngineClient
	mu   sync.Mutex
	logs []*pulumirpc.LogRequest
}

func (e *fakeEngine) Log(_ context.Context, req *pulumirpc.LogRequest, _ ...grpc.CallOption) (*emptypb.Empty, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.logs = append(e.logs, req)
	return &emptypb.Empty{}, nil
}

func TestDeleteForwardsMarkedWarningsEvenWithLoggingNone(t *testing.T) {
	engine := &fakeEngine{}
	p := newProvider(engine)
	secret := "s3cr3t-bundle-line-0123456789"
	state := resource.PropertyMap{
		"create":  resource.NewProperty("true"),
		"delete":  resource.NewProperty(`cat >/dev/null; echo "plain words $0" >&2; echo '::warning::put back /etc/x/.rival.conf, which opens anonymous access' >&2; echo "::warning::leaked s3cr3t-bundle-line-0123456789" >&2; echo done`),
		"stdin":   resource.MakeSecret(resource.NewProperty(secret)),
		"logging": resource.NewProperty("none"),
		"stdout":  resource.NewProperty(""),
		"stderr":  resource.NewProperty(""),
	}
	if _, err := p.Delete(context.Background(), &pulumirpc.DeleteRequest{Urn: localURN, Properties: mustMarshal(t, state)}); err != nil {
		t.Fatal(err)
	}
	var warnings []string
	for _, l := range engine.logs {
		if l.GetUrn() != localURN {
			t.Fatalf("log without the resource's URN: %v", l)
		}
		if strings.Contains(l.GetMessage(), "plain words") || strings.Contains(l.GetMessage(), secret) {
			t.Fatalf("logged %q although logging is none (or unredacted)", l.GetMessage())
		}
		if l.GetSeverity() == pulumirpc.LogSeverity_WARNING && !l.GetEphemeral() {
			warnings = append(warnings, l.GetMessage())
		}
	}
	want := []string{"put back /etc/x/.rival.conf, which opens anonymous access", "leaked [secret]"}
	if strings.Join(warnings, "|") != strings.Join(want, "|") {
		t.Fatalf("warnings %q, want %q", warnings, want)
	}
}
