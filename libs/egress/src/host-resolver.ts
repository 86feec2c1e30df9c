import { lookup as dnsLookup } from 'node:dns/promises';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** DNS, behind a seam so tests can answer for names they do not own (and change the answer). */
export abstract class HostResolver {
  abstract resolve(hostname: string): Promise<ResolvedAddress[]>;
}

export class SystemHostResolver extends HostResolver {
  override async resolve(hostname: string): Promise<ResolvedAddress[]> {
    const results = await dnsLookup(hostname, { all: true, verbatim: true });
    return results.map((r) => ({ address: r.address, family: r.family === 6 ? 6 : 4 }));
  }
}
