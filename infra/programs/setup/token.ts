/**
 * `make token CUSTOMER=cust-kim [ROLE=admin] [TTL=1h]`: a bearer token for the local gateway, signed
 * with the local secret (GATEWAY_JWT_SECRET, or .state/gateway-secret that `make up` writes). Prints
 * the token alone on stdout, so it can be captured:
 *
 *   TOKEN=$(make -s token CUSTOMER=cust-kim)
 *   curl -H "Authorization: Bearer $TOKEN" localhost:8080/orders
 *
 *   npx tsx infra/programs/setup/token.ts --customer cust-kim [--role admin] [--ttl 1h]
 *
 * See docs/security.md for what a customer and an admin may do.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { localSigningSecret, mintToken, roles, tokenClaimsSchema } from '../../../platform/identity.js';

const usage = 'usage: token.ts --customer <id> [--role customer|admin] [--ttl 1h]   (ttl: 30s, 15m, 1h, 7d; at most 30d)';
const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;
const MAX_TTL_SECONDS = 30 * 86_400;

const ttlSchema = z
  .string()
  .regex(/^\d+[smhd]$/, 'a number and a unit: 30s, 15m, 1h, 7d')
  .transform((text) => Number(text.slice(0, -1)) * UNIT_SECONDS[text.at(-1) as keyof typeof UNIT_SECONDS])
  .pipe(z.number().int().min(1).max(MAX_TTL_SECONDS, 'at most 30d'));

const optionsSchema = z.object({
  customer: z.string({ error: 'required, e.g. --customer cust-kim (make token CUSTOMER=cust-kim)' }).pipe(tokenClaimsSchema.shape.sub),
  role: z.enum(roles).default('customer'),
  ttl: ttlSchema.default(3600),
});

export function parseTokenOptions(argv: string[]): z.infer<typeof optionsSchema> {
  const { values } = parseArgs({
    args: argv,
    options: { customer: { type: 'string' }, role: { type: 'string' }, ttl: { type: 'string' } },
    strict: true,
  });
  // make passes empty strings for variables not given (ROLE=, TTL=): those take the defaults.
  const given = Object.fromEntries(Object.entries(values).filter(([, value]) => value !== ''));
  const parsed = optionsSchema.safeParse(given);
  if (!parsed.success)
    throw new Error(`${parsed.error.issues.map((issue) => `--${issue.path.join('.')}: ${issue.message}`).join('; ')}\n${usage}`);
  return parsed.data;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    const options = parseTokenOptions(process.argv.slice(2));
    const token = await mintToken({
      secret: localSigningSecret(),
      customerId: options.customer,
      role: options.role,
      ttlSeconds: options.ttl,
    });
    process.stdout.write(`${token}\n`);
    if (process.stderr.isTTY) {
      process.stderr.write(
        `[token] ${options.role} ${options.customer}, valid ${options.ttl} s. Use: curl -H "Authorization: Bearer <token>" localhost:8080/orders\n`,
      );
    }
  } catch (error) {
    process.stderr.write(`token: ${(error as Error).message}\n`);
    process.exit(2);
  }
}
