/**
 * The three shapes a rule of the pack takes, so that each policy file keeps only what is its own:
 * its name, description, default level, threshold (if any) and how it judges. Each returns the
 * rule's factory, `requireX(opts?)`:
 * - `confPolicy`: judges each mosquitto conf a remote command sends (brokerFiles.ts);
 * - `resourcePolicy`: judges each resource of some types, with its preview gaps and its label;
 * - `stackPolicy`: judges the whole stack, with its preview gaps.
 * What a rule could not judge at preview is reported last (`PreviewGaps.finish`).
 */
import {
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
    validateResourceOfType,
} from "@pulumi/policy";
import { MosquittoConf } from "../src/mosquitto/parse";
import { BrokerFiles, validateSentConfs } from "./brokerFiles";
import { PolicyOptions, PreviewGaps, ResourceClass, resourceLabel, validateResourceOfTypes } from "./judge";

/** The keys of `O` that hold numbers. */
type NumberKey<O> = { [K in keyof O]-?: NonNullable<O[K]> extends number ? K : never }[keyof O] & string;

/**
 * A threshold that a stack's policy config may set, as `configSchema` declares it. Its value is
 * the policy config's `key`, else the factory option of the same name, else `default`.
 */
export interface Threshold<O> {
    readonly key: NumberKey<O>;
    readonly minimum: number;
    readonly default: number;
    /** One sentence, shown with the policy config. */
    readonly description: string;
}

/** What every rule says about itself. */
export interface RuleArgs<O extends PolicyOptions> {
    /** One sentence. */
    readonly description: string;
    /** The level unless `PolicyOptions.enforcementLevel` says otherwise. */
    readonly defaultLevel: EnforcementLevel;
    /** The rule's one policy config setting. @default none */
    readonly threshold?: Threshold<O>;
}

/** What a rule judges with, besides the resource or the stack. */
export interface Judging<O> {
    readonly gaps: PreviewGaps;
    /** The options the factory was called with. */
    readonly opts: O;
    /** The threshold's value (see `Threshold`); NaN for a rule that declares none. */
    readonly threshold: number;
}

/** A resource rule's `Judging`, with the resource as messages name it (`resourceLabel`). */
export interface ResourceJudging<O> extends Judging<O> {
    readonly label: string;
}

type Factory<O, P> = (opts?: O) => P;

/** The declaration every rule shares, and how to start judging with its threshold and gaps. */
function declare<O extends PolicyOptions>(name: string, args: RuleArgs<O>, opts: O) {
    const t = args.threshold;
    const fallback = t ? ((opts[t.key] as number | undefined) ?? t.default) : NaN;
    return {
        head: {
            name,
            description: args.description,
            enforcementLevel: opts.enforcementLevel ?? args.defaultLevel,
            ...(t
                ? { configSchema: { properties: { [t.key]: { type: "integer" as const, minimum: t.minimum, default: fallback, description: t.description } } } }
                : {}),
        },
        judging: (config: () => Record<string, unknown>): Judging<O> => {
            const set = t ? config()[t.key] : undefined;
            return { gaps: new PreviewGaps(), opts, threshold: typeof set === "number" ? set : fallback };
        },
    };
}

/** A rule on each mosquitto conf a remote command sends; `judge` gets the parsed conf (`validateSentConfs`). */
export function confPolicy(
    name: string,
    args: RuleArgs<PolicyOptions> & { judge: (conf: MosquittoConf, files: BrokerFiles, label: string, report: ReportViolation) => void },
): Factory<PolicyOptions, ResourceValidationPolicy> {
    return (opts = {}) => ({ ...declare(name, args, opts).head, validateResource: validateSentConfs(args.judge) });
}

/** A rule on each resource of `types`: one class (`validateResourceOfType`) or several (`validateResourceOfTypes`). */
export function resourcePolicy<O extends PolicyOptions = PolicyOptions>(
    name: string,
    types: ResourceClass | ResourceClass[],
    args: RuleArgs<O> & { judge: (props: Record<string, unknown>, args: ResourceValidationArgs, report: ReportViolation, on: ResourceJudging<O>) => void },
): Factory<O, ResourceValidationPolicy> {
    return (opts = {} as O) => {
        const { head, judging } = declare(name, args, opts);
        const validate = (props: unknown, a: ResourceValidationArgs, report: ReportViolation) => {
            const on = { ...judging(() => a.getConfig()), label: resourceLabel(a.type, a.name) };
            args.judge(props as Record<string, unknown>, a, report, on);
            on.gaps.finish(report);
        };
        return { ...head, validateResource: Array.isArray(types) ? validateResourceOfTypes(types, validate) : validateResourceOfType(types, validate) };
    };
}

/** A rule on the whole stack. */
export function stackPolicy<O extends PolicyOptions = PolicyOptions>(
    name: string,
    args: RuleArgs<O> & { judge: (args: StackValidationArgs, report: ReportViolation, on: Judging<O>) => void },
): Factory<O, StackValidationPolicy> {
    return (opts = {} as O) => {
        const { head, judging } = declare(name, args, opts);
        return {
            ...head,
            validateStack: (a, report) => {
                const on = judging(() => a.getConfig());
                args.judge(a, report, on);
                on.gaps.finish((m) => report(m));
            },
        };
    };
}
