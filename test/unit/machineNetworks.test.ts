/**
 * The lab subnet judged against the machine's own networks (Docker's and the kernel's routes),
 * fed with what a reader would have found: no Docker needed. Addresses are the test's own
 * (172.30.208.0/24, 172.30.209.0/24).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ConfigError, RawConfig, validateLabConfig } from "../../src/config/labConfig";
import { MachineNetwork, MachineNetworks, readMachineNetworks } from "../../src/config/machineNetworks";

const containers: RawConfig = { image: "mqtt-lab/substrate:bookworm" };

/** What the machine has when nothing collides: docker0 elsewhere, the default route, the LAN. */
const quiet: MachineNetwork[] = [
    { kind: "docker-network", destination: "172.30.0.0/24", name: "bridge" },
    { kind: "route", destination: "default", name: "eth0" },
    { kind: "route", destination: "172.30.0.0/24", name: "docker0", dockerNetwork: "bridge" },
    { kind: "route", destination: "198.51.100.0/24", name: "eth0" },
];

const machine =
    (networks: MachineNetwork[], unreadable: string[] = []) =>
    () => ({ networks: [...quiet, ...networks], unreadable });

function problemsOf(raw: RawConfig, read: () => MachineNetworks): string[] {
    try {
        validateLabConfig(raw, {}, { machineNetworks: read });
    } catch (e) {
        assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
        return e.problems;
    }
    assert.fail(`expected ${JSON.stringify(raw)} to be refused`);
}

describe("validateLabConfig against the machine's networks", () => {
    const refused = [
        {
            why: "the subnet of another Docker network",
            subnet: "172.30.208.0/24",
            has: [{ kind: "docker-network" as const, destination: "172.30.208.0/24", name: "someone-else-net" }],
            says: '[mqtt-lab:subnet] "172.30.208.0/24" overlaps Docker network "someone-else-net" (172.30.208.0/24); allowed: a subnet that overlaps none',
        },
        {
            why: "a subnet inside Docker's default bridge",
            subnet: "172.30.208.0/25",
            has: [
                { kind: "docker-network" as const, destination: "172.30.208.0/24", name: "bridge2" },
                { kind: "route" as const, destination: "172.30.208.0/24", name: "br-0123456789ab", dockerNetwork: "bridge2" },
            ],
            says: 'overlaps Docker network "bridge2" (172.30.208.0/24)',
        },
        {
            why: "a subnet that covers a Docker network",
            subnet: "172.30.208.0/23",
            has: [{ kind: "docker-network" as const, destination: "172.30.209.64/26", name: "small-net" }],
            says: 'overlaps Docker network "small-net" (172.30.209.64/26)',
        },
        {
            why: "a subnet a route of the machine (a VPN, another bridge) already leads to",
            subnet: "172.30.209.0/24",
            has: [{ kind: "route" as const, destination: "172.30.209.0/24", name: "tun7" }],
            says: "overlaps this machine's route to 172.30.209.0/24 on tun7",
        },
        {
            why: "a subnet holding a host route",
            subnet: "172.30.209.0/24",
            has: [{ kind: "route" as const, destination: "172.30.209.77", name: "wg0" }],
            says: "overlaps this machine's route to 172.30.209.77 on wg0",
        },
    ];
    for (const c of refused) {
        it(`refuses ${c.why}, naming it, in one problem`, () => {
            const problems = problemsOf({ ...containers, subnet: c.subnet }, machine(c.has));
            assert.equal(problems.length, 1, problems.join("\n"));
            assert.ok(problems[0].includes(c.says), `expected ${JSON.stringify(c.says)} in: ${problems[0]}`);
        });
    }

    it("names every overlapping network in the same pass", () => {
        const problems = problemsOf(
            { ...containers, subnet: "172.30.208.0/23" },
            machine([
                { kind: "docker-network", destination: "172.30.208.0/24", name: "net-a" },
                { kind: "route", destination: "172.30.209.0/24", name: "tun7" },
            ]),
        );
        assert.deepEqual(
            problems.map((p) => /overlaps (.*?);/.exec(p)?.[1]),
            ['Docker network "net-a" (172.30.208.0/24)', "this machine's route to 172.30.209.0/24 on tun7"],
        );
    });

    it("accepts the lab's own network, found by its labName, and its bridge's route: a second up does not refuse itself", () => {
        const own: MachineNetwork[] = [
            { kind: "docker-network", destination: "172.30.208.0/24", name: "hygnet-net" },
            { kind: "route", destination: "172.30.208.0/24", name: "br-0123456789ab", dockerNetwork: "hygnet-net" },
        ];
        const c = validateLabConfig({ ...containers, subnet: "172.30.208.0/24", labName: "hygnet" }, {}, { machineNetworks: machine(own) });
        assert.equal(c.subnet, "172.30.208.0/24");
        // The same network under the default labName is another lab's.
        assert.match(problemsOf({ ...containers, subnet: "172.30.208.0/24" }, machine(own))[0], /overlaps Docker network "hygnet-net"/);
    });

    it("ignores the default route, which covers every subnet", () => {
        const c = validateLabConfig({ ...containers, subnet: "172.30.209.0/24" }, {}, { machineNetworks: machine([]) });
        assert.equal(c.subnet, "172.30.209.0/24");
    });

    it("refuses when the machine's networks could not be read, saying what failed", () => {
        const problems = problemsOf(
            { ...containers, subnet: "172.30.209.0/24" },
            machine([], ["Docker's networks could not be read (docker network ls / inspect: not found on PATH)"]),
        );
        assert.equal(problems.length, 1);
        assert.match(
            problems[0],
            /^\[mqtt-lab:subnet\] "172\.30\.209\.0\/24" could not be checked against this machine's networks: Docker's networks could not be read \(docker network ls \/ inspect: not found on PATH\)/,
        );
    });

    it("reads nothing for existing hosts, nor for a subnet already refused for another reason", () => {
        const never = (): MachineNetworks => assert.fail("the machine's networks were read");
        const c = validateLabConfig(
            { hostSource: "existing", brokerAddress: "172.30.209.10", clientAddress: "172.30.209.11", sshUser: "olivier" },
            {},
            { machineNetworks: never },
        );
        assert.equal(c.hostSource, "existing");
        const problems = problemsOf({ ...containers, subnet: "172.30.208.0/8" }, never);
        assert.match(problems.join("\n"), /\[mqtt-lab:subnet\] "172\.30\.208\.0\/8" is not a network address/);
    });
});

