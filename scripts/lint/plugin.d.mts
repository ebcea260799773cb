import type { ESLint } from 'eslint';

/** The project's own lint rules: kino/sql-in-repositories, kino/bus-subscribe-in-platform. */
declare const plugin: ESLint.Plugin;
export default plugin;
