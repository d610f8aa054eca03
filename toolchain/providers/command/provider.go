package main

// The gRPC ResourceProvider server: Check (defaults, validation), Diff (diff.go), Create / Update /
// Delete (run the commands; preview runs nothing), Read (returns the state as is, like upstream),
// Cancel (stops running commands).
//
// Secrets: inputs arrive with their secret markers (Configure answers acceptSecrets) and go back
// into the outputs unchanged, so a secret stdin stays secret in the state; connection is secret as
// a whole (upstream's schema). stdout and stderr are plain strings, as upstream returns them (mark
// them with additionalSecretOutputs if they may carry secrets).

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

type provider struct {
	pulumirpc.UnimplementedResourceProviderServer

	engine pulumirpc.EngineClient

	mu     sync.Mutex
	ctx    context.Context // cancelled by the Cancel RPC
	cancel context.CancelFunc
}

func newProvider(engine pulumirpc.EngineClient) *provider {
	ctx, cancel := context.WithCancel(context.Background())
	return &provider{engine: engine, ctx: ctx, cancel: cancel}
}

func (p *provider) cancelAll() { p.cancel() }

// opContext is the request's context, also ended by Cancel.
func (p *provider) opContext(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(p.ctx, cancel)
	return ctx, func() { stop(); cancel() }
}

func (p *provider) logger(urn string) logFunc {
	return func(sev severity, msg string, ephemeral bool) {
		if p.engine == nil {
			return
		}
		s := map[severity]pulumirpc.LogSeverity{
			sevDebug: pulumirpc.LogSeverity_DEBUG, sevInfo: pulumirpc.LogSeverity_INFO,
			sevWarning: pulumirpc.LogSeverity_WARNING, sevError: pulumirpc.LogSeverity_ERROR,
		}[sev]
		_, _ = p.engine.Log(context.Background(), &pulumirpc.LogRequest{
			Severity: s, Message: msg, Urn: urn, Ephemeral: ephemeral,
		})
	}
}

var (
	unmarshalOpts = plugin.MarshalOptions{Label: "inputs", KeepSecrets: true, KeepUnknowns: true, KeepResources: true}
	marshalOpts   = plugin.MarshalOptions{Label: "outputs", KeepSecrets: true, KeepUnknowns: true, KeepResources: true}
)

func unmarshal(s *structpb.Struct) (resource.PropertyMap, error) {
	if s == nil {
		return resource.PropertyMap{}, nil
	}
	return plugin.UnmarshalProperties(s, unmarshalOpts)
}

func marshal(m resource.PropertyMap) (*structpb.Struct, error) {
	return plugin.MarshalProperties(m, marshalOpts)
}

func resourceType(urn string) (string, error) {
	t := string(resource.URN(urn).Type())
	switch t {
	case typeLocal, typeRemote:
		return t, nil
	}
	return "", status.Errorf(codes.InvalidArgument, "unknown resource type %q (this provider implements %s and %s)", t, typeLocal, typeRemote)
}

// --- plugin and provider configuration ---------------------------------------------------------

func (p *provider) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: Version}, nil
}

func (p *provider) GetSchema(_ context.Context, req *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	schema, err := packageSchema()
	if err != nil {
		return nil, err
	}
	return &pulumirpc.GetSchemaResponse{Schema: schema}, nil
}

func (p *provider) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (p *provider) DiffConfig(context.Context, *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
}

func (p *provider) Configure(context.Context, *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, SupportsPreview: true}, nil
}

func (p *provider) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	p.cancelAll()
	return &emptypb.Empty{}, nil
}

// --- Check -------------------------------------------------------------------------------------

func flatten(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

func checkFailures(err error) []*pulumirpc.CheckFailure {
	var out []*pulumirpc.CheckFailure
	for _, e := range flatten(err) {
		if errors.Is(e, errUnknown) {
			continue // checked again once known
		}
		out = append(out, &pulumirpc.CheckFailure{Reason: e.Error()})
	}
	return out
}

func (p *provider) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	typ, err := resourceType(req.GetUrn())
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	news = news.Copy()
	var perr error
	if typ == typeRemote {
		if c, ok := news["connection"]; ok && !c.IsNull() {
			news["connection"] = withConnectionDefaults(c)
		}
		_, perr = parseRemote(news)
	} else {
		_, perr = parseLocal(news)
	}
	inputs, err := marshal(news)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CheckResponse{Inputs: inputs, Failures: checkFailures(perr)}, nil
}

