/**
 * Peak resident memory of a process tree, sampled from /proc: what `pulumi up` costs a machine is
 * the CLI, the language host, the program's node and every provider plugin at once, which no
 * single process's rusage says (getrusage's maxrss of the children is the largest one's).
 */
import { readdirSync, readFileSync } from "node:fs";

const pageBytes = 4096;

/** pid → [ppid, name, resident bytes] of every process now. */
function processes(): Map<number, { ppid: number; name: string; rss: number }> {
    const out = new Map<number, { ppid: number; name: string; rss: number }>();
    for (const entry of readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) continue;
        try {
            const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
            // The name is in parentheses and may hold spaces: the fields after the last ")" are fixed.
            const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
            const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
            const rssPages = Number(readFileSync(`/proc/${entry}/statm`, "utf8").split(" ")[1]);
            out.set(Number(entry), { ppid: Number(rest[1]), name, rss: rssPages * pageBytes });
        } catch {
            // Gone between the listing and the read.
        }
    }
    return out;
}

/** The descendants of `root` (not `root` itself), by pid. */
function descendants(all: Map<number, { ppid: number }>, root: number): number[] {
    const children = new Map<number, number[]>();
    for (const [pid, p] of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), pid]);
    const out: number[] = [];
    const walk = (pid: number) => {
        for (const c of children.get(pid) ?? []) {
            out.push(c);
            walk(c);
        }
    };
    walk(root);
    return out;
}

export interface TreeMemory {
    /** The largest sum of the tree's resident memory seen in one sample. */
    peakBytes: number;
    /** Each program's own peak (summed over its processes in that sample): where the memory is. */
    byProgram: Record<string, number>;
    samples: number;
}

/**
 * Samples the descendants of this process every `everyMs` until `stop()` is called: the processes
 * that one Automation API operation starts (pulumi, its language host, the program, the plugins).
 */
export function sampleTree(everyMs = 100): { stop: () => TreeMemory } {
    const mem: TreeMemory = { peakBytes: 0, byProgram: {}, samples: 0 };
    const tick = () => {
        const all = processes();
        const tree = descendants(all, process.pid);
        let sum = 0;
        const per: Record<string, number> = {};
        for (const pid of tree) {
            const p = all.get(pid);
            if (!p) continue;
            sum += p.rss;
            per[p.name] = (per[p.name] ?? 0) + p.rss;
        }
        mem.samples++;
        mem.peakBytes = Math.max(mem.peakBytes, sum);
        for (const [name, bytes] of Object.entries(per)) mem.byProgram[name] = Math.max(mem.byProgram[name] ?? 0, bytes);
    };
    tick();
    const timer = setInterval(tick, everyMs);
    return {
        stop: () => {
            clearInterval(timer);
            tick();
            return mem;
        },
    };
}
