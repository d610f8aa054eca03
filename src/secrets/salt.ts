/**
 * The salt of the teaching listener's password file: random bytes made once, kept as a secret in
 * the state. No random provider plugin exists here (only tls, docker, command and the Node dynamic
 * providers), so this is a small dynamic resource.
 *
 * What makes it: `create` draws `bytes` random bytes with node:crypto (12: mosquitto 2.0.11 takes
 * no other length). When it changes: never on its own. `diff` reports no change while `bytes` is
 * the same, so every preview and up render the same password file (no diff, no reload); it is
 * drawn again only when the resource is replaced (`pulumi up --replace <its URN>`), when `bytes`
 * changes, or when the teaching listener is turned off and on again (off deletes it).
 *
 * The provider below is serialized into the state in clear, with everything its functions
 * capture: it captures no secret (the salt is made inside `create`), and its output is marked
 * secret by `additionalSecretOutputs`.
 */
import * as pulumi from "@pulumi/pulumi";
import { randomBytes } from "node:crypto";
import { passwordSaltBytes } from "../mosquitto/conf";

interface SaltInputs {
    bytes: number;
}

interface SaltOutputs extends SaltInputs {
    /** base64 of the random bytes. */
    salt: string;
}

const saltProvider: pulumi.dynamic.ResourceProvider<SaltInputs, SaltOutputs> = {
    async create(inputs) {
        return { id: "password-salt", outs: { bytes: inputs.bytes, salt: randomBytes(inputs.bytes).toString("base64") } };
    },
    // Nothing on a host to read: the state is the truth.
    async read(id, props) {
        if (!props) throw new Error(`the password salt ${id} cannot be imported: it is made by this program`);
        return { id, props };
    },
    async diff(_id, olds, news) {
        const changed = olds.bytes !== news.bytes;
        return { changes: changed, replaces: changed ? ["bytes"] : [], deleteBeforeReplace: false };
    },
};

export interface PasswordSaltArgs {
    /** How many random bytes. @default passwordSaltBytes (12) */
    readonly bytes?: number;
}

/** A random salt, made once and kept (secret) in the state. */
export class PasswordSalt extends pulumi.dynamic.Resource {
    /** base64 of the random bytes (secret). */
    declare readonly salt: pulumi.Output<string>;

    constructor(name: string, args: PasswordSaltArgs = {}, opts?: pulumi.CustomResourceOptions) {
        super(saltProvider, name, { bytes: args.bytes ?? passwordSaltBytes, salt: undefined }, { ...opts, additionalSecretOutputs: ["salt"] });
    }
}
