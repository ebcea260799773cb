/** Types of scripts/nginx-conf.mjs (the nginx config generator) for the tests. */
export declare const SHIPPED_CONF: string;
export declare const SERVICES: readonly string[];
export interface NginxConfOptions {
  /** Folder for pid, logs and temp files (absolute or relative to the working directory). */
  prefix: string;
  /** `[host:]port` to listen on instead of the shipped one. */
  listen?: string;
  /** Replica addresses per service (`auth: ['127.0.0.1:18111', …]`). */
  upstreams?: Record<string, readonly string[]>;
  /** Config text to start from instead of deploy/nginx/kinoservice.conf. */
  source?: string;
  /** Run nginx in the background (default true). */
  daemon?: boolean;
  user?: string;
  workers?: number;
}
export declare function generateNginxConf(options: NginxConfOptions): string;
export declare function preparePrefix(prefix: string): void;
