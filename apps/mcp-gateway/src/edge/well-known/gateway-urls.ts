export const GATEWAY_URLS = Symbol('GATEWAY_URLS');

export interface GatewayUrls {
  publicUrl: string;
  authPublicUrl: string;
}
