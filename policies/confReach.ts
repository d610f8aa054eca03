import { describeListener } from "../src/mosquitto/parse";
import { confPolicy } from "./define";

/**
 * Mandatory: the conf the program sends is the whole of what the rules judge. An `include_dir`
 * makes mosquitto read every .conf of another folder too, files no rule of the pack reads.
 */
export const requireNoIncludeDir = confPolicy("mosquitto-conf-no-include-dir", {
    description: "A mosquitto conf the pack judges pulls in no other files (include_dir).",
    defaultLevel: "mandatory",
    judge: (conf, files, label, report) =>
        conf.includeDirs.forEach((dir) =>
            report(
                `${label} sends, in ${files.source}, a mosquitto conf with include_dir ${dir}: mosquitto would also read every .conf there, which no rule of the pack judges. The broker component writes one conf file and needs none; remove the include_dir line.`,
            ),
        ),
});

/**
 * Mandatory: a TLS listener whose ACL names users gets those names from the client certificate
 * (use_identity_as_username, or use_subject_as_username); otherwise a certificate client has no
 * user name and none of the ACL's per-identity blocks applies to it.
 */
export const requireIdentityAcl = confPolicy("mosquitto-acl-keyed-on-identity", {
    description: "A TLS listener with an ACL takes the MQTT user name from the client certificate.",
    defaultLevel: "mandatory",
    judge: (conf, files, label, report) => {
        for (const l of conf.listeners.filter((x) => x.tls && x.aclFile && !x.useIdentityAsUsername && !x.useSubjectAsUsername)) {
            report(
                `${label} sends, in ${files.source}, a mosquitto conf whose TLS ${describeListener(l)} has acl_file ${l.aclFile} but neither use_identity_as_username nor use_subject_as_username, so its clients have no user name from their certificate and the ACL's per-identity blocks never apply. The broker component sets use_identity_as_username true.`,
            );
        }
    },
});
