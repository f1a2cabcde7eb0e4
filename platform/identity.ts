/**
 * Who calls the gateway: the bearer-token contract shared by the gateway, which verifies tokens
 * (gateway/identity.ts), and everything that issues them for local use: the `make token` CLI
 * (infra/programs/setup/token.ts), the demo, the load generator, the benchmarks and the tests. One zod schema
 * gives the claims' runtime check and their type. See docs/security.md.
 *
 * A token says who the customer is (`sub`) and what they may do (`role`); the gateway takes the
 * customer id from it, never from a request body.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SignJWT } from 'jose';
import { z } from 'zod';
import { config } from './config.js';

export const roles = ['customer', 'admin'] as const;
export type Role = (typeof roles)[number];

/** The claims the gateway reads; `sub` has the order contract's customer id bounds. */
export const tokenClaimsSchema = z.object({
  sub: z.string().min(1).max(64),
  role: z.enum(roles),
});
export type TokenClaims = z.infer<typeof tokenClaimsSchema>;

/** Who made a request, as the gateway knows it once the token is verified. */
export interface Caller {
  customerId: string;
  role: Role;
}

export interface MintOptions {
  secret: string;
  customerId: string;
  role?: Role;
  /** Lifetime in seconds (default one hour). */
  ttlSeconds?: number;
  issuer?: string;
  audience?: string;
}

/** An HS256 token for a customer (or an admin), as the local gateway accepts it. */
export function mintToken(options: MintOptions): Promise<string> {
  const claims: TokenClaims = tokenClaimsSchema.parse({ sub: options.customerId, role: options.role ?? 'customer' });
  return new SignJWT({ role: claims.role })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuer(options.issuer ?? config().GATEWAY_JWT_ISSUER)
    .setAudience(options.audience ?? config().GATEWAY_JWT_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${options.ttlSeconds ?? 3600}s`)
    .sign(new TextEncoder().encode(options.secret));
}

/** Where `make up` keeps the local signing secret (gitignored, mode 0600; infra/local/gateway-secret.sh). */
export const localSecretFile = fileURLToPath(new URL('../.state/gateway-secret', import.meta.url));

/**
 * The local signing secret: GATEWAY_JWT_SECRET when set (the services get it that way), else the
 * file `make up` wrote. Throws, saying how to get one, when there is neither.
 */
export function localSigningSecret(): string {
  const fromEnvironment = config().GATEWAY_JWT_SECRET;
  if (fromEnvironment) return fromEnvironment;
  if (existsSync(localSecretFile)) return readFileSync(localSecretFile, 'utf8').trim();
  throw new Error(
    `no local token secret: set GATEWAY_JWT_SECRET, or run \`make up\` (it writes ${localSecretFile}). ` +
      "A gateway behind an identity provider (GATEWAY_JWKS_URL) needs that provider's tokens instead.",
  );
}

const LOCAL_TTL_SECONDS = 3600;
const minted = new Map<string, { token: Promise<string>; renewAt: number }>();

/**
 * A token for this customer and role signed with the local secret, reused until it is near its
 * expiry, so a load run of thousands of requests signs once per customer.
 */
export function localToken(customerId: string, role: Role = 'customer'): Promise<string> {
  const key = `${role}|${customerId}`;
  const cached = minted.get(key);
  if (cached && cached.renewAt > Date.now()) return cached.token;
  const token = mintToken({ secret: localSigningSecret(), customerId, role, ttlSeconds: LOCAL_TTL_SECONDS });
  minted.set(key, { token, renewAt: Date.now() + (LOCAL_TTL_SECONDS - 300) * 1000 });
  return token;
}

/** `{ authorization: 'Bearer …' }` for a local customer (or admin) token. */
export async function localAuthorization(customerId: string, role: Role = 'customer'): Promise<{ authorization: string }> {
  return { authorization: `Bearer ${await localToken(customerId, role)}` };
}
