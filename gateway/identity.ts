/**
 * Bearer tokens at the edge (docs/security.md): which key material verifies them, and the
 * middleware that turns `Authorization: Bearer <jwt>` into the request's caller. Closed by default:
 * without key material the gateway does not start (`keyMaterialOf` throws, naming the variables).
 */
import type { Context, MiddlewareHandler } from 'hono';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { ConfigurationError, type Environment } from '../platform/config.js';
import { problem } from '../platform/http.js';
import { type Caller, tokenClaimsSchema } from '../platform/identity.js';
import { logger } from '../platform/logger.js';

export type IdentityOptions = Pick<Environment, 'GATEWAY_JWT_SECRET' | 'GATEWAY_JWKS_URL' | 'GATEWAY_JWT_ISSUER' | 'GATEWAY_JWT_AUDIENCE'>;

export type KeyMaterial =
  { kind: 'secret'; key: Uint8Array; algorithms: ['HS256'] } | { kind: 'jwks'; keys: JWTVerifyGetKey; algorithms: ['RS256', 'ES256'] };

/** Exactly one of GATEWAY_JWT_SECRET and GATEWAY_JWKS_URL; neither or both refuse the start. */
export function keyMaterialOf(options: IdentityOptions): KeyMaterial {
  const variables = ['GATEWAY_JWT_SECRET', 'GATEWAY_JWKS_URL'];
  if (options.GATEWAY_JWT_SECRET && options.GATEWAY_JWKS_URL) {
    throw new ConfigurationError(
      variables,
      'GATEWAY_JWT_SECRET and GATEWAY_JWKS_URL are both set: set one (the secret for local HS256 tokens, the JWKS URL for an identity provider)',
    );
  }
  if (options.GATEWAY_JWT_SECRET)
    return { kind: 'secret', key: new TextEncoder().encode(options.GATEWAY_JWT_SECRET), algorithms: ['HS256'] };
  if (options.GATEWAY_JWKS_URL)
    return { kind: 'jwks', keys: createRemoteJWKSet(new URL(options.GATEWAY_JWKS_URL)), algorithms: ['RS256', 'ES256'] };
  throw new ConfigurationError(
    variables,
    'GATEWAY_JWT_SECRET is not set (nor GATEWAY_JWKS_URL): the gateway has no key to verify tokens with and does not start open. ' +
      'Locally `make up` sets it from .state/gateway-secret; elsewhere set GATEWAY_JWT_SECRET (`openssl rand -base64 32`) or GATEWAY_JWKS_URL',
  );
}

export type Verification = { ok: true; caller: Caller } | { ok: false; reason: string; keysUnavailable?: true };

/** Verifies one token: signature, algorithm, issuer, audience, expiry, then the claims' shape. */
export function createTokenVerifier(options: IdentityOptions): (token: string) => Promise<Verification> {
  const material = keyMaterialOf(options);
  // A token without an expiry would be valid for ever: `exp` is required, as are whose (`sub`) and for whom (`iss`, `aud`).
  const verifyOptions = {
    issuer: options.GATEWAY_JWT_ISSUER,
    audience: options.GATEWAY_JWT_AUDIENCE,
    algorithms: material.algorithms,
    requiredClaims: ['exp', 'sub'],
    clockTolerance: 5,
  };
  return async (token) => {
    try {
      // The only key comparison at the edge: jose checks an HS256 signature with WebCrypto's HMAC
      // verify, which compares in constant time (Node: CRYPTO_memcmp), so timing leaks nothing.
      const { payload } =
        material.kind === 'secret'
          ? await jwtVerify(token, material.key, verifyOptions)
          : await jwtVerify(token, material.keys, verifyOptions);
      const claims = tokenClaimsSchema.safeParse(payload);
      if (!claims.success) return { ok: false, reason: 'the token lacks a valid sub or role claim' };
      return { ok: true, caller: { customerId: claims.data.sub, role: claims.data.role } };
    } catch (error) {
      if (error instanceof joseErrors.JWKSTimeout || !(error instanceof joseErrors.JOSEError)) {
        return { ok: false, reason: (error as Error).message, keysUnavailable: true };
      }
      if (error instanceof joseErrors.JWTExpired) return { ok: false, reason: 'the token has expired' };
      if (error instanceof joseErrors.JWTClaimValidationFailed)
        return { ok: false, reason: `the token's ${error.claim} claim is not accepted` };
      return { ok: false, reason: 'the token is not valid' };
    }
  };
}

export const REALM = 'ordersaga';

/** RFC 6750's challenge; `error` only when a token was sent. */
function challenge(error?: string, description?: string): string {
  return error ? `Bearer realm="${REALM}", error="${error}", error_description="${description}"` : `Bearer realm="${REALM}"`;
}

export function unauthorized(c: Context, detail: string, error?: string): Response {
  c.header('WWW-Authenticate', challenge(error, detail.replaceAll('"', "'")));
  return problem(c, {
    status: 401,
    type: 'https://ordersaga.dev/problems/unauthorized',
    title: 'Unauthorized',
    detail,
  });
}

declare module 'hono' {
  interface ContextVariableMap {
    caller: Caller;
  }
}

/**
 * Requires a valid bearer token and puts its caller on the context (`c.get('caller')`). A keys
 * endpoint that does not answer is a 503 (logged with its URL; the body names no host).
 */
export function requireCaller(verify: (token: string) => Promise<Verification>): MiddlewareHandler {
  const log = logger('identity');
  return async (c, next) => {
    const header = c.req.header('authorization');
    if (!header) return unauthorized(c, 'send Authorization: Bearer <token> (locally: make token CUSTOMER=<id>)');
    const match = /^Bearer +([A-Za-z0-9_\-.~+/]+=*)$/i.exec(header);
    if (!match) return unauthorized(c, 'the Authorization header must be Bearer <token>', 'invalid_request');
    const result = await verify(match[1]!);
    if (!result.ok) {
      if (result.keysUnavailable) {
        log.error({ reason: result.reason, requestId: c.get('requestId') }, 'token keys unavailable');
        return problem(c, {
          status: 503,
          title: 'Service Unavailable',
          detail: `tokens cannot be verified right now; request id ${c.get('requestId')}`,
        });
      }
      return unauthorized(c, result.reason, 'invalid_token');
    }
    c.set('caller', result.caller);
    await next();
  };
}

/** Admin-only routes: a customer gets 403 (the route is public knowledge, the data is not theirs). */
export function requireAdmin(): MiddlewareHandler {
  return async (c, next) => {
    if (c.get('caller').role !== 'admin') {
      return problem(c, {
        status: 403,
        type: 'https://ordersaga.dev/problems/forbidden',
        title: 'Forbidden',
        detail: 'this route is for admins',
      });
    }
    await next();
  };
}
