// Starts the official AT Protocol dev network (PLC, PDS, AppView, Bsync,
// Ozone) from @atproto/dev-env on free local ports, creates the test
// accounts, and prints one line `WARDEN_DEVENV_READY {json}` on stdout.
// It runs until SIGTERM/SIGINT, then closes the network and drops the
// PostgreSQL schemas it made. Run with Node 22 from the install directory.
import process from 'node:process';
import pg from 'pg';
import { TestNetwork } from '@atproto/dev-env';

const pgRoot = process.env.WARDEN_DEVENV_PG ?? 'postgresql://postgres@127.0.0.1:5432';
const database = process.env.WARDEN_DEVENV_DB ?? 'atproto_test';
// bsync accepts only [A-Za-z_] in schema names
const letters = (n) => Array.from({ length: n }, () => 'abcdefghijklmnopqrstuvwxyz'[Math.floor(Math.random() * 26)]).join('');
const schema = `warden_${letters(10)}`;
const schemas = [`appview_${schema}`, `bsync_${schema}`, `ozone_${schema}`];
const log = (...args) => console.error('[devenv]', ...args);

async function ensureDatabase() {
  const admin = new pg.Client({ connectionString: `${pgRoot}/postgres` });
  await admin.connect();
  try {
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) {
      try {
        await admin.query(`CREATE DATABASE "${database}"`);
      } catch (err) {
        if (err.code !== '42P04') throw err; // created meanwhile by another run
      }
    }
  } finally {
    await admin.end();
  }
}

async function dropSchemas() {
  const client = new pg.Client({ connectionString: `${pgRoot}/${database}` });
  await client.connect();
  try {
    for (const name of schemas) await client.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
  } finally {
    await client.end();
  }
}

async function xrpc(base, nsid, body, token) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${base}/xrpc/${nsid}`, { method: 'POST', headers, body: JSON.stringify(body) });
  const json = await res.json();
  if (!res.ok) throw new Error(`${nsid}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function createAccount(pdsUrl, name) {
  const password = `pw-${name}-${Math.random().toString(36).slice(2)}`;
  const account = await xrpc(pdsUrl, 'com.atproto.server.createAccount', {
    handle: `${name}.test`, email: `${name}@example.test`, password,
  });
  const app = await xrpc(pdsUrl, 'com.atproto.server.createAppPassword', { name: 'warden' }, account.accessJwt);
  return { did: account.did, handle: account.handle, password, app_password: app.password };
}

async function main() {
  await ensureDatabase();
  process.env.DB_POSTGRES_URL = `${pgRoot}/${database}`;
  process.env.REDIS_HOST = process.env.REDIS_HOST ?? '127.0.0.1:6379';
  const network = await TestNetwork.create({ dbPostgresSchema: schema, pds: { hostname: 'localhost' } });
  let closing = false;
  const close = async (signal) => {
    if (closing) return;
    closing = true;
    log(`closing on ${signal}`);
    try {
      await network.close();
    } catch (err) {
      log('close failed', err);
    }
    try {
      await dropSchemas();
    } catch (err) {
      log('dropping schemas failed', err);
    }
    process.exit(0);
  };
  process.on('SIGTERM', () => void close('SIGTERM'));
  process.on('SIGINT', () => void close('SIGINT'));

  const names = (process.env.WARDEN_DEVENV_ACCOUNTS ?? 'police,alice,bob').split(',');
  const accounts = {};
  for (const name of names) accounts[name] = await createAccount(network.pds.url, name);
  await network.processAll();
  const ready = {
    pds: `http://127.0.0.1:${network.pds.port}`,
    appview: `http://127.0.0.1:${network.bsky.port}`,
    plc: `http://127.0.0.1:${network.plc.port}`,
    ozone: `http://127.0.0.1:${network.ozone.port}`,
    schema,
    accounts,
  };
  process.stdout.write(`WARDEN_DEVENV_READY ${JSON.stringify(ready)}\n`);
}

main().catch(async (err) => {
  log('failed to start', err);
  try {
    await dropSchemas();
  } catch {
    // the database may be the reason we failed
  }
  process.exit(1);
});
