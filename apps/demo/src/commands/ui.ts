import { parseArgs } from 'node:util';
import { println, reportFailure, UsageError, usageErrors, type CommandContext } from '../context.js';
import { cachedUiDir, resolveUiBundle, UI_MLFLOW_VERSION } from '../ui-bundle.js';
import { installUiBundle, PYPI_RELEASE_JSON, UI_WHEEL_NAME } from '../ui-install.js';

/** Help text of `mlstore ui`. */
export const UI_USAGE = `Usage: mlstore ui <install|where> [options]

MLflow's web UI is not part of mlstore: 'mlstore server' serves the one built into the mlflow
${UI_MLFLOW_VERSION} wheel (its mlflow/server/js/build folder, Apache-2.0). It takes the first of:
  1. --ui-dir <dir> ($MLSTORE_UI_DIR);
  2. mlflow==${UI_MLFLOW_VERSION} installed in the active Python environment ($VIRTUAL_ENV, else
     python3/python on $PATH);
  3. the copy 'mlstore ui install' put in the cache folder.

Commands:
  install   download ${UI_WHEEL_NAME} from PyPI (${PYPI_RELEASE_JSON}
            gives its URL and SHA-256), check the SHA-256 while downloading and unpack only
            mlflow/server/js/build into <cache>/ui/mlflow-${UI_MLFLOW_VERSION}
  where     print the folder 'mlstore server' would serve the UI from, and why

Options:
  --force                 install: replace an installed copy
  --index-url <url>       install: a simple repository (pip's --index-url, e.g. a mirror's
                          https://host/simple) instead of PyPI ($PIP_INDEX_URL)
  --help                  show this help

The cache folder is $MLSTORE_CACHE_DIR, else $XDG_CACHE_HOME/mlstore, else ~/.cache/mlstore.`;

const OPTIONS = {
  force: { type: 'boolean' },
  'index-url': { type: 'string' },
  help: { type: 'boolean' },
} as const;

/** `mlstore ui install|where`; returns the exit code. */
export async function runUi(args: string[], ctx: CommandContext, cwd: string): Promise<number> {
  try {
    const { values, positionals } = usageErrors(() => parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: true }));
    if (values.help) {
      println(ctx.stdout, UI_USAGE);
      return 0;
    }
    const [sub, ...extra] = positionals;
    if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'.`);
    if (sub === 'install') {
      const { dir, installed } = await installUiBundle({
        env: ctx.env,
        cwd,
        force: values.force ?? false,
        indexUrl: values['index-url'],
        signal: ctx.signal,
        log: (line) => println(ctx.stderr, line),
      });
      println(ctx.stdout, installed ? `Installed MLflow ${UI_MLFLOW_VERSION}'s UI in ${dir}` : `MLflow ${UI_MLFLOW_VERSION}'s UI is already installed in ${dir} (--force replaces it)`);
      return 0;
    }
    if (sub === 'where') {
      const bundle = await resolveUiBundle({ uiDir: ctx.env['MLSTORE_UI_DIR'] || undefined, env: ctx.env, cwd });
      if (!bundle) {
        println(ctx.stdout, `none (run 'mlstore ui install'; it installs into ${cachedUiDir(ctx.env, cwd)})`);
        return 1;
      }
      const why = bundle.source === 'flag' ? '$MLSTORE_UI_DIR' : bundle.source === 'python' ? `mlflow ${UI_MLFLOW_VERSION} of ${bundle.python}` : "'mlstore ui install'";
      println(ctx.stdout, `${bundle.dir} (${why})`);
      return 0;
    }
    throw new UsageError(sub === undefined ? 'a command is required: install or where.' : `unknown command '${sub}'.`);
  } catch (err) {
    if (err instanceof UsageError) {
      const code = reportFailure(ctx, 'ui', err);
      println(ctx.stderr, UI_USAGE);
      return code;
    }
    if ((err as Error)?.name === 'AbortError') {
      println(ctx.stderr, 'mlstore ui: interrupted.');
      return 130;
    }
    // fetch's "fetch failed" names the reason (DNS, refused, TLS) only in its cause.
    const cause = (err as Error)?.cause as Error | undefined;
    println(ctx.stderr, `mlstore ui: ${(err as Error)?.message ?? String(err)}${cause?.message ? ` (${cause.message})` : ''}`);
    return 1;
  }
}
