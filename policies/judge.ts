/**
 * Shared plumbing of the policies: naming things in messages, and reading values that may be
 * unknown during preview without ever treating "unknown" as a pass or crashing on it.
 *
 * How unknowns reach a policy: the policy server wraps every resource's properties in a proxy
 * that throws its own `UnknownValueError` when code touches a value that will only be known
 * after other resources are created. When that error escapes a validation, the engine prints
 * "can't run policy '<name>' ... during preview: <message>" as an advisory note and the rule is
 * skipped for that resource; at `pulumi up` the same rule runs again with the real values.
 * `PreviewGaps` catches the error where a value is read, lets the rule judge everything that
 * is known (and report violations), and only then throws the engine's error again, with a
 * sentence saying exactly what could not be judged. (The engine's own proxy is the only source
 * of that error, so a gap is never invented: what is merely absent is judged as absent.)
 */
import * as policy from "@pulumi/policy";
import { EnforcementLevel, ReportViolation, ResourceValidation, ResourceValidationArgs } from "@pulumi/policy";
import { ns } from "../src/config/labConfig";

/** A config key the way config validation prints it: `[mqtt-lab:tlsVersion]`. */
export function configKey(key: string): string {
    return `[${ns}:${key}]`;
}

/** A resource the way messages name it: `tls:index/privateKey:PrivateKey "lab-ca-key-g1"`. */
export function resourceLabel(type: string, name: string): string {
    return `${type} "${name}"`;
}

/** The policy server's error class for a value unknown at preview (exported by @pulumi/policy, untyped). */
const UnknownValueError = (policy as unknown as { UnknownValueError?: new (...args: never[]) => Error }).UnknownValueError;

/** True for the error the policy server's proxy throws when a rule touches a value unknown at preview. */
export function isUnknownValueError(e: unknown): e is Error {
    if (UnknownValueError && e instanceof UnknownValueError) return true;
    return e instanceof Error && e.constructor?.name === "UnknownValueError";
}

/** What `PreviewGaps.read` returns for a value that is not known yet. */
export const UNKNOWN: unique symbol = Symbol("unknown at preview");
export type Maybe<T> = T | typeof UNKNOWN;

/** Collects what could not be judged at preview; see the file comment. */
export class PreviewGaps {
    /** Values the engine said are unknown (it threw `error` for the first). */
    private readonly unknown: string[] = [];
    /** Values missing for another reason (no engine error to hand back): reported, failing closed. */
    private readonly unresolved: string[] = [];
    private error: Error | undefined;

    /** Reads a value; on an unknown, records `what` ("environment.MQTTLAB_CONF of ...") and returns UNKNOWN. */
    read<T>(what: string, get: () => T): Maybe<T> {
        try {
            return get();
        } catch (e) {
            if (!isUnknownValueError(e)) throw e;
            if (!this.unknown.includes(what)) this.unknown.push(what);
            this.error ??= e;
            return UNKNOWN;
        }
    }

    /** Records something that cannot be judged until the certificate is issued, for want of its inputs here. */
    note(what: string): void {
        if (!this.unresolved.includes(what)) this.unresolved.push(what);
    }

    get empty(): boolean {
        return this.unknown.length === 0 && this.unresolved.length === 0;
    }

    private static sentence(notes: string[], why: string): string {
        return `could not be judged at preview: ${notes.join("; ")}. ${why}; the rule judges them again at \`pulumi up\`.`;
    }

    /**
     * Call last, after every known value has been judged. Unresolved gaps go to `report` (the
     * rule's own level: a mandatory rule fails closed); unknown values go to the engine as its
     * advisory "can't run policy during preview" note, by throwing its own error again.
     */
    finish(report: (message: string) => void): void {
        if (this.unresolved.length > 0) {
            report(
                PreviewGaps.sentence(
                    this.unresolved,
                    "These inputs are not tls resources of this stack, and nothing else tells until the certificate is issued",
                ),
            );
        }
        if (this.unknown.length > 0 && this.error) {
            this.error.message = PreviewGaps.sentence(this.unknown, "These values are computed from other resources");
            throw this.error;
        }
    }
}

/** True when `v` is a plain object (not an array); safe on the policy proxy. */
export function isRecord(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Strings in a list that may contain non-strings; [] for anything else. */
export function stringList(v: unknown): string[] {
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

/** What every policy factory accepts. */
export interface PolicyOptions {
    /** Overrides the rule's level (a stack's policy config can too). @default the rule's own */
    readonly enforcementLevel?: EnforcementLevel;
}

/** Any resource class, as the policy SDK's `isType` takes it. */
export type ResourceClass = Parameters<ResourceValidationArgs["isType"]>[0];

/**
 * Like `validateResourceOfType`, for a rule that applies to several types. (An array of
 * `validateResourceOfType` would mark the rule "not applicable" on every resource, from the
 * validation of the other type.)
 */
export function validateResourceOfTypes(
    classes: ResourceClass[],
    validate: (props: Record<string, unknown>, args: ResourceValidationArgs, report: ReportViolation) => void,
): ResourceValidation {
    return (args, report) => {
        if (!classes.some((c) => args.isType(c))) {
            args.notApplicable(
                `Policy only applies to resources of type ${classes.map((c) => `'${(c as { __pulumiType?: string }).__pulumiType ?? c.name}'`).join(" or ")}`,
            );
        }
        return validate(args.props, args, report);
    };
}