// --- Diff --------------------------------------------------------------------------------------

func (p *provider) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	if _, err := resourceType(req.GetUrn()); err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	var olds resource.PropertyMap
	if req.GetOldInputs() != nil {
		olds, err = unmarshal(req.GetOldInputs())
		if err != nil {
			return nil, err
		}
	} else {
		state, err := unmarshal(req.GetOlds())
		if err != nil {
			return nil, err
		}
		olds = inputsOf(state, true)
	}
	return computeDiff(olds, news, req.GetIgnoreChanges()), nil
}

// --- running -----------------------------------------------------------------------------------

// prevOutputs reads stdout/stderr of a state.
func prevOutputs(state resource.PropertyMap) (string, string) {
	get := func(k resource.PropertyKey) string {
		v, _ := unwrap(state[k])
		if v.IsString() {
			return v.StringValue()
		}
		return ""
	}
	return get("stdout"), get("stderr")
}

// run runs one command of a resource whose inputs are m. extra receives assets/archive outputs.
func (p *provider) run(ctx context.Context, typ, urn string, m resource.PropertyMap, which string,
	prevStdout, prevStderr string, extra resource.PropertyMap,
) (stdout, stderr string, err error) {
	spec := runSpec{prevStdout: prevStdout, prevStderr: prevStderr, log: p.logger(urn),
		red: newRedactor(secretStrings(m))}
	pick := func(c commonInputs) bool {
		var cmd *string
		switch which {
		case "create":
			cmd, spec.commandSecret = c.Create, c.CreateSecret
		case "update":
			cmd, spec.commandSecret = c.Update, c.UpdateSecret
			if cmd == nil { // upstream: update falls back to create
				cmd, spec.commandSecret = c.Create, c.CreateSecret
			}
		case "delete":
			cmd, spec.commandSecret = c.Delete, c.DeleteSecret
		}
		if cmd == nil {
			return false
		}
		spec.command = *cmd
		return true
	}
	if typ == typeLocal {
		in, err := parseLocal(m)
		if err != nil {
			return "", "", err
		}
		if !pick(in.commonInputs) {
			return prevStdout, prevStderr, errNothingToRun
		}
		stdout, stderr, err = runLocal(ctx, in, spec)
		if err == nil && extra != nil && (in.HasAssets || in.HasArchive) {
			dir, derr := localDir(in)
			if derr == nil {
				derr = collectAssets(in, dir, extra)
			}
			err = derr
		}
		return stdout, stderr, err
	}
	in, err := parseRemote(m)
	if err != nil {
		return "", "", err
	}
	if !pick(in.commonInputs) {
		return prevStdout, prevStderr, errNothingToRun
	}
	return runRemote(ctx, in, spec)
}

var errNothingToRun = errors.New("no command to run")

// outputsFor builds the state: the inputs (secret markers kept) plus the outputs.
func outputsFor(inputs resource.PropertyMap, stdout, stderr resource.PropertyValue, extra resource.PropertyMap) resource.PropertyMap {
	out := inputsOf(inputs, true)
	out["stdout"] = stdout
	out["stderr"] = stderr
	for k, v := range extra {
		out[k] = v
	}
	return out
}

func unknownOutputs(typ string, inputs resource.PropertyMap) resource.PropertyMap {
	unknown := resource.MakeComputed(resource.NewProperty(""))
	extra := resource.PropertyMap{}
	if typ == typeLocal {
		if v, ok := inputs["assetPaths"]; ok && !v.IsNull() {
			extra["assets"] = resource.MakeComputed(resource.NewProperty(""))
		}
		if v, ok := inputs["archivePaths"]; ok && !v.IsNull() {
			extra["archive"] = resource.MakeComputed(resource.NewProperty(""))
		}
	}
	return outputsFor(inputs, unknown, unknown, extra)
}

