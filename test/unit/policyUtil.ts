/**
 * Runs policies without the engine, the way the policy server (@pulumi/policy server.js) does:
 * properties wrapped in the server's unknown-checking proxy, its `UnknownValueError` turned into
 * the advisory "can't run policy during preview" note, `notApplicable` recorded, not failed.
 * Builders make validation args for a resource type, or for a stack with its dependencies.
 */
import assert from "node:assert/strict";
import * as policy from "@pulumi/policy";
import {
    PolicyResource,
    PolicyResourceOptions,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";

/** The engine's marker for a value known only at `up` (pulumi's UnknownStringValue, as preview sends it). */
export const unknownValue = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

const server = policy as unknown as {
    unknownCheckingProxy<T>(props: T): T;
    UnknownValueError: new (...args: never[]) => Error;
};

class NotApplicable extends Error {}

/** What one run of a policy produced. */
export interface Outcome {
    violations: { message: string; urn?: string }[];
    /** The advisory note the engine prints when a value was unknown ("can't run policy ... during preview: ..."). */
    unjudged?: string;
    notApplicable?: string;
}

const options: PolicyResourceOptions = {
    protect: false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
};

const urnOf = (type: string, name: string) => `urn:pulumi:test::mqtt-lab::${type}::${name}`;

function isTypeFn(type: string) {
    return (cls: unknown): boolean => {
        const c = cls as { __pulumiType?: string; isInstance?: (o: unknown) => boolean };
        return c.__pulumiType === type || (typeof c.isInstance === "function" && c.isInstance({ __pulumiType: type }) === true);
    };
}

function common(config: object | undefined) {
    return {
        stackTags: new Map<string, string>(),
        getConfig: <T extends object>() => (config ?? {}) as T,
        notApplicable: (reason?: string): never => {
            throw new NotApplicable(reason ?? "");
        },
    };
}

/** Validation args for one resource of `type` with these inputs. */
export function resourceArgs(type: string, props: Record<string, unknown>, opts: { name?: string; config?: object } = {}): ResourceValidationArgs {
    const name = opts.name ?? "test";
    const proxied = server.unknownCheckingProxy(props);
    const isType = isTypeFn(type);
    return {
        type,
        name,
        urn: urnOf(type, name),
        props: proxied,
        opts: options,
        ...common(opts.config),
        isType,
        asType: ((cls: unknown) => (isType(cls) ? proxied : undefined)) as ResourceValidationArgs["asType"],
    };
}

/** One resource of a stack; `propertyDependencies` maps a property to the names of the resources it comes from. */
export interface StackResourceSpec {
    type: string;
    name: string;
    props: Record<string, unknown>;
    propertyDependencies?: Record<string, string[]>;
}

/** Validation args for a whole stack, with dependencies linked like the server links them. */
export function stackArgs(specs: StackResourceSpec[], opts: { config?: object } = {}): StackValidationArgs {
    const byName = new Map<string, PolicyResource>();
    const resources = specs.map((s) => {
        const props = server.unknownCheckingProxy(s.props);
        const isType = isTypeFn(s.type);
        const r: PolicyResource = {
            type: s.type,
            name: s.name,
            urn: urnOf(s.type, s.name),
            props,
            opts: options,
            dependencies: [],
            propertyDependencies: {},
            isType,
            asType: ((cls: unknown) => (isType(cls) ? props : undefined)) as PolicyResource["asType"],
        };
        byName.set(s.name, r);
        return r;
    });
    specs.forEach((s, i) => {
        for (const [prop, names] of Object.entries(s.propertyDependencies ?? {})) {
            const deps = names.map((n) => {
                const d = byName.get(n);
                assert.ok(d, `test stack: ${s.name}.${prop} depends on unknown resource ${n}`);
                return d;
            });
            resources[i].propertyDependencies[prop] = deps;
            for (const d of deps) if (!resources[i].dependencies.includes(d)) resources[i].dependencies.push(d);
        }
    });
    return { resources, ...common(opts.config) };
}

async function run(policyName: string, validations: ((report: ReportViolation) => unknown)[]): Promise<Outcome> {
    const outcome: Outcome = { violations: [] };
    const report: ReportViolation = (message: string, urn?: string) => {
        outcome.violations.push({ message, urn });
    };
    for (const validate of validations) {
        try {
            await validate(report);
        } catch (e) {
            if (e instanceof server.UnknownValueError) outcome.unjudged = `can't run policy '${policyName}' during preview: ${e.message}`;
            else if (e instanceof NotApplicable) outcome.notApplicable = e.message;
            else throw e;
        }
    }
    return outcome;
}

export function runResourcePolicy(p: ResourceValidationPolicy, args: ResourceValidationArgs): Promise<Outcome> {
    const vs = p.validateResource === undefined ? [] : Array.isArray(p.validateResource) ? p.validateResource : [p.validateResource];
    return run(
        p.name,
        vs.map((v) => (report: ReportViolation) => v(args, report)),
    );
}

export function runStackPolicy(p: StackValidationPolicy, args: StackValidationArgs): Promise<Outcome> {
    return run(p.name, [(report: ReportViolation) => p.validateStack(args, report)]);
}

function matches(message: string, expected: string | RegExp): boolean {
    return typeof expected === "string" ? message.includes(expected) : expected.test(message);
}

function show(o: Outcome): string {
    return JSON.stringify(o, null, 2);
}

/** Asserts one violation of policy `name` matches `expected` (a substring or a pattern). */
function assertViolation(name: string, o: Outcome, expected: string | RegExp): Outcome {
    assert.ok(
        o.violations.some((v) => matches(v.message, expected)),
        `expected a violation of ${name} matching ${expected}, got ${show(o)}`,
    );
    return o;
}

/** Asserts no violation of policy `name` and nothing left unjudged: a pass on known values. */
function assertClean(name: string, o: Outcome): Outcome {
    assert.deepEqual(o.violations, [], `expected no violation of ${name}, got ${show(o)}`);
    assert.equal(o.unjudged, undefined, `expected ${name} to judge everything, got ${show(o)}`);
    return o;
}

/** Asserts one violation matches `expected` (a substring or a pattern), and returns the outcome. */
export async function assertHasResourceViolation(p: ResourceValidationPolicy, args: ResourceValidationArgs, expected: string | RegExp): Promise<Outcome> {
    return assertViolation(p.name, await runResourcePolicy(p, args), expected);
}

/** Asserts no violation and nothing left unjudged: a pass on known values. */
export async function assertNoResourceViolations(p: ResourceValidationPolicy, args: ResourceValidationArgs): Promise<Outcome> {
    return assertClean(p.name, await runResourcePolicy(p, args));
}

/** `assertHasResourceViolation` for a stack policy. */
export async function assertHasStackViolation(p: StackValidationPolicy, args: StackValidationArgs, expected: string | RegExp): Promise<Outcome> {
    return assertViolation(p.name, await runStackPolicy(p, args), expected);
}

/** `assertNoResourceViolations` for a stack policy. */
export async function assertNoStackViolations(p: StackValidationPolicy, args: StackValidationArgs): Promise<Outcome> {
    return assertClean(p.name, await runStackPolicy(p, args));
}

/** Asserts the engine would print the "could not be judged at preview" note naming `what`. */
export function assertUnjudged(o: Outcome, what: string | RegExp): void {
    assert.ok(o.unjudged !== undefined && matches(o.unjudged, what), `expected an unjudged note about ${what}, got ${show(o)}`);
    assert.match(o.unjudged!, /could not be judged at preview/);
}
