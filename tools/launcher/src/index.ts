export { formatBanner } from './banner.js';
