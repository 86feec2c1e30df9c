export { formatBanner, formatGuide } from './banner.js';
export type { DemoGuide } from './banner.js';
