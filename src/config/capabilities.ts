/**
 * The Linux capabilities of the lab's containers: Docker's default set is dropped whole and only
 * what the lab's daemons and checks were measured to need is added back (each one's reason below).
 * Spelled as Docker reads them back (CAP_ prefix, sorted): the docker provider's read returns
 * HostConfig.CapAdd as Docker stores it, so any other spelling would show as a diff at every refresh.
 */
export const containerCapabilities = {
    drops: ["ALL"],
    adds: [
        // sshd records a login on a terminal in the kernel's audit log, and closes a session with a pty without it
        "CAP_AUDIT_WRITE",
        // root changes files' group to mosquitto (remote/broker-apply.sh chgrp) and lab-init owns its directories
        "CAP_CHOWN",
        // root reads mosquitto's own log (mosquitto owns it, 0600) to say why mosquitto refused a configuration;
        // not DAC_READ_SEARCH, which also opens files by handle (open_by_handle_at), outside the container's root
        "CAP_DAC_OVERRIDE",
        // root keeps a file's mode while it belongs to someone else: the apply's backup (cp -p) of a
        // password file whose owner was changed out of band (drift), before it puts the right one back
        "CAP_FOWNER",
        // root signals mosquitto, which runs as its own user (SIGHUP to reload, SIGTERM to restart)
        "CAP_KILL",
        // tshark/dumpcap capture on a packet socket (the checks' capture-plaintext and capture-tls)
        "CAP_NET_RAW",
        // sshd's privilege separation and session, mosquitto dropping to its user
        "CAP_SETGID",
        "CAP_SETUID",
        // sshd chroots its unprivileged pre-auth child to /run/sshd
        "CAP_SYS_CHROOT",
    ],
} as const;

/** The same set as `docker create` flags, for containers a test kit starts itself. */
export function capabilityFlags(): string[] {
    return [...containerCapabilities.drops.flatMap((c) => ["--cap-drop", c]), ...containerCapabilities.adds.flatMap((c) => ["--cap-add", c])];
}
