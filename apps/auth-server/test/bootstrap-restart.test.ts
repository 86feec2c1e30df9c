import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@airlock/testing';
import { postForm, startAuthServerHarness } from './support/auth-server-harness.js';
import { browse, CookieJar, formFor } from './support/browser.js';

// `npm start` prints generated credentials; a restart on the same data must print the same ones, and
// they must still work (the admin client's secret and the demo user's password are derived, not stored).

const generated = { AIRLOCK_BOOTSTRAP_ADMIN_CLIENT_ID: '', AIRLOCK_BOOTSTRAP_ADMIN_CLIENT_SECRET: '' };

let db: TestDatabase | undefined;
afterAll(async () => {
  await db?.close();
});

function credentials(banner: string[]) {
  const admin = banner.map((line) => /admin client\s+(\S+) secret (\S+) at (\S+)/.exec(line)).find(Boolean);
  const demo = banner.map((line) => /demo user\s+(\S+) \/ (\S+) /.exec(line)).find(Boolean);
  if (!admin || !demo) throw new Error(`banner without credentials:\n${banner.join('\n')}`);
  return { adminId: admin[1]!, adminSecret: admin[2]!, demoEmail: demo[1]!, demoPassword: demo[2]! };
}

async function demoCanSignIn(url: string, email: string, password: string): Promise<number> {
  const jar = new CookieJar();
  const form = formFor(await (await browse(jar, `${url}/t/demo/account`)).text(), '/login');
  const response = await browse(jar, `${url}${form.action}`, { form: { ...form.fields, email, password } });
  return response.status;
}

describe('bootstrap across a restart (embedded mode)', () => {
  it('prints the same admin client and demo user, and both still work', async () => {
    db = await createTestDatabase();
    const masterKey = randomBytes(32);
    const banners: string[][] = [];
    for (let run = 0; run < 2; run++) {
      const server = await startAuthServerHarness(generated, { db, masterKey, embeddedDatabase: true });
      try {
        banners.push(server.app.banner);
        const creds = credentials(server.app.banner);
        expect(creds.adminId).toBe('airlock-admin');
        const token = await postForm(`${server.url}/t/admin/token`, { grant_type: 'client_credentials', scope: 'admin' }, { id: creds.adminId, secret: creds.adminSecret });
        expect(token.status, JSON.stringify(token.json)).toBe(200);
        expect(await demoCanSignIn(server.url, creds.demoEmail, creds.demoPassword)).toBe(303);
        expect(await demoCanSignIn(server.url, creds.demoEmail, `${creds.demoPassword}x`)).toBe(401);
      } finally {
        await server.close();
      }
    }
    // Ports differ between runs; the credentials must not.
    expect(credentials(banners[1]!)).toEqual(credentials(banners[0]!));
    const users = await db.pg.query("SELECT count(*)::int AS n FROM users WHERE email = 'demo@airlock.local'");
    expect(users.rows[0]).toEqual({ n: 1 });
  });
});
