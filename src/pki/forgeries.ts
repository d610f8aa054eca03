/**
 * Certificates the broker must refuse, made for the refusal checks on the machine running Pulumi
 * (where the CA key already is), never on a host: remote/forgeries.sh, composed with its data.
 */
import { composeScript } from "../remote/compose";

/** Names of the files the forgeries script reads from its stdin bundle and writes to stdout. */
export const forgeryInputs = ["ca.crt", "ca.key", "client.crt"] as const;
export const forgeryOutputs = ["expired.crt", "expired.key", "impostor-ca.crt", "impostor.crt", "impostor.key"] as const;

/**
 * Shell (bash, on the machine running Pulumi): reads a bundle of `forgeryInputs` on stdin and
 * prints a bundle of `forgeryOutputs`.
 */
export function forgeriesScript(): string {
    return composeScript("forgeries", { FORGERY_OUTPUTS: forgeryOutputs.join(" ") });
}