func opError(op string, err error) error {
	if st, ok := status.FromError(err); ok && st.Code() != codes.Unknown {
		return err
	}
	return status.Error(codes.Unknown, fmt.Sprintf("%s: %v", op, err))
}

// --- Create / Read / Update / Delete ------------------------------------------------------------

func (p *provider) Create(ctx context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	typ, err := resourceType(req.GetUrn())
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	name := req.GetName()
	if name == "" {
		name = resource.URN(req.GetUrn()).Name()
	}
	id, err := resource.NewUniqueHex(name, 8, 0)
	if err != nil {
		return nil, err
	}
	if req.GetPreview() {
		props, err := marshal(unknownOutputs(typ, news))
		if err != nil {
			return nil, err
		}
		return &pulumirpc.CreateResponse{Id: id, Properties: props}, nil
	}
	ctx, done := p.opContext(ctx)
	defer done()
	extra := resource.PropertyMap{}
	stdout, stderr, err := p.run(ctx, typ, req.GetUrn(), news, "create", "", "", extra)
	if err != nil && !errors.Is(err, errNothingToRun) {
		return nil, opError("create", err)
	}
	props, err := marshal(outputsFor(news, resource.NewProperty(stdout), resource.NewProperty(stderr), extra))
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: props}, nil
}

func (p *provider) Update(ctx context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	typ, err := resourceType(req.GetUrn())
	if err != nil {
		return nil, err
	}
	olds, err := unmarshal(req.GetOlds())
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	news = applyIgnoreChanges(inputsOf(olds, true), news, req.GetIgnoreChanges())
	if req.GetPreview() {
		props, err := marshal(unknownOutputs(typ, news))
		if err != nil {
			return nil, err
		}
		return &pulumirpc.UpdateResponse{Properties: props}, nil
	}
	ctx, done := p.opContext(ctx)
	defer done()
	prevOut, prevErr := prevOutputs(olds)
	extra := resource.PropertyMap{}
	stdout, stderr, err := p.run(ctx, typ, req.GetUrn(), news, "update", prevOut, prevErr, extra)
	if errors.Is(err, errNothingToRun) {
		// Neither update nor create: keep the previous outputs.
		for _, k := range []resource.PropertyKey{"assets", "archive"} {
			if v, ok := olds[k]; ok {
				extra[k] = v
			}
		}
	} else if err != nil {
		return nil, opError("update", err)
	}
	props, err := marshal(outputsFor(news, resource.NewProperty(stdout), resource.NewProperty(stderr), extra))
	if err != nil {
		return nil, err
	}
	return &pulumirpc.UpdateResponse{Properties: props}, nil
}

func (p *provider) Delete(ctx context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	typ, err := resourceType(req.GetUrn())
	if err != nil {
		return nil, err
	}
	state, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	ctx, done := p.opContext(ctx)
	defer done()
	prevOut, prevErr := prevOutputs(state)
	_, _, err = p.run(ctx, typ, req.GetUrn(), inputsOf(state, true), "delete", prevOut, prevErr, nil)
	if err != nil && !errors.Is(err, errNothingToRun) {
		return nil, opError("delete", err)
	}
	return &emptypb.Empty{}, nil
}

// Read returns what the engine has (upstream has no custom read: a refresh changes nothing).
func (p *provider) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	if _, err := resourceType(req.GetUrn()); err != nil {
		return nil, err
	}
	inputs := req.GetInputs()
	if inputs == nil && req.GetProperties() != nil {
		state, err := unmarshal(req.GetProperties())
		if err != nil {
			return nil, err
		}
		if inputs, err = marshal(inputsOf(state, true)); err != nil {
			return nil, err
		}
	}
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: inputs}, nil
}

// containsAny reports whether s contains any of needles.
func containsAny(s string, needles []string) bool {
	for _, n := range needles {
		if n != "" && strings.Contains(s, n) {
			return true
		}
	}
	return false
}
