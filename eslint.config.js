// ESLint over all TypeScript in the repository (product code, tests, bench, loadgen, infra), with
// typescript-eslint's type-checked rules; formatting is Prettier's (.prettierrc.json), so
// eslint-config-prettier turns off every rule that would fight it. `make lint`, `make fmt`.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  globalIgnores(['node_modules/', '.state/', '.tools/', 'dist/', 'console/dist/']),
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // A leading underscore marks a name that must exist but is not read (a positional parameter, a
      // field taken out of a rest spread): the code's convention since the first commit.
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      // Activities, stores and test doubles implement async interfaces; many need no await (an
      // in-memory store, a pure validation). Their signature, not their body, is the contract.
      '@typescript-eslint/require-await': 'off',
      // URL and URLSearchParams print what they hold; with Node's types (no DOM lib) they come from @types/node.
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        {
          allow: [
            { from: 'lib', name: ['Error', 'URL', 'URLSearchParams'] },
            { from: 'package', package: 'url', name: ['URL', 'URLSearchParams'] },
          ],
        },
      ],
      // A `let` read by a closure registered before its one assignment (a saga's compensation) cannot be a const.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    // Tests over parsed YAML and JSON documents (Compose and Kubernetes manifests, OTLP payloads decoded
    // from protobuf as plain objects) walk untyped trees by design; typing every manifest and OTLP
    // message would be a rewrite of those tests for no gain in what they check.
    files: ['test/deploy/*.ts', 'test/support/otlp-receiver.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // Tests that read the services' JSON answers and log lines (`await response.json()`, `JSON.parse`) and
    // assert on their fields: the assertions are the check of the shape, and a type restated beside each
    // would only repeat them. Rewriting these helpers (test/support/estate.ts) to typed answers is left
    // for a test-support change of its own.
    files: [
      'test/support/estate.ts',
      'test/support/service-process.ts',
      'test/e2e/card-data.test.ts',
      'test/e2e/order-through-gateway.test.ts',
      'test/e2e/saga-invariants.test.ts',
      'test/e2e/saga-start-recovery.test.ts',
      'test/histories/record.ts',
      'test/integration/dead-letters.test.ts',
      'test/integration/payment-http.test.ts',
      'test/integration/payment-ledger-durability.test.ts',
      'test/integration/service-health.test.ts',
      'test/unit/gateway-fuzz.test.ts',
      'test/unit/gateway-openapi.test.ts',
      'test/unit/loadgen-run.test.ts',
      'test/unit/logger-redaction.test.ts',
    ],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // OpenTelemetry attribute values are strings, numbers, booleans or arrays of them: String() prints
    // each of them readably in an assertion's message or a lookup key.
    files: ['test/e2e/observability.test.ts', 'test/support/otlp-receiver.ts'],
    rules: {
      '@typescript-eslint/no-base-to-string': 'off',
      '@typescript-eslint/restrict-template-expressions': 'off',
    },
  },
  {
    // MockActivityEnvironment.run takes the activity function itself, as a worker does; the payment
    // activities are closures from createPaymentActivities and read no `this`.
    files: ['test/integration/payment-activity-attempts.test.ts'],
    rules: { '@typescript-eslint/unbound-method': 'off' },
  },
  // Plain JavaScript (this file, the telemetry preload) is outside tsconfig.json: no type information.
  { files: ['**/*.{js,mjs,cjs}'], extends: [tseslint.configs.disableTypeChecked] },
  prettier,
);
