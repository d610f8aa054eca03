// Command pulumi-resource-command is a small, self-written stand-in for the Pulumi "command"
// resource provider (github.com/pulumi/pulumi-command), labelled with the version of the npm package
// @pulumi/command (package.json) so that the SDK drives it. It implements command:local:Command and
// command:remote:Command; see README.md next to this file for what it does and where it differs
// from upstream.
//
// Plugin protocol: the engine starts the binary with its gRPC address as the last argument (after
// optional flags such as -v=9, --logtostderr, --tracing=...). The plugin serves
// pulumirpc.ResourceProvider on a free loopback port and prints that port on stdout.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// Version is what GetPluginInfo and the schema report. The build sets it (-ldflags -X
// main.Version=...) from the @pulumi/command version in package.json, which the engine and the npm
// SDK ask for; a binary built without it says so.
var Version = "0.0.0-unset"

func main() {
	if err := serve(); err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-command: %v\n", err)
		os.Exit(1)
	}
}

// engineAddress returns the last argument that is not a flag (the engine passes flags first).
func engineAddress(args []string) string {
	addr := ""
	for _, a := range args {
		if a == "--version" || a == "-version" {
			fmt.Println(Version)
			os.Exit(0)
		}
		if strings.HasPrefix(a, "-") {
			continue
		}
		addr = a
	}
	return addr
}

func serve() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var engine pulumirpc.EngineClient
	addr := engineAddress(os.Args[1:])
	if addr != "" {
		conn, err := grpc.NewClient(addr,
			grpc.WithTransportCredentials(insecure.NewCredentials()),
			rpcutil.GrpcChannelOptions())
		if err != nil {
			return fmt.Errorf("could not connect to the engine at %s: %w", addr, err)
		}
		defer conn.Close()
		engine = pulumirpc.NewEngineClient(conn)
		// Stop when the engine goes away without telling us.
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
		if err := rpcutil.Healthcheck(ctx, addr, 5*time.Minute, cancel); err != nil {
			return fmt.Errorf("could not start the engine health check: %w", err)
		}
	}

	prov := newProvider(engine)
	done := make(chan bool)
	go func() {
		<-ctx.Done()
		prov.cancelAll()
		close(done)
	}()

	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: done,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterResourceProviderServer(srv, prov)
			return nil
		},
	})
	if err != nil {
		return err
	}
	fmt.Printf("%d\n", handle.Port)
	return <-handle.Done
}
