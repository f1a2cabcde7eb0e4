/**
 * The 전문 server caps the connections it holds (issue 12; PAYMENT_SIM_TCP_MAX_CONNECTIONS): one
 * more is closed on arrival with a log line, the ones open carry on answering, and once one closes
 * a new one is taken again. In process, with a cap of 2.
 */
import { connect, type Socket } from 'node:net';
import test from 'ava';
import { startPaymentSim, type RunningPaymentSim } from '../../payment-sim/server.js';
import { telegramCodec } from '../../platform/contracts/telegram/codec.js';
import { TelegramFramer } from '../../platform/contracts/telegram/framer.js';
import { blankTelegram } from '../../platform/contracts/telegram/messages.js';
import { eventually } from '../support/estate.js';

const CAP = 2;
let sim: RunningPaymentSim;

test.before(async () => {
  sim = await startPaymentSim({ httpPort: 0, tcpPort: 0, tcp: { maxConnections: CAP } });
});

test.after.always(async () => {
  await sim?.close();
});

/** A connection that records whether the server closed it and the echo answers it got. */
function open(): Promise<{ socket: Socket; closed: () => boolean; echo: (traceNumber: number) => Promise<string> }> {
  return new Promise((resolve, reject) => {
    const [host, port] = sim.tcpAddress.split(':');
    const socket = connect(Number(port), host);
    let closed = false;
    const answers = new Map<number, string>();
    const framer = new TelegramFramer(1024);
    socket.on('close', () => (closed = true));
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      for (const event of framer.push(chunk)) {
        if (event.kind !== 'frame') continue;
        const decoded = telegramCodec.decodePayload(event.payload);
        if (decoded.ok) answers.set(decoded.telegram.traceNumber, decoded.telegram.responseCode);
      }
    });
    socket.once('connect', () =>
      resolve({
        socket,
        closed: () => closed,
        echo: async (traceNumber) => {
          const encoded = telegramCodec.encode(blankTelegram({ messageType: '0800', traceNumber }));
          if (!encoded.ok) throw new Error(encoded.error.message);
          socket.write(encoded.frame);
          return eventually(
            `echo ${traceNumber} answered`,
            async () => answers.get(traceNumber) ?? (closed ? Promise.reject(new Error('closed')) : undefined),
            5_000,
            10,
          );
        },
      }),
    );
    socket.once('error', reject);
  });
}

test('a connection beyond the cap is closed on arrival; the open ones carry on; a freed place is taken again', async (t) => {
  const first = await open();
  const second = await open();
  t.is(await first.echo(1), '0000');
  t.is(await second.echo(2), '0000');
  t.is(sim.tcp.connections(), CAP);

  const third = await open();
  await eventually('the connection over the cap closed by the server', async () => (third.closed() ? true : undefined), 5_000, 10);
  t.is(sim.tcp.refusedConnections(), 1);
  t.is(await first.echo(3), '0000', 'the connections already open still answer');
  t.is(sim.tcp.connections(), CAP);

  second.socket.destroy();
  await eventually('the server to let the closed connection go', async () => (sim.tcp.connections() < CAP ? true : undefined), 5_000, 10);
  const fourth = await open();
  t.is(await fourth.echo(4), '0000', 'below the cap again, a new connection is served');
  t.false(fourth.closed());
  for (const connection of [first, fourth, third]) connection.socket.destroy();
});
