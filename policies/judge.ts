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
 * sentence saying exactly what could not be judged.
 */
import { ns } from "../lib/config";

/** A config key the way config validation prints it: `[mqtt-lab:tlsVersion]`. */
export function configKey(key: string): string {
    return `[${ns}:${key}]`;
}

/** A resource the way messages name it: `tls:index/privateKey:PrivateKey "lab-ca-key-g1"`. */
export function resourceLabel(type: string, name: string): string {
    return `${type} "${name}"`;
}

/** The engine's error for a value unknown at preview (policy server's `UnknownValueError`). */
export function isUnknownValueError(e: unknown): e is Error {
    return e instanceof Error && (e.constructor?.name === "UnknownValueError" || "unknownTypeSentinel" in e);
}

/** What `PreviewGaps.read` returns for a value that is not known yet. */
export const UNKNOWN: unique symbol = Symbol("unknown at preview");
export type Maybe<T> = T | typeof UNKNOWN;

/** Collects what could not be judged at preview; see the file comment. */
export class PreviewGaps {
    private readonly notes: string[] = [];
    private error: Error | undefined;

    /** Reads a value; on an unknown, records `what` ("environment.MQTTLAB_CONF of ...") and returns UNKNOWN. */
    read<T>(what: string, get: () => T): Maybe<T> {
        try {
            return get();
        } catch (e) {
            if (!isUnknownValueError(e)) throw e;
            this.note(what, e);
            return UNKNOWN;
        }
    }

    /** Records a gap found some other way (the value was read through another gap). */
    note(what: string, e?: Error): void {
        if (!this.notes.includes(what)) this.notes.push(what);
        if (e && !this.error) this.error = e;
    }

    get empty(): boolean {
        return this.notes.length === 0;
    }

    /** The sentence the engine shows: what could not be judged, and when it will be. */
    get message(): string {
        return `could not be judged at preview: ${this.notes.join("; ")}. These values are computed from other resources; the rule judges them again at \`pulumi up\`.`;
    }

    /**
     * Call last, after every known value has been judged: hands the gaps to the engine as its
     * advisory "can't run policy during preview" note. Without the engine's own error (a gap
     * found without one), `fallback` reports the gaps instead, so they are never dropped.
     */
    finish(fallback: (message: string) => void): void {
        if (this.empty) return;
        if (this.error) {
            this.error.message = this.message;
            throw this.error;
        }
        fallback(this.message);
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
