// Lint for every TypeScript file of the project: typescript-eslint's strict rules; tests may use
// `any` (mocks and engine results), nothing else may.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
    { ignores: ["bin/**", "node_modules/**", "test/fixtures/**/node_modules/**"] },
    js.configs.recommended,
    ...tseslint.configs.strict,
    {
        languageOptions: {
            globals: {
                process: "readonly",
                console: "readonly",
                Buffer: "readonly",
                __dirname: "readonly",
                require: "readonly",
                module: "readonly",
                setTimeout: "readonly",
                clearTimeout: "readonly",
                setInterval: "readonly",
                clearInterval: "readonly",
            },
        },
        rules: {
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
        },
    },
    {
        files: ["test/**/*.ts", "testkit/**/*.ts"],
        rules: {
            "@typescript-eslint/no-explicit-any": "off",
            "@typescript-eslint/no-non-null-assertion": "off",
            "@typescript-eslint/no-dynamic-delete": "off",
        },
    },
    {
        // The engine bench's report reads back the untyped results JSON it assembled, and its
        // timings have optional ends; both are typed when the bench is split per benchmark.
        files: ["bench/engine.ts"],
        rules: { "@typescript-eslint/no-explicit-any": "off", "@typescript-eslint/no-non-null-assertion": "off" },
    },
    {
        // The engine benches' shared timing code: a step's end is optional until its outputs arrive.
        files: ["bench/engineOps.ts"],
        rules: { "@typescript-eslint/no-non-null-assertion": "off" },
    },
);
