import { endpointVersion, MLFLOW_ENDPOINTS, type MlflowRpc } from '@mlstore/core';

/** A matched RPC and its path parameters. */
export interface RouteMatch {
  rpc: MlflowRpc;
  params: Record<string, string>;
}

interface PatternRoute {
  method: string;
  version: number;
  rpc: MlflowRpc;
  regex: RegExp;
  names: string[];
}

/**
 * Finds the RPC of a method, an API version and a path below `/api/<version>.0` (or
 * `/ajax-api/<version>.0`): one map lookup for fixed paths, then the `{param}` patterns (logged
 * models, traces, assessments), in table order, as Flask tries static rules before converters.
 * A known path with another method is 405, an unknown path 404.
 */
export class RpcRouter {
  private readonly fixed = new Map<string, MlflowRpc>();
  private readonly patterns: PatternRoute[] = [];
  private readonly paths = new Set<string>();

  constructor(rpcs: Iterable<MlflowRpc>) {
    for (const rpc of rpcs) {
      const { method, path } = MLFLOW_ENDPOINTS[rpc];
      const version = endpointVersion(rpc);
      if (!path.includes('{')) {
        this.fixed.set(`${method} ${version} ${path}`, rpc);
        this.paths.add(`${version} ${path}`);
        // MLflow serves search-experiments and get-latest-versions on GET as well as POST.
        if (rpc === 'searchExperiments' || rpc === 'getLatestVersions') this.fixed.set(`GET ${version} ${path}`, rpc);
        continue;
      }
      const names: string[] = [];
      const source = path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_, name: string) => {
        names.push(name);
        return '([^/]+)';
      });
      this.patterns.push({ method, version, rpc, regex: new RegExp(`^${source}$`), names });
    }
  }

  /** The RPC for `method path` of API `version`, `'method-not-allowed'`, or `undefined` for an unknown path. */
  match(method: string, path: string, version = 2): RouteMatch | 'method-not-allowed' | undefined {
    const rpc = this.fixed.get(`${method} ${version} ${path}`);
    if (rpc) return { rpc, params: {} };
    let pathKnown = this.paths.has(`${version} ${path}`);
    for (const route of this.patterns) {
      if (route.version !== version) continue;
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
