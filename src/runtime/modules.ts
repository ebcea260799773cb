/** Every module the product has, in dependency order. */
import type { ModuleName } from '../platform/config.js';
import type { ModuleDefinition } from '../platform/module.js';

type Loader = () => Promise<ModuleDefinition>;

/** Loaded lazily, so a process only imports the modules it runs. */
export const MODULES: Readonly<Record<ModuleName, Loader>> = {
  auth: async () => (await import('../modules/auth/index.js')).authModule,
  content: async () => (await import('../modules/content/index.js')).contentModule,
  catalog: async () => (await import('../modules/catalog/index.js')).catalogModule,
  etl: async () => (await import('../modules/etl/index.js')).etlModule,
  admin: async () => (await import('../modules/admin/index.js')).adminModule,
  files: async () => (await import('../modules/files/index.js')).filesModule,
  ugc: async () => (await import('../modules/ugc/index.js')).ugcModule,
  notifications: async () => (await import('../modules/notifications/index.js')).notificationsModule,
};

/**
 * Loads `names` and, transitively, the modules they use (a process serving admin also runs the
 * content module, whose service owns the content tables), ordered so that every module comes
 * after the modules it uses.
 */
export async function loadModules(names: readonly ModuleName[]): Promise<ModuleDefinition[]> {
  const defs = new Map<ModuleName, ModuleDefinition>();
  const pending = [...names];
  while (pending.length > 0) {
    const name = pending.shift()!;
    if (defs.has(name)) continue;
    const def = await MODULES[name]();
    defs.set(name, def);
    pending.push(...(def.uses ?? []));
  }
  const ordered: ModuleDefinition[] = [];
  const visiting = new Set<ModuleName>();
  const visit = (def: ModuleDefinition) => {
    if (ordered.includes(def)) return;
    if (visiting.has(def.name)) throw new Error(`module dependency cycle at ${def.name}`);
    visiting.add(def.name);
    for (const dep of def.uses ?? []) {
      const d = defs.get(dep);
      if (d) visit(d);
    }
    visiting.delete(def.name);
    ordered.push(def);
  };
  for (const def of defs.values()) visit(def);
  return ordered;
}
