/**
 * The dev login (docs/security.md, "Dev login"): `POST /dev/login` mints a local HS256 token for a
 * customer or an admin, so the web console can sign a person in without an identity provider.
 * Anyone who reaches it can be anyone, so it is closed unless asked for (GATEWAY_DEV_LOGIN), and
 * the gateway refuses to start with it asked for where it would be dangerous: with an identity
 * provider's keys (GATEWAY_JWKS_URL; its tokens are the only way in there) or in production.
 */
import { ConfigurationError, type Environment } from '../platform/config.js';
import { mintToken } from '../platform/identity.js';

export type DevLoginOptions = Pick<
  Environment,
  'GATEWAY_DEV_LOGIN' | 'GATEWAY_JWT_SECRET' | 'GATEWAY_JWKS_URL' | 'GATEWAY_JWT_ISSUER' | 'GATEWAY_JWT_AUDIENCE' | 'DEPLOYMENT_ENVIRONMENT'
>;

/** A dev-login token lives as long as a `make token` one: an hour. */
export const DEV_LOGIN_TTL_SECONDS = 3600;

/** Whether the dev login is open; throws a ConfigurationError when it is asked for where it must not be. */
export function devLoginOpen(options: DevLoginOptions): boolean {
  if (!options.GATEWAY_DEV_LOGIN) return false;
  if (!options.GATEWAY_JWT_SECRET || options.GATEWAY_JWKS_URL) {
    throw new ConfigurationError(
      ['GATEWAY_DEV_LOGIN', 'GATEWAY_JWKS_URL'],
      'GATEWAY_DEV_LOGIN=true needs the local HS256 secret (GATEWAY_JWT_SECRET) and no GATEWAY_JWKS_URL: behind an identity provider, sign in there',
    );
  }
  if (/^prod(uction)?$/i.test(options.DEPLOYMENT_ENVIRONMENT)) {
    throw new ConfigurationError(
      ['GATEWAY_DEV_LOGIN', 'DEPLOYMENT_ENVIRONMENT'],
      `GATEWAY_DEV_LOGIN=true in DEPLOYMENT_ENVIRONMENT=${options.DEPLOYMENT_ENVIRONMENT}: the dev login lets anyone be anyone and never runs in production`,
    );
  }
  return true;
}

/** The token the dev login answers with, signed as `make token` signs. */
export async function devLoginToken(
  options: DevLoginOptions,
  who: { customerId: string; role: 'customer' | 'admin' },
): Promise<{ token: string; expiresIn: number }> {
  const token = await mintToken({
    secret: options.GATEWAY_JWT_SECRET,
    customerId: who.customerId,
    role: who.role,
    ttlSeconds: DEV_LOGIN_TTL_SECONDS,
    issuer: options.GATEWAY_JWT_ISSUER,
    audience: options.GATEWAY_JWT_AUDIENCE,
  });
  return { token, expiresIn: DEV_LOGIN_TTL_SECONDS };
}
