/**
 * Pure rendering of the shell scripts that run on the hosts over SSH.
 *
 * Data travels two ways, both chosen so nothing depends on the SSH server's AcceptEnv:
 * - public, preview-known files (conf, ACL) are embedded in the script as quoted heredocs, so the
 *   policy pack can read exactly what is sent (`embeddedFiles`);
 * - certificates and keys travel on stdin as a "bundle" (one `name base64` line per file), which
 *   the command provider keeps secret and out of logs.
 * Files are written into a private (0700) staging directory and renamed into place, so no key is
 * ever readable by others, and no half-written file is ever live.
 */
import { createHash } from "node:crypto";
import { brokerPaths, restartFiles, sighupFiles } from "../mosquitto/conf";

/** Quotes a string for a POSIX shell. */
export function shQuote(s: string): string {
    return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** How a host differs from another: filled in by the hosts component, opaque to everyone else. */
export interface HostShell {
    /** Prefix that runs a command as root ("" when the SSH user is root, "sudo -n " otherwise). */
    asRoot: string;
    /** Shell that makes mosquitto re-read certificates, ACL and conf (SIGHUP). */
    reload: string;
    /** Shell that restarts mosquitto and prints its error when it refuses to start. */
    restart: string;
}

/** What the seed's Debian VMs need: sudo without a prompt, and systemd for mosquitto. */
export const systemdShell: HostShell = {
    asRoot: "sudo -n ",
    reload: "systemctl reload mosquitto",
    restart: "systemctl restart mosquitto",
};

/** Containers run as root with no init: mosquitto is a plain daemon we signal and restart. */
export const containerShell: HostShell = {
    asRoot: "",
    reload: "pkill -HUP -x mosquitto",
    restart:
        "pkill -x mosquitto || true; i=0; while pgrep -x mosquitto >/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done; " +
        "mosquitto -c /etc/mosquitto/mosquitto.conf -d",
};

/** Wraps a script so it runs under bash as root on the host. stdin passes through. */
export function asRootScript(shell: HostShell, script: string): string {
    return `${shell.asRoot}bash -c ${shQuote(script)}`;
}

/** A file name that may appear in a bundle: no path, no dot files. */
const bundleName = /^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$/;

/** Encodes files for stdin. Order is stable so identical content gives an identical bundle. */
export function renderBundle(files: Record<string, string>): string {
    const names = Object.keys(files).sort();
    const lines = names.map((name) => {
        if (!bundleName.test(name)) throw new Error(`bundle file name "${name}" is not allowed`);
        return `${name} ${Buffer.from(files[name], "utf8").toString("base64")}\n`;
    });
    // The end line lets the host tell a whole bundle from one cut short (a killed copy).
    return lines.join("") + `${bundleEnd} ${names.length}\n`;
}

/** Last line of a bundle: this word and the number of files before it. */
export const bundleEnd = "__end__";

/** Decodes a bundle (used by tests and by the verify tool). */
export function parseBundle(bundle: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const line of bundle.split("\n")) {
        if (!line || line.startsWith(`${bundleEnd} `)) continue;
        const [name, b64] = line.split(" ");
        out[name] = Buffer.from(b64 ?? "", "base64").toString("utf8");
    }
    return out;
}

const heredocStart = /^cat > "\$S\/([A-Za-z0-9._-]+)" <<'(MQTTLAB_[0-9a-f]{12})'$/;

/** A heredoc that writes `content` to the staging directory, with a marker that cannot collide. */
export function embedFile(name: string, content: string): string {
    if (!bundleName.test(name)) throw new Error(`embedded file name "${name}" is not allowed`);
    const marker = `MQTTLAB_${createHash("sha256").update(content).digest("hex").slice(0, 12)}`;
    const body = content.endsWith("\n") ? content : content + "\n";
    return `cat > "$S/${name}" <<'${marker}'\n${body}${marker}\n`;
}

/** Reads back the files a script embeds: what the policy pack judges. */
export function embeddedFiles(script: string): Record<string, string> {
    const out: Record<string, string> = {};
    const lines = script.split("\n");
    for (let i = 0; i < lines.length; i++) {
        const m = heredocStart.exec(lines[i]);
        if (!m) continue;
        const body: string[] = [];
        for (i++; i < lines.length && lines[i] !== m[2]; i++) body.push(lines[i]);
        out[m[1]] = body.join("\n") + "\n";
    }
    return out;
}

/**
 * Shell that reads a stdin bundle (renderBundle) into the directory `dir` (a shell word such as
 * "$S"). Refuses names with a path, and a bundle cut short (a copy killed midway); accepts the end
 * line without its newline (the command provider hands stdout on without it), no other line.
 */
export function readBundleShell(dir: string): string {
    return `count=0; whole=no
while IFS=' ' read -r name b64 || [ "\${name:-}" = ${bundleEnd} ]; do
  [ -n "$name" ] || continue
  if [ "$name" = ${bundleEnd} ]; then [ "$b64" = "$count" ] && whole=yes; break; fi
  case "$name" in */*|.*) echo "mqtt-lab: refusing bundle file name $name" >&2; exit 2 ;; esac
  printf '%s' "$b64" | base64 -d > ${dir}/"$name"
  count=$((count+1))
done
[ $whole = yes ] || { echo "mqtt-lab: the bundle on stdin was cut short (a copy killed midway?): nothing was changed" >&2; exit 2; }`;
}
const readBundle = readBundleShell('"$S"');

