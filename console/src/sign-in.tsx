/** Sign-in: a demo customer or admin through the dev login when the gateway has it open, else a pasted token. */
import { useState } from 'preact/hooks';
import { demoCustomers } from '../../platform/contracts/demo-triggers.js';
import { call, type Session } from './api.js';
import type { Text } from './i18n.js';
import type { Settings } from './main.js';

const ADMIN = 'admin';

/** The token's own claims (sub, role), read without verifying: the gateway verifies it on every call. */
function claimsOf(token: string): { sub: string; role: 'customer' | 'admin' } {
  const payload = token.split('.')[1] ?? '';
  return JSON.parse(atob(payload.replaceAll('-', '+').replaceAll('_', '/'))) as { sub: string; role: 'customer' | 'admin' };
}

export function SignIn(props: {
  t: Text;
  settings: Settings | undefined;
  session: Session | undefined;
  onChange: (session: Session | undefined) => void;
}) {
  const { t, settings, session, onChange } = props;
  const [who, setWho] = useState(demoCustomers[0]!.customerId);
  const [pasted, setPasted] = useState('');
  const [error, setError] = useState<string>();

  if (session) {
    return (
      <div class="sign-in">
        <span data-signed-in={session.customerId}>
          {t.signedInAs} <b>{session.customerId}</b> ({session.role})
        </span>
        <button onClick={() => onChange(undefined)}>{t.signOut}</button>
      </div>
    );
  }
  const devLogin = async () => {
    setError(undefined);
    try {
      const role = who === ADMIN ? 'admin' : 'customer';
      const customerId = who === ADMIN ? 'ops-admin' : who;
      const answer = await call<{ token: string }>(undefined, 'POST', '/dev/login', { customerId, role });
      onChange({ token: answer.body.token, customerId, role });
    } catch (failure) {
      setError((failure as Error).message);
    }
  };
  const useToken = () => {
    try {
      const claims = claimsOf(pasted.trim());
      onChange({ token: pasted.trim(), customerId: claims.sub, role: claims.role });
    } catch {
      setError('not a JWT');
    }
  };
  return (
    <div class="sign-in">
      {settings?.devLogin ? (
        <>
          <select aria-label="who" data-field="who" value={who} onChange={(event) => setWho(event.currentTarget.value)}>
            {demoCustomers.map((customer) => (
              <option key={customer.customerId} value={customer.customerId}>
                {customer.customerId} ({t.asCustomer})
              </option>
            ))}
            <option value={ADMIN}>ops-admin ({t.asAdmin})</option>
          </select>
          <button data-action="sign-in" onClick={() => void devLogin()}>
            {t.signIn}
          </button>
        </>
      ) : (
        <>
          <small>{t.devLoginClosed}</small>
          <input placeholder={t.token} value={pasted} onInput={(event) => setPasted(event.currentTarget.value)} />
          <button onClick={useToken}>{t.useToken}</button>
        </>
      )}
      {error && <span class="error">{error}</span>}
    </div>
  );
}
