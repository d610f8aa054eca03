/**
 * Reads "NAME SUBNET" lines on stdin and prints those whose subnet overlaps the CIDR given as the
 * argument (one line each), with the CIDR math of src/config/net.ts, the one the program uses.
 * image/substrate.sh runs it (through ts-node, before anything is compiled):
 *
 *   docker network ls ... | node -r ts-node/register/transpile-only tools/overlaps.ts 192.168.56.0/24
 */
import { cidrsOverlap, parseCidr } from "../src/config/net";

const target = parseCidr(process.argv[2] ?? "");
if (!target) {
    console.error(`overlaps: "${process.argv[2] ?? ""}" is not an IPv4 network in CIDR form`);
    process.exit(2);
}
let input = "";
process.stdin.on("data", (chunk) => (input += String(chunk)));
process.stdin.on("end", () => {
    for (const line of input.split("\n")) {
        const [name, subnet] = line.trim().split(/\s+/);
        const c = subnet ? parseCidr(subnet) : undefined;
        if (name && c && cidrsOverlap(c, target)) console.log(`${name} ${subnet}`);
    }
});
