/**
 * The mqtt-lab policy pack: `pulumi preview --policy-pack policies` on any stack of the project.
 * The rules live one a file (listed in pack.ts); this file only starts the pack.
 */
import { PolicyPack } from "@pulumi/policy";
import { mqttLabPolicies } from "./pack";

// @pulumi/policy reads the pack's version from `${process.cwd()}/package.json`, but the engine
// (CLI 3.248, through the Node.js language host) starts the pack in the *program's* directory:
// without this, a program with no package.json of its own fails with "Cannot find module
// .../package.json", and any other reports its own version. The cwd is put back at once.
const programDir = process.cwd();
process.chdir(__dirname);
try {
    new PolicyPack("mqtt-lab", {
        description: "Forbids anonymous plaintext MQTT, weak TLS, broken certificates and unverified SSH in mqtt-lab stacks.",
        enforcementLevel: "mandatory",
        policies: mqttLabPolicies(),
    });
} finally {
    process.chdir(programDir);
}
