// pulumi-resource-tls, built here: the upstream Terraform TLS provider (hashicorp/terraform-provider-tls)
// served through pulumi-terraform-bridge, the same construction as pulumi-tls, because the Go module of
// pulumi-tls itself is not served by the module proxy this project may use. The tokens are those of the
// @pulumi/tls npm SDK that package.json pins (tls:index/<camelName>:<Name>); property names follow the
// bridge's default Terraform-to-Pulumi naming, which is how that SDK was generated.
package main

import (
	"context"
	"encoding/json"

	pftfbridge "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"

	tlsupstream "github.com/hashicorp/terraform-provider-tls/mqttlabshim"
)

// version is the plugin version the @pulumi/tls SDK asks the engine for; set with -ldflags -X.
var version = "0.0.0-dev"

func providerInfo() tfbridge.ProviderInfo {
	info := tfbridge.ProviderInfo{
		Name:        "tls",
		P:           pftfbridge.ShimProvider(tlsupstream.New()),
		Version:     version,
		Description: "TLS keys and certificates (terraform-provider-tls bridged for mqtt-lab).",
		License:     "Apache-2.0",
		Repository:  "https://github.com/pulumi/pulumi-tls",
		// Keep the upstream's own Terraform names working: no renames of properties.
		MetadataInfo: tfbridge.NewProviderMetadata([]byte("{}")),
	}
	// tls_private_key -> tls:index/privateKey:PrivateKey, tls_certificate -> tls:index/getCertificate:getCertificate.
	info.MustComputeTokens(tokens.SingleModule("tls_", "index", tokens.MakeStandard("tls")))
	return info
}

// minimalSchema answers GetSchema. The engine asks for it only to generate SDKs; the project uses
// the published @pulumi/tls SDK, so a skeleton naming the package and version is enough.
func minimalSchema() []byte {
	b, err := json.Marshal(map[string]string{"name": "tls", "version": version})
	if err != nil {
		panic(err)
	}
	return b
}

func main() {
	pftfbridge.Main(context.Background(), "tls", providerInfo(), pftfbridge.ProviderMetadata{PackageSchema: minimalSchema()})
}
