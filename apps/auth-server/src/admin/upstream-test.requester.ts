import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { UPSTREAM_TEST_CHANNEL, upstreamTestReplyChannel, upstreamTestResultSchema, type UpstreamTestRequest, type UpstreamTestResult } from '@airlock/contracts';
import type { HotStore } from '@airlock/redis';
import { HOT_STORE } from '../infra/infra.tokens.js';
import { AdminError } from './admin.errors.js';

/** How long the admin API waits for a gateway replica's answer (the replica's own test stops at 15 s). */
export const UPSTREAM_TEST_WAIT_MS = 20_000;

/**
 * "Test connection" asked of the gateway: upstreams are reached from gateway replicas (their egress policy,
 * their stdio sandbox), never from the auth server. The request goes out on the hot store's pub/sub; one
 * replica claims it and publishes the result on the request's own reply channel, which this subscribes to
 * before asking. No answer in time (no gateway running, or none on this hot store): 503.
 */
@Injectable()
export class UpstreamTestRequester {
  constructor(@Inject(HOT_STORE) private readonly hot: HotStore) {}

  async test(tenant: string, server: string, waitMs = UPSTREAM_TEST_WAIT_MS): Promise<UpstreamTestResult> {
    const id = randomBytes(12).toString('base64url');
    let settle!: (result: UpstreamTestResult | undefined) => void;
    const answered = new Promise<UpstreamTestResult | undefined>((resolve) => (settle = resolve));
    const unsubscribe = await this.unavailableOnError(() =>
      this.hot.subscribe(upstreamTestReplyChannel(id), (message) => {
        let body: unknown;
        try {
          body = JSON.parse(message);
        } catch {
          return;
        }
        const parsed = upstreamTestResultSchema.safeParse(body);
        if (parsed.success) settle(parsed.data);
      }),
    );
    const timer = setTimeout(() => settle(undefined), waitMs);
    try {
      const request: UpstreamTestRequest = { id, tenant, server, deadline: Date.now() + waitMs };
      await this.unavailableOnError(() => this.hot.publish(UPSTREAM_TEST_CHANNEL, JSON.stringify(request)));
      const result = await answered;
      if (!result) throw new AdminError('temporarily_unavailable', `no MCP gateway answered the connection test within ${Math.round(waitMs / 1000)} s: is a gateway running on the same Redis?`);
      return result;
    } finally {
      clearTimeout(timer);
      await unsubscribe().catch(() => undefined);
    }
  }

  private async unavailableOnError<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch {
      throw new AdminError('temporarily_unavailable', 'the hot store cannot be reached to ask a gateway for the test; retry');
    }
  }
}
