/** What each app's `start*` function returns, to its own main.ts and to the launcher. */
export interface StartedApp {
  name: string;
  /** The URL it listens on. */
  url: string;
  /** Its Prometheus endpoint, when `*_METRICS_PORT` is set. */
  metricsUrl?: string | undefined;
  /** Lines for the start banner (URLs, demo credentials); never secrets other than embedded demo ones. */
  banner: string[];
  /** Stops accepting, drains, closes what the app opened (not the shared Infra). */
  close(): Promise<void>;
}
