/**
 * The lab on containers through the real CLI and the real docker provider, on the test's own
 * subnet 172.30.208.0/24: a subnet on top of one of the machine's Docker networks is refused
 * before anything is created, naming that network (Docker's default bridge read from Docker, not
 * assumed), the lab's own network does not refuse itself on later runs, and the containers run
 * with Docker's default capabilities dropped, the lab's few added back, and a refresh that sees
 * no change in them.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";
import { containerCapabilities } from "../../src/config/capabilities";
import { sshExec } from "../../src/ssh/exec";
import { containerLabConfig, containersOfRun, repoRoot, sshTargetOf, suiteStacks, TestStack } from "../../testkit/engineHarness";

const docker = (...args: string[]) => execFileSync("docker", args, { encoding: "utf8" }).trim();

/** Capability numbers (linux/capability.h) of the names the test looks at. */
const capNumbers: Record<string, number> = {
    CAP_AUDIT_WRITE: 29,
    CAP_CHOWN: 0,
    CAP_DAC_OVERRIDE: 1,
    CAP_DAC_READ_SEARCH: 2,
    CAP_FOWNER: 3,
    CAP_KILL: 5,
    CAP_SETGID: 6,
    CAP_SETUID: 7,
    CAP_NET_BIND_SERVICE: 10,
    CAP_NET_ADMIN: 12,
    CAP_NET_RAW: 13,
    CAP_SYS_CHROOT: 18,
    CAP_SYS_ADMIN: 21,
    CAP_MKNOD: 27,
};

/** The capability names set in PID 1's effective set, from /proc/1/status (CapEff, hex). */
function effectiveCapabilities(container: string): Set<number> {
    const line = docker("exec", container, "grep", "^CapEff:", "/proc/1/status");
    const bits = BigInt(`0x${line.split(/\s+/)[1]}`);
    const set = new Set<number>();
    for (let i = 0; i < 64; i++) if ((bits >> BigInt(i)) & 1n) set.add(i);
    return set;
}

/** Whether `up` failed with a message that says `says`, and nothing of the run was created. */
async function assertRefusedBeforeAnyChange(t: TestStack, says: string): Promise<void> {
    await assert.rejects(
        () => t.stack.up({ color: "never" }),
        (e: Error) => {
            assert.ok(e.message.includes(says), `expected ${JSON.stringify(says)} in:\n${e.message.slice(-3000)}`);
            return true;
        },
    );
    assert.deepEqual(containersOfRun(t.id), [], "no container was created");
    assert.equal(docker("network", "ls", "-q", "--filter", `label=mqtt-lab-run=${t.id}`), "", "no network was created");
    const state = await t.stack.exportStack();
    assert.deepEqual(
        (state.deployment.resources ?? []).filter((r: { type: string }) => !r.type.startsWith("pulumi:")).map((r: { urn: string }) => r.urn),
        [],
        "no resource is in the state",
    );
}

describe("A lab on containers and this machine's networks and capabilities", { timeout: 1_800_000 }, () => {
    const stackFor = suiteStacks();
    const labName = `hyg${Date.now().toString(36)}`;

    it("refuses a subnet overlapping Docker's default bridge, naming it, before any change", async () => {
        const bridge = docker("network", "inspect", "bridge", "--format", "{{range .IPAM.Config}}{{.Subnet}} {{end}}").split(" ").filter(Boolean)[0];
        assert.ok(bridge, "Docker's default bridge has an IPv4 subnet");
        const t = await stackFor(repoRoot, containerLabConfig(bridge, `${labName}-b`));
        await assertRefusedBeforeAnyChange(t, `[mqtt-lab:subnet] "${bridge}" overlaps Docker network "bridge" (${bridge})`);
    });

    it("deploys with every default capability dropped and only the lab's added back; a refresh sees no change and its own network refuses nothing", async () => {
        const t = await stackFor(repoRoot, containerLabConfig("172.30.208.0/24", labName));
        const up = await t.stack.up({ color: "never" });
        assert.equal(up.summary.result, "succeeded");
        const results = (up.outputs.checkResults.value as string[]).join("\n");
        for (const check of ["tls-roundtrip", "plaintext-refused", "capture-tls", "impostor-ca"])
            assert.match(results, new RegExp(`^PASS ${check}`, "m"), `the lab's check ${check} passes with the reduced set: ${results}`);

        const refresh = await t.stack.refresh({ color: "never" });
        assert.deepEqual(
            Object.keys(refresh.summary.resourceChanges ?? {}).filter((op) => op !== "same"),
            [],
            `a refresh reads the capabilities back unchanged: ${JSON.stringify(refresh.summary.resourceChanges)}`,
        );
        // The lab's own network now exists: validation must not refuse it, and nothing is proposed.
        const again = await t.stack.preview({ color: "never", refresh: true, expectNoChanges: true });
        assert.deepEqual(
            Object.keys(again.changeSummary).filter((op) => op !== "same"),
            [],
            `preview --refresh --expect-no-changes proposes nothing: ${JSON.stringify(again.changeSummary)}`,
        );

        // An interactive login (a terminal) works: sshd needs CAP_AUDIT_WRITE for it, which the checks never use.
        for (const role of ["broker", "client"] as const) {
            const tty = await sshExec(sshTargetOf(up.outputs, role), "tty", { pty: true, timeoutMs: 30_000 });
            assert.match(tty.stdout, /^\/dev\/pts\/\d+/, `${role}: a login with a terminal gets one: ${JSON.stringify(tty)}`);
        }

        const names = containersOfRun(t.id).sort();
        assert.deepEqual(names, [`${labName}-broker`, `${labName}-client`]);
        for (const name of names) {
            const hostConfig = JSON.parse(docker("inspect", name, "--format", "{{json .HostConfig}}")) as {
                CapAdd: string[];
                CapDrop: string[];
                Privileged: boolean;
            };
            assert.deepEqual(hostConfig.CapDrop, ["ALL"], name);
            assert.deepEqual(hostConfig.CapAdd, [...containerCapabilities.adds], `${name}: Docker stores the adds as the program spells them`);
            assert.equal(hostConfig.Privileged, false, name);
            const eff = effectiveCapabilities(name);
            assert.deepEqual(
                [...eff].sort((a, b) => a - b),
                containerCapabilities.adds.map((c) => capNumbers[c]).sort((a, b) => a - b),
                `${name}: PID 1 has exactly the lab's capabilities`,
            );
            for (const lacking of ["CAP_SYS_ADMIN", "CAP_NET_ADMIN", "CAP_MKNOD", "CAP_NET_BIND_SERVICE", "CAP_DAC_READ_SEARCH"])
                assert.ok(!eff.has(capNumbers[lacking]), `${name} lacks ${lacking}`);
            // What CAP_SYS_ADMIN would allow is refused for real: root in the container cannot mount.
            assert.throws(() => docker("exec", name, "mount", "-t", "tmpfs", "none", "/mnt"), /permission denied/i, `${name}: mount is refused`);
        }
    });

    it("refuses another lab's subnet on top of that lab's network, naming the network, before any change", async () => {
        const t = await stackFor(repoRoot, containerLabConfig("172.30.208.128/25", `${labName}-o`));
        await assertRefusedBeforeAnyChange(t, `[mqtt-lab:subnet] "172.30.208.128/25" overlaps Docker network "${labName}-net" (172.30.208.0/24)`);
    });
});