describe("readMachineNetworks", () => {
    const userNetId = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    const inspect = [
        {
            Name: "bridge",
            Id: "f".repeat(64),
            Driver: "bridge",
            Options: { "com.docker.network.bridge.name": "docker0" },
            IPAM: { Config: [{ Subnet: "172.30.0.0/24" }] },
        },
        { Name: "host", Id: "e".repeat(64), Driver: "host", Options: {}, IPAM: { Config: [] } },
        { Name: "none", Id: "d".repeat(64), Driver: "null", Options: {}, IPAM: { Config: null } },
        { Name: "lab-net", Id: userNetId, Driver: "bridge", Options: {}, IPAM: { Config: [{ Subnet: "172.30.208.0/24" }, { Subnet: "fd00:208::/64" }] } },
    ];
    const routes = [
        { dst: "default", gateway: "198.51.100.1", dev: "eth0", flags: [] },
        { dst: "172.30.0.0/24", dev: "docker0", protocol: "kernel", scope: "link", prefsrc: "172.30.0.1", flags: ["linkdown"] },
        { dst: "172.30.208.0/24", dev: "br-0123456789ab", protocol: "kernel", scope: "link", prefsrc: "172.30.208.1", flags: [] },
        { dst: "172.30.209.0/24", dev: "tun7", flags: [] },
    ];

    it("lists Docker's subnets by network name and ties each bridge's route to its Docker network", () => {
        const calls: string[] = [];
        const read = readMachineNetworks((file, args) => {
            calls.push(`${file} ${args.join(" ")}`);
            if (file === "docker" && args[1] === "ls") return inspect.map((n) => n.Id).join("\n") + "\n";
            if (file === "docker" && args[1] === "inspect") return JSON.stringify(inspect);
            if (file === "ip") return JSON.stringify(routes);
            throw new Error(`unexpected ${file}`);
        });
        assert.deepEqual(read.unreadable, []);
        assert.deepEqual(read.networks, [
            { kind: "docker-network", destination: "172.30.0.0/24", name: "bridge" },
            { kind: "docker-network", destination: "172.30.208.0/24", name: "lab-net" },
            { kind: "docker-network", destination: "fd00:208::/64", name: "lab-net" },
            { kind: "route", destination: "default", name: "eth0" },
            { kind: "route", destination: "172.30.0.0/24", name: "docker0", dockerNetwork: "bridge" },
            { kind: "route", destination: "172.30.208.0/24", name: "br-0123456789ab", dockerNetwork: "lab-net" },
            { kind: "route", destination: "172.30.209.0/24", name: "tun7" },
        ]);
        assert.deepEqual(calls, ["docker network ls --no-trunc -q", `docker network inspect ${inspect.map((n) => n.Id).join(" ")}`, "ip -j -4 route"]);
    });

    it("says which command could not be run, and still reads the other", () => {
        const read = readMachineNetworks((file) => {
            if (file === "docker") throw Object.assign(new Error("spawnSync docker ENOENT"), { code: "ENOENT" });
            return JSON.stringify(routes.slice(3));
        });
        assert.deepEqual(read.unreadable, ["Docker's networks could not be read (docker network ls / inspect: not found on PATH)"]);
        assert.deepEqual(read.networks, [{ kind: "route", destination: "172.30.209.0/24", name: "tun7" }]);
    });
});
