import { MLFLOW_ENDPOINTS, type MlflowRpc } from '@mlstore/core';

/** A matched RPC and its path parameters. */
export interface RouteMatch {
  rpc: MlflowRpc;
  params: Record<string, string>;
}

interface PatternRoute {
  method: string;
  rpc: MlflowRpc;
  regex: RegExp;
  names: string[];
}

/**
 * Finds the RPC of a method and a path below `/api/2.0` (or `/ajax-api/2.0`): one map lookup for
 * fixed paths, then the few `{param}` patterns (logged models). `allowed` tells a wrong method
 * (405) from an unknown path (404).
 */
export class RpcRouter {
  private readonly fixed = new Map<string, MlflowRpc>();
  private readonly patterns: PatternRoute[] = [];
  private readonly paths = new Set<string>();

  constructor(rpcs: Iterable<MlflowRpc>) {
    for (const rpc of rpcs) {
      const { method, path } = MLFLOW_ENDPOINTS[rpc];
      if (!path.includes('{')) {
        this.fixed.set(`${method} ${path}`, rpc);
        this.paths.add(path);
        // MLflow serves search-experiments on GET as well as POST.
        if (rpc === 'searchExperiments') this.fixed.set(`GET ${path}`, rpc);
        continue;
      }
      const names: string[] = [];
      const source = path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_, name: string) => {
        names.push(name);
        return '([^/]+)';
      });
      this.patterns.push({ method, rpc, regex: new RegExp(`^${source}$`), names });
    }
  }

  /** The RPC for `method path`, `'method-not-allowed'`, or `undefined` for an unknown path. */
  match(method: string, path: string): RouteMatch | 'method-not-allowed' | undefined {
    const rpc = this.fixed.get(`${method} ${path}`);
    if (rpc) return { rpc, params: {} };
    let pathKnown = this.paths.has(path);
    for (const route of this.patterns) {
      const m = route.regex.exec(path);
      if (!m) continue;
      pathKnown = true;
      if (route.method !== method) continue;
      const params: Record<string, string> = {};
      route.names.forEach((name, i) => {
        params[name] = decodeURIComponent(m[i + 1]!);
      });
      return { rpc: route.rpc, params };
    }
    return pathKnown ? 'method-not-allowed' : undefined;
  }
}
