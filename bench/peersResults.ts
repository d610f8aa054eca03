/**
 * The shape of bench/results/peers-*.json, written by bench/peers.ts and read by
 * tools/renderReadmeFigures.ts. Times are milliseconds; a figure that could not be measured is
 * null in the JSON (NaN before it is written).
 */

/** A median and every round's figure. */
export interface Series {
    medianMs: number;
    all: number[];
}

/** One operation of one tool: its figures, and where the median round's time went. */
export interface OpTimes extends Series {
    /** pulumi: startupMs, stepsMs, tailMs; the floor: its phases (openssl, broker, client, checks). */
    phases?: Record<string, number>;
    /** The slowest resources (pulumi) or tasks (Ansible). */
    top?: { name: string; ms: number }[];
    /** Ansible: from its start to its first task. */
    startupMs?: number;
    /** Ansible: each play's time. */
    plays?: { name: string; ms: number }[];
    /** pulumi: the engine's change summary; Ansible: how many tasks changed something. */
    changes?: Record<string, number>;
    changed?: number;
}

export interface ToolTimes {
    cold?: OpTimes;
    /** pulumi: a no-op `up`; */
    noop?: OpTimes;
    /** pulumi: `up --refresh` on quiet hosts. */
    refresh?: OpTimes;
    /** Ansible: the same playbook again, nothing to change. */
    rerun?: OpTimes;
    rotation?: OpTimes;
}

/** Tools: pulumi, ansible-same, ansible-pubsub, floor-same, floor-pubsub ("same": the checks `up` runs; "pubsub": one round trip). */
export interface PeersResults {
    kind: "peers";
    when: string;
    machine: string;
    run: string;
    rounds: number;
    program: string;
    images: { base: string; existingHost: string };
    ansible: string;
    /** Only some tools ran (BENCH_TOOLS): written apart, never as the latest the README renders. */
    partial: boolean;
    tools: Record<string, ToolTimes>;
    /** This project's time over the peer's, by the peer's checks. */
    ratios: { same: Record<string, number>; pubsub: Record<string, number> };
    problems: string[];
}
