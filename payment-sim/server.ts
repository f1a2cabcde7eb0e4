/**
 * Starts the whole simulator — one ledger and one set of scenarios behind both lines — in the
 * current process. The service entry point uses it with the configured ports and its database;
 * tests and the benchmark use it with port 0, and a database schema of their own (or none: a ledger
 * in memory only).
 */
import type { AddressInfo } from 'node:net';
import { config } from '../platform/config.js';
import { openDatabase, type Database } from '../platform/db.js';
import { databaseReady } from '../platform/health.js';
import { closeHttpServer, startHttpServer } from '../platform/http.js';
import { logger } from '../platform/logger.js';
import { createPaymentApi } from './http-api.js';
import { PaymentLedger, type LedgerSnapshot } from './ledger.js';
import { DiskLedgerJournal, type DiskLedgerJournalOptions } from './ledger-journal.js';
import { PostgresLedgerJournal, type LedgerStoreOptions } from './ledger-store.js';
import { PaymentSimulator } from './simulator.js';
import { CardVault, DEV_KEY_PREFIX, MemoryCardStore, PostgresCardStore, type VaultKey } from './vault.js';
import { startTelegramServer, type RunningTelegramServer, type TelegramServerOptions } from './tcp-server.js';

export interface PaymentSimOptions {
  httpPort: number;
  tcpPort: number;
  tcp?: Omit<TelegramServerOptions, 'port'>;
  /**
   * The ledger's database (migrated: payment-sim/migrations). Absent: the ledger lives in memory
   * and dies with the process.
   */
  databaseUrl?: string;
  ledger?: LedgerStoreOptions;
  /**
   * The ledger's journal on local disk, projected into `databaseUrl` behind the answers
   * (ledger-journal.ts). Absent: the answers wait for PostgreSQL's group commit (ledger-store.ts).
   */
  journal?: Omit<DiskLedgerJournalOptions, 'db' | 'databaseUrl'>;
  /** The card vault's keys (the first encrypts); default: PAYMENT_VAULT_SECRET_KEYS. Its cards live in the same database. */
  vaultKeys?: readonly VaultKey[];
}

export interface RunningPaymentSim {
  simulator: PaymentSimulator;
  /** The ledger's journal, when it has a database: on disk when `journal` was given, else PostgreSQL's group commit. */
  journal?: PostgresLedgerJournal | DiskLedgerJournal;
  httpUrl: string;
  /** host:port, the form PAYMENT_TCP_ADDRESS takes. */
  tcpAddress: string;
  tcp: RunningTelegramServer;
  close(): Promise<void>;
}

export async function startPaymentSim(options: PaymentSimOptions): Promise<RunningPaymentSim> {
  let db: Database | undefined;
  let journal: PostgresLedgerJournal | DiskLedgerJournal | undefined;
  let ledger = new PaymentLedger();
  if (options.journal && !options.databaseUrl) throw new Error('a ledger journal on disk needs the ledger database to project into');
  if (options.databaseUrl) {
    const database = openDatabase(options.databaseUrl, 'payments');
    db = database;
    const started = performance.now();
    const opened = await openJournal(database, options).catch(async (error: unknown) => {
      await database.end();
      throw error;
    });
    journal = opened.journal;
    ledger = PaymentLedger.restore(opened.snapshot, journal);
    logger('payment-sim').info(
      {
        payments: opened.snapshot.payments.length,
        tombstones: opened.snapshot.tombstones.length,
        journal: options.journal ? options.journal.dir : 'postgres',
        ms: Math.round(performance.now() - started),
      },
      'ledger loaded from the payments database',
    );
  }
  const vaultKeys = options.vaultKeys ?? config().PAYMENT_VAULT_SECRET_KEYS;
  const vault = new CardVault(vaultKeys, db ? new PostgresCardStore(db) : new MemoryCardStore());
  if (vault.activeKeyId.startsWith(DEV_KEY_PREFIX)) {
    logger('payment-sim').warn(
      { keyId: vault.activeKeyId },
      'the card vault encrypts with the public development key; set PAYMENT_VAULT_SECRET_KEYS outside development (docs/decisions.md)',
    );
  }
  const simulator = new PaymentSimulator(ledger, vault);
  const closeJournal = async () => {
    await journal?.close();
    await db?.end();
  };
  const readiness = db ? [databaseReady(db, 'payments-db')] : [];
  const http = await startHttpServer(createPaymentApi(simulator, readiness), options.httpPort, 'payment-sim HTTP API').catch(
    async (error: unknown) => {
      await closeJournal();
      throw error;
    },
  );
  const tcp = await startTelegramServer(simulator, { ...options.tcp, port: options.tcpPort }).catch(async (error: unknown) => {
    await closeHttpServer(http);
    await closeJournal();
    throw error;
  });
  const { port: httpPort } = http.address() as AddressInfo;
  return {
    simulator,
    ...(journal ? { journal } : {}),
    httpUrl: `http://127.0.0.1:${httpPort}`,
    tcpAddress: `127.0.0.1:${tcp.port}`,
    tcp,
    async close() {
      // Held requests (scenario timeouts) are let go first, or closing would wait on them forever.
      simulator.releaseAll();
      await Promise.all([closeHttpServer(http), tcp.close()]);
      // Changes already recorded are flushed before the pool closes.
      await closeJournal();
    },
  };
}

/** The ledger's journal and the snapshot to rebuild the index from: disk-first when configured, else PostgreSQL's. */
async function openJournal(
  db: Database,
  options: PaymentSimOptions,
): Promise<{ journal: PostgresLedgerJournal | DiskLedgerJournal; snapshot: LedgerSnapshot }> {
  if (options.journal) return DiskLedgerJournal.open({ ...options.journal, db, databaseUrl: options.databaseUrl });
  const journal = new PostgresLedgerJournal(db, options.ledger);
  return { journal, snapshot: await journal.load() };
}
