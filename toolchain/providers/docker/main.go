// Command pulumi-resource-docker is the Pulumi docker resource provider that the project runs,
// labelled 5.2.0 to match the @pulumi/docker 5.2.0 Node.js SDK in node_modules: the Terraform
// provider github.com/kreuzwerker/terraform-provider-docker (its SDKv2 half) bridged with
// github.com/pulumi/pulumi-terraform-bridge/v3. pulumi/pulumi-docker's own provider module is not
// served by the Go module proxy, so this is a small stand-in for it. Build it with build.sh only
// (it lays upstream's module out as ./upstream and adds the mqttlabshim package to it).
//
// What it mirrors from pulumi-docker: the package name, the resource and function tokens the SDK
// uses, the few property renames (command, networksAdvanced, name, registryAuth), the config
// defaults, delete-before-replace for containers and autonaming. What it does not have:
//   - docker:index/image:Image, pulumi-docker's native (non-Terraform) image builder: a program
//     that declares one gets "unrecognized resource type". Use RemoteImage / RegistryImage.
//   - the Terraform provider's Plugin Framework half (docker_compose, the docker_containers and
//     docker_registry_image_tags data sources, actions): the @pulumi/docker 5.2.0 SDK has no
//     types for them anyway.
//   - the full Pulumi package schema: see pulumiSchema below.
package main

import (
	"strings"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	bridgetokens "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	shimv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/terraform-providers/terraform-provider-docker/mqttlabshim"
)

const (
	pkgName = "docker"
	// The version the @pulumi/docker npm package asks the engine for (package.json "pulumi").
	version = "5.2.0"
	mod     = "index"
)

// pulumiSchema is what GetSchema answers. The engine asks for a provider's schema only for code
// generation and conversion (pulumi package get-schema / gen-sdk, pulumi convert, ...), never for
// preview, up, refresh or destroy: the SDK in node_modules already carries the generated types.
// So a minimal valid package schema (name and version) is embedded instead of the full one that
// pulumi-docker generates with tfgen (which would pull the bridge's code generators for every
// language into this build).
var pulumiSchema = []byte(`{"name":"docker","displayName":"Docker","version":"` + version + `",` +
	`"description":"Pulumi docker provider (mqtt-lab build: terraform-provider-docker bridged; minimal schema)",` +
	`"license":"Apache-2.0","repository":"https://github.com/kreuzwerker/terraform-provider-docker"}`)

func member(module, name string) string {
	// "docker:index/remoteImage:RemoteImage": the file part is the name with a lower-case initial.
	return pkgName + ":" + module + "/" + strings.ToLower(name[:1]) + name[1:] + ":" + name
}

func provider() tfbridge.ProviderInfo {
	prov := tfbridge.ProviderInfo{
		P:          shimv2.NewProvider(mqttlabshim.NewProvider(version)),
		Name:       pkgName,
		Version:    version,
		Keywords:   []string{"pulumi", "docker"},
		License:    "Apache-2.0",
		Homepage:   "https://pulumi.io",
		Repository: "https://github.com/pulumi/pulumi-docker",
		Config: map[string]*tfbridge.SchemaInfo{
			// Required in Terraform, with a default from DOCKER_HOST or the local socket.
			"host": {Default: &tfbridge.DefaultInfo{EnvVars: []string{"DOCKER_HOST"}}},
			"registry_auth": {
				Name:        "registryAuth", // not plural, as in pulumi-docker
				MaxItemsOne: tfbridge.False(),
			},
		},
		Resources: map[string]*tfbridge.ResourceInfo{
			// "Config" would clash with the SDK's config module.
			"docker_config": {Tok: tokens.Type(member(mod, "ServiceConfig"))},
			"docker_container": {
				Tok: tokens.Type(member(mod, "Container")),
				// A container with a fixed name (or IP address) cannot exist twice.
				DeleteBeforeReplace: true,
				Fields: map[string]*tfbridge.SchemaInfo{
					// One command (["echo", "1"]), so not pluralized; networks_advanced neither.
					"command":           {Name: "command"},
					"networks_advanced": {Name: "networksAdvanced"},
				},
			},
			// docker:index/image:Image is pulumi-docker's native builder; the Terraform image is RemoteImage.
			"docker_image": {
				Tok:    tokens.Type(member(mod, "RemoteImage")),
				Fields: map[string]*tfbridge.SchemaInfo{"name": {Name: "name"}},
			},
		},
		DataSources: map[string]*tfbridge.DataSourceInfo{
			"docker_image": {Tok: tokens.ModuleMember(member(mod, "getRemoteImage"))},
		},
	}
	// Everything else: docker_network -> docker:index/network:Network,
	// docker_registry_image_manifests -> docker:index/getRegistryImageManifests:getRegistryImageManifests, ...
	prov.MustComputeTokens(bridgetokens.SingleModule("docker_", mod, bridgetokens.MakeStandard(pkgName)))
	// A resource without an explicit name gets "<logical name>-<random suffix>", as in pulumi-docker.
	prov.SetAutonaming(255, "-")
	return prov
}

func main() {
	tfbridge.Main(pkgName, version, provider(), pulumiSchema)
}