export interface BrokerApplyOptions {
    shell: HostShell;
    conf: string;
    acl: string;
    tlsPort: number;
    takeOverConfFiles: boolean;
    /** Whether the bundle carries a password file (teaching listener). */
    withPasswords: boolean;
}

/**
 * The broker's apply script: stage, check conf.d for rival listeners, back up, swap in, reload or
 * restart, wait until mosquitto listens, and roll back with mosquitto's own message if it won't.
 * stdin: bundle with one ca-g<N>.crt per trusted CA generation, server.crt, server.key (and passwd).
 *
 * Trusted CAs live in a hashed directory (mosquitto's capath), which new connections re-read:
 * adding a CA needs no reload at all; removing or changing one needs a restart, since mosquitto
 * keeps what it loaded. `ca.d` is a symlink to a versioned directory, swapped atomically.
 */
export function brokerApplyScript(o: BrokerApplyOptions): string {
    const p = brokerPaths;
    const files = [...restartFiles, ...sighupFiles].filter((f) => f !== "passwd" || o.withPasswords).join(" ");
    return `set -eu
umask 077
D=${p.dir}; CONF=${p.conf}; LOG=${p.log}
mkdir -p ${p.confD}
install -d -m 0750 -o root -g mosquitto "$D"
# A run killed outright (SIGKILL) leaves its private staging directory: clear those first.
rm -rf "$D"/.stage.*
S=$(mktemp -d "$D/.stage.XXXXXX")
trap 'rm -rf "$S"' EXIT
${readBundle}
${embedFile("mqtt-lab.conf", o.conf)}${embedFile("acl", o.acl)}
for f in server.crt server.key${o.withPasswords ? " passwd" : ""}; do
  [ -s "$S/$f" ] || { echo "mqtt-lab: $f missing from the bundle" >&2; exit 2; }
done
ls "$S"/ca-g*.crt >/dev/null 2>&1 || { echo "mqtt-lab: no CA (ca-g<N>.crt) in the bundle" >&2; exit 2; }
install -d -m 0755 "$S/ca.d"
mv "$S"/ca-g*.crt "$S/ca.d/"
chmod 0644 "$S"/ca.d/*
openssl rehash "$S/ca.d" >/dev/null
# A port the new conf listens on that mosquitto does not hold yet must be free: otherwise another
# program has it, and the listening check below could take that program for mosquitto.
old_ports=" $(sed -n 's/^listener \\([0-9]*\\).*/\\1/p' "$CONF" 2>/dev/null | tr '\\n' ' ')"
for p in $(sed -n 's/^listener \\([0-9]*\\).*/\\1/p' "$S/mqtt-lab.conf"); do
  case "$old_ports" in *" $p "*) continue ;; esac
  # Loopback-only holders do not count: mosquitto's own default listener (no conf yet) sits there.
  if ss -Hltn "sport = :$p" 2>/dev/null | awk '{ print $4 }' | grep -qvE '^(127\\.[0-9.]+|\\[::1\\]):'; then
    echo "mqtt-lab: port $p is already in use on the broker by another program; nothing was changed (free it, or choose another port)" >&2
    exit 4
  fi
done
# Other conf.d files that open a listener or change access rules would undo ours.
rivals=""
for f in ${p.confD}/*.conf; do
  [ -e "$f" ] && [ "$f" != "$CONF" ] || continue
  if grep -qE '^[[:space:]]*(listener|port|allow_anonymous|per_listener_settings|password_file|acl_file)([[:space:]]|$)' "$f"; then rivals="$rivals $f"; fi
done
if [ -n "$rivals" ]; then
  if [ ${o.takeOverConfFiles ? "yes" : "no"} = yes ]; then
    for f in $rivals; do mv "$f" "$f.mqtt-lab-disabled"; echo "mqtt-lab: moved $f aside (destroy puts it back)" >&2; done
  else
    echo "mqtt-lab: conf.d already defines a listener or access rule in:$rivals. mosquitto would merge it with the lab's listeners (the seed's confTP.conf had allow_anonymous true). Set mqtt-lab:takeOverConfFiles to true to move it aside (destroy puts it back), or remove it." >&2
    exit 3
  fi
fi
for f in "$S"/*; do [ -d "$f" ] || { chgrp mosquitto "$f"; chmod 0640 "$f"; }; done
chmod 0644 "$S/server.crt" "$S/mqtt-lab.conf"
live() { if [ "$1" = mqtt-lab.conf ]; then echo "$CONF"; else echo "$D/$1"; fi; }
# The action, from src/mosquitto/conf.ts's table: files read only at start, or re-read on SIGHUP.
action=none
for f in ${sighupFiles.filter((f) => f !== "passwd" || o.withPasswords).join(" ")}; do cmp -s "$S/$f" "$(live $f)" || action=sighup; done
for f in ${restartFiles.join(" ")}; do cmp -s "$S/$f" "$(live $f)" || action=restart; done
# A CA removed or changed: restart. A CA added: nothing, new connections read the directory.
ca_change=none
for f in "$S"/ca.d/ca-g*.crt; do cmp -s "$f" "$D/ca.d/$(basename "$f")" || ca_change=added; done
for f in "$D"/ca.d/ca-g*.crt; do [ -e "$f" ] || continue; cmp -s "$f" "$S/ca.d/$(basename "$f")" || ca_change=removed; done
[ $ca_change = removed ] && action=restart
B="$D/.previous"; rm -rf "$B"; mkdir -m 0700 "$B"
for f in ${files}; do [ -e "$(live $f)" ] && cp -p "$(live $f)" "$B/$f"; done
old_ca=$(readlink "$D/ca.d" 2>/dev/null || true)
new_ca="ca.d.$(date +%s%N)"
mv "$S/ca.d" "$D/$new_ca"
ln -sfn "$new_ca" "$D/.ca.d.next" && mv -T "$D/.ca.d.next" "$D/ca.d"
for f in ${files}; do mv -f "$S/$f" "$(live $f)"; done
listening() { ss -Hltn "sport = :${o.tlsPort}" 2>/dev/null | grep -q . ; }
# Up to 10 s for the port; a mosquitto that is gone after 1 s refused its files: no need to wait more.
wait_listening() { i=0; while [ $i -lt 100 ]; do listening && pgrep -x mosquitto >/dev/null && return 0; [ $i -gt 10 ] && ! pgrep -x mosquitto >/dev/null && return 1; sleep 0.1; i=$((i+1)); done; return 1; }
mark=$(wc -l < "$LOG" 2>/dev/null || echo 0)
ok=yes; out=""
case $action in
  restart) out=$( { ${o.shell.restart} ; } 2>&1 ) || ok=no ;;
  sighup) out=$( { ${o.shell.reload} ; } 2>&1 ) || ok=no ;;
esac
[ $ok = yes ] && { wait_listening || ok=no; }
if [ $ok = no ]; then
  said=$(tail -n +$((mark+1)) "$LOG" 2>/dev/null | grep -iE 'error|unable|invalid|unknown' | tail -n 5 || true)
  for f in ${files}; do if [ -e "$B/$f" ]; then cp -p "$B/$f" "$(live $f)"; else rm -f "$(live $f)"; fi; done
  if [ -n "$old_ca" ]; then ln -sfn "$old_ca" "$D/.ca.d.next" && mv -T "$D/.ca.d.next" "$D/ca.d"; fi
  rm -rf "$D/$new_ca"
  ( ${o.shell.restart} ) >/dev/null 2>&1 || true
  wait_listening || true
  echo "mqtt-lab: mosquitto refused the new configuration (${"$"}{action}); the previous one was restored. mosquitto said: $out $said" >&2
  exit 1
fi
[ -n "$old_ca" ] && [ "$old_ca" != "$new_ca" ] && rm -rf "$D/$old_ca"
echo "mqtt-lab: broker files in place; trusted CAs: $(cd "$D/ca.d" && ls ca-g*.crt | tr '\\n' ' ')(${"$"}{ca_change}); mosquitto action: $action"
`;
}

