module mqtt-lab/toolchain/language-nodejs

go 1.24.1

require (
	github.com/pulumi/pulumi/pkg/v3 v3.187.0
	github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3 v3.0.0-20250806165243-bee5e4fa4815
	github.com/pulumi/pulumi/sdk/v3 v3.187.0
)

replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e
