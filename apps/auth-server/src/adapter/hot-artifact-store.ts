import type { HotStore } from '@airlock/redis';
import { GRANTABLE_MODELS, type ArtifactPayload } from './artifact-kinds.js';

// Short-lived oidc-provider artifacts in the hot store. Keys use the tenant slug:
//   oidc:<tenant>:<Model>:<id>             the payload (JSON), TTL = the artifact's
//   oidc:<tenant>:<Model>:<id>:consumed    consumption marker, set with NX so exactly one consumer wins;
//                                          never deleted before its TTL (the artifact's remaining life)
//   oidc:<tenant>:<Model>:uid:<uid>        Session uid -> id
//   oidc:<tenant>:<Model>:user-code:<code> user code -> id
//   oidc:<tenant>:<Model>:grant:<grantId>  set of payload keys issued from a grant

export class HotArtifactStore {
  constructor(
    private readonly hot: HotStore,
    private readonly tenant: string,
  ) {}

  private key(model: string, id: string) {
    return `oidc:${this.tenant}:${model}:${id}`;
  }

  private indexKey(model: string, kind: 'uid' | 'user-code' | 'grant', value: string) {
    return `oidc:${this.tenant}:${model}:${kind}:${value}`;
  }

  async upsert(model: string, id: string, payload: ArtifactPayload, expiresIn: number | undefined): Promise<void> {
    const key = this.key(model, id);
    const ttlMs = typeof expiresIn === 'number' ? Math.max(1, expiresIn) * 1000 : undefined;
    const entries: Array<{ key: string; value: string; ttlMs?: number }> = [{ key, value: JSON.stringify(payload), ...(ttlMs ? { ttlMs } : {}) }];
    if (model === 'Session' && payload.uid) entries.push({ key: this.indexKey(model, 'uid', payload.uid), value: id, ...(ttlMs ? { ttlMs } : {}) });
    if (payload.userCode) entries.push({ key: this.indexKey(model, 'user-code', payload.userCode), value: id, ...(ttlMs ? { ttlMs } : {}) });
    await this.hot.setMany(entries);
    await this.hot.del(`${key}:consumed`);
    if (GRANTABLE_MODELS.has(model) && payload.grantId) await this.hot.sadd(this.indexKey(model, 'grant', payload.grantId), [key], ttlMs);
  }

  async find(model: string, id: string): Promise<ArtifactPayload | undefined> {
    const key = this.key(model, id);
    const [raw, consumed] = await this.hot.mget([key, `${key}:consumed`]);
    if (!raw) return undefined;
    const payload = JSON.parse(raw) as ArtifactPayload;
    return consumed ? { ...payload, consumed: Number(consumed) } : payload;
  }

  async findBy(model: string, kind: 'uid' | 'user-code', value: string): Promise<ArtifactPayload | undefined> {
    const id = await this.hot.get(this.indexKey(model, kind, value));
    return id ? this.find(model, id) : undefined;
  }

  /** True when this call consumed it; false when it was already consumed or does not exist. */
  async consume(model: string, id: string): Promise<boolean> {
    const key = this.key(model, id);
    const ttlMs = await this.hot.pttl(key);
    if (ttlMs === -2) return false;
    const marker = String(Math.floor(Date.now() / 1000));
    return this.hot.set(`${key}:consumed`, marker, { onlyIfAbsent: true, ...(ttlMs > 0 ? { ttlMs } : {}) });
  }

  async destroy(model: string, id: string): Promise<void> {
    const key = this.key(model, id);
    const payload = await this.find(model, id);
    // The consumption marker stays until its own TTL: deleting it would let a redemption that checked the
    // artifact just before this delete set the marker again and win a second time.
    const keys = [key];
    if (payload?.uid && model === 'Session') keys.push(this.indexKey(model, 'uid', payload.uid));
    if (payload?.userCode) keys.push(this.indexKey(model, 'user-code', payload.userCode));
    await this.hot.del(...keys);
    if (payload?.grantId && GRANTABLE_MODELS.has(model)) await this.hot.srem(this.indexKey(model, 'grant', payload.grantId), [key]);
  }

  async revokeByGrantId(model: string, grantId: string): Promise<void> {
    const index = this.indexKey(model, 'grant', grantId);
    const members = await this.hot.smembers(index);
    const payloads = await Promise.all(members.map(async (key) => this.hot.get(key)));
    // Consumption markers stay until their own TTL (see destroy).
    const keys = [index, ...members];
    for (const raw of payloads) {
      const payload = raw ? (JSON.parse(raw) as ArtifactPayload) : undefined;
      if (payload?.userCode) keys.push(this.indexKey(model, 'user-code', payload.userCode));
    }
    await this.hot.del(...keys);
  }
}
