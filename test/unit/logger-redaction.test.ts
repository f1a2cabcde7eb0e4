/**
 * No logger prints a card number (platform/logger.ts, docs/decisions.md "Card data"): card fields
 * anywhere in a logged object, up to three levels down, are cut to their last four digits. Run in a
 * child process, because the logger writes to its own stdout.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import test from 'ava';

const run = promisify(execFile);

test('card fields are masked to the last four digits at any depth up to three', async (t) => {
  const script = `
    import { logger } from './platform/logger.ts';
    const log = logger('redaction-test');
    log.info({ cardNumber: '4242424242424242' }, 'top');
    log.info({ body: { payment: { channel: 'http', cardNumber: '4000 0566 5566 5556' } } }, 'request body');
    log.info({ input: { order: { payment: { cardNumber: '5555555555554444' } } } }, 'workflow input');
    log.info({ pan: 4111111111111111, card_number: '378282246310005' }, 'other names');
    log.info({ cardToken: 'tok_Xq3v9LkP0aZ2mB7cR4sT', last4: '4242' }, 'what may be shown');
  `;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: new URL('../..', import.meta.url).pathname,
  });
  const lines = stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, any>);
  t.is(lines.length, 5);
  t.false(
    /\d{5,}/.test(stdout.replace(/"time":"[^"]*"/g, '').replace(/"(pid|hostname)":[^,]*,/g, '')),
    'no run of five or more digits is left',
  );
  t.is(lines[0]!.cardNumber, '[card …4242]');
  t.is(lines[1]!.body.payment.cardNumber, '[card …5556]');
  t.is(lines[1]!.body.payment.channel, 'http', 'the other fields are untouched');
  t.is(lines[2]!.input.order.payment.cardNumber, '[card …4444]');
  t.deepEqual([lines[3]!.pan, lines[3]!.card_number], ['[card …1111]', '[card …0005]']);
  t.like(lines[4], { cardToken: 'tok_Xq3v9LkP0aZ2mB7cR4sT', last4: '4242' });
});
