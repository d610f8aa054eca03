/**
 * The IPv4 networks this machine already has: Docker's networks (their subnets) and the kernel's
 * routes. A lab network on top of one of them would make the machine route the lab's traffic
 * away, or the other network's traffic into the lab. This file only reads; the judging is pure
 * (`machineNetworkProblems` in labConfig.ts), so it is unit tested without Docker.
 */
import { execFileSync } from "node:child_process";

/** One network the machine has, as read from Docker or from the routing table. */
export interface MachineNetwork {
    kind: "docker-network" | "route";
    /** The network's CIDR, or a route's destination as `ip` prints it ("default", "10.1.2.3", "172.30.0.0/24"). */
    destination: string;
    /** docker-network: its name. route: its device ("docker0", "eth0"). */
    name: string;
    /** route: the Docker network whose bridge carries it, if any (its route is that network's). */
    dockerNetwork?: string;
}

/** What was read, and what could not be (each a sentence naming the command). */
export interface MachineNetworks {
    networks: MachineNetwork[];
    unreadable: string[];
}

interface DockerNetworkInspect {
    Name: string;
    Id: string;
    Driver?: string;
    Options?: Record<string, string> | null;
    IPAM?: { Config?: { Subnet?: string }[] | null } | null;
}

interface IpRoute {
    dst?: string;
    dev?: string;
}

type Run = (file: string, args: string[]) => string;

const run: Run = (file, args) => execFileSync(file, args, { encoding: "utf8", timeout: 30_000, stdio: ["ignore", "pipe", "pipe"] });

function why(e: unknown): string {
    const err = e as { code?: string; stderr?: string; message?: string };
    if (err.code === "ENOENT") return "not found on PATH";
    return (err.stderr || err.message || String(e)).trim().split("\n").slice(-1)[0];
}

/** Docker's networks and their IPv4 subnets, and the routes of the main table (`ip -j -4 route`). */
export function readMachineNetworks(exec: Run = run): MachineNetworks {
    const networks: MachineNetwork[] = [];
    const unreadable: string[] = [];
    const bridges = new Map<string, string>();
    try {
        const ids = exec("docker", ["network", "ls", "--no-trunc", "-q"]).split("\n").filter(Boolean);
        const inspected = ids.length === 0 ? [] : (JSON.parse(exec("docker", ["network", "inspect", ...ids])) as DockerNetworkInspect[]);
        for (const n of inspected) {
            for (const c of n.IPAM?.Config ?? []) if (c.Subnet) networks.push({ kind: "docker-network", destination: c.Subnet, name: n.Name });
            // A bridge network's device: the one Docker was told, else br- and the id's first 12 characters.
            if ((n.Driver ?? "bridge") === "bridge") bridges.set(n.Options?.["com.docker.network.bridge.name"] ?? `br-${n.Id.slice(0, 12)}`, n.Name);
        }
    } catch (e) {
        unreadable.push(`Docker's networks could not be read (docker network ls / inspect: ${why(e)})`);
    }
    try {
        for (const r of JSON.parse(exec("ip", ["-j", "-4", "route"])) as IpRoute[]) {
            if (!r.dst) continue;
            const dockerNetwork = r.dev ? bridges.get(r.dev) : undefined;
            networks.push({ kind: "route", destination: r.dst, name: r.dev ?? "", ...(dockerNetwork ? { dockerNetwork } : {}) });
        }
    } catch (e) {
        unreadable.push(`the machine's routes could not be read (ip -j -4 route: ${why(e)})`);
    }
    return { networks, unreadable };
}