/** The broker's destroy script: remove our files, put rivals back, leave mosquitto running. */
export function brokerRemoveScript(shell: HostShell): string {
    const p = brokerPaths;
    return `set -eu
rm -f ${p.conf}
rm -rf ${p.dir}
for f in ${p.confD}/*.conf.mqtt-lab-disabled; do [ -e "$f" ] && mv "$f" "\${f%.mqtt-lab-disabled}"; done
( ${shell.restart} ) >/dev/null 2>&1 || true
echo "mqtt-lab: broker restored"
`;
}

/** Where a client identity's files live on its host, relative to the SSH user's home. */
export function clientDir(identity: string): string {
    return `.mqtt-lab/${identity}`;
}

/**
 * The client's install script: runs as the SSH user (no root needed), files 0600 in a 0700
 * directory. stdin: bundle with ca.crt, client.crt, client.key.
 */
export function clientInstallScript(identity: string): string {
    return `set -eu
umask 077
T="$HOME/${clientDir(identity)}"
mkdir -p "$T"; chmod 0700 "$HOME/.mqtt-lab" "$T"
rm -rf "$T"/.stage.*
S=$(mktemp -d "$T/.stage.XXXXXX")
trap 'rm -rf "$S"' EXIT
${readBundle}
for f in ca.crt client.crt client.key; do
  [ -s "$S/$f" ] || { echo "mqtt-lab: $f missing from the bundle" >&2; exit 2; }
  mv -f "$S/$f" "$T/$f"
done
echo "mqtt-lab: client ${identity} files in $T"
`;
}

export function clientRemoveScript(identity: string): string {
    return `rm -rf "$HOME/${clientDir(identity)}"; rmdir "$HOME/.mqtt-lab" 2>/dev/null || true`;
}
