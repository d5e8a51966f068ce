import type http from 'node:http';
import { PassThrough, type Readable } from 'node:stream';
import { MlflowError, isMlflowError } from '@mlstore/core';
import { PREFIX, mapHdfsError, webHdfsHttpError } from './errors.js';
import type { HdfsSettings } from './hdfs-options.js';
import { BodyError, WebHdfsTransport, readText, type RequestBody } from './webhdfs-transport.js';

/** One entry of GETFILESTATUS / LISTSTATUS. */
export interface WebHdfsFileStatus {
  pathSuffix: string;
  type: 'FILE' | 'DIRECTORY' | 'SYMLINK';
  length: number;
  modificationTime?: number;
}

interface CallOpts {
  signal?: AbortSignal;
}

type Params = Record<string, string | number | boolean | undefined>;

/**
 * The WebHDFS REST operations the repository needs, over {@link WebHdfsTransport}. The same code
 * serves the namenode's WebHDFS (data legs redirected to datanodes) and HttpFS (no datanode legs).
 */
export class WebHdfsClient {
  readonly transport: WebHdfsTransport;
  /** False once the gateway refused LISTSTATUS_BATCH (older HttpFS). */
  private batchListing: boolean;

  constructor(readonly settings: HdfsSettings) {
    this.transport = new WebHdfsTransport(settings);
    this.batchListing = settings.listBatch;
  }

  /** A no-redirect call answered with JSON (or nothing); non-2xx → mapped MlflowError. */
  private async json(method: string, absPath: string, op: string, params: Params, what: string, opts: CallOpts): Promise<unknown> {
    const res = await this.transport.send(this.transport.opUrl(absPath, op, params), method, { what, ...(opts.signal ? { signal: opts.signal } : {}) });
    let text: string;
    try {
      text = await readText(res);
    } catch (error) {
      throw mapHdfsError(error, what, opts.signal);
    }
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) throw webHdfsHttpError(what, status, text);
    if (text.trim() === '') return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new MlflowError(`${PREFIX} ${what}: the gateway answered HTTP ${status} with a body that is not JSON`, 'INTERNAL_ERROR');
    }
  }

  /** GETFILESTATUS; undefined when the path does not exist. */
  async status(absPath: string, opts: CallOpts = {}): Promise<WebHdfsFileStatus | undefined> {
    try {
      const body = (await this.json('GET', absPath, 'GETFILESTATUS', {}, `status of ${absPath}`, opts)) as { FileStatus?: WebHdfsFileStatus } | undefined;
      return body?.FileStatus;
    } catch (error) {
      if (isMlflowError(error) && error.errorCode === 'RESOURCE_DOES_NOT_EXIST') return undefined;
      throw error;
    }
  }

  /**
   * Children of a directory, every page of LISTSTATUS_BATCH (`startAfter` = last name), or
   * LISTSTATUS when batches are off/refused. A file lists as itself (`pathSuffix: ''`); a missing
   * path → undefined.
   */
  async list(absPath: string, opts: CallOpts = {}): Promise<WebHdfsFileStatus[] | undefined> {
    const what = `listing ${absPath}`;
    try {
      if (this.batchListing) {
        try {
          return await this.listBatched(absPath, what, opts);
        } catch (error) {
          // Gateways without LISTSTATUS_BATCH refuse the op name itself (400/500 naming the op).
          if (!(isMlflowError(error) && /LISTSTATUS_BATCH/.test(error.message) && error.errorCode !== 'RESOURCE_DOES_NOT_EXIST')) throw error;
          this.batchListing = false;
        }
      }
      const body = (await this.json('GET', absPath, 'LISTSTATUS', {}, what, opts)) as { FileStatuses?: { FileStatus?: WebHdfsFileStatus[] } };
      return body?.FileStatuses?.FileStatus ?? [];
    } catch (error) {
      if (isMlflowError(error) && error.errorCode === 'RESOURCE_DOES_NOT_EXIST') return undefined;
      throw error;
    }
  }

  private async listBatched(absPath: string, what: string, opts: CallOpts): Promise<WebHdfsFileStatus[]> {
    const out: WebHdfsFileStatus[] = [];
    let startAfter: string | undefined;
    for (;;) {
      const body = (await this.json('GET', absPath, 'LISTSTATUS_BATCH', { startAfter }, what, opts)) as {
        DirectoryListing?: { partialListing?: { FileStatuses?: { FileStatus?: WebHdfsFileStatus[] } }; remainingEntries?: number };
      };
      const page = body?.DirectoryListing?.partialListing?.FileStatuses?.FileStatus ?? [];
      out.push(...page);
      const last = page[page.length - 1];
      if (!last || !(Number(body?.DirectoryListing?.remainingEntries) > 0) || last.pathSuffix === '') return out;
      startAfter = last.pathSuffix;
    }
  }

  /** MKDIRS (parents too; an existing directory is fine). */
  async mkdirs(absPath: string, opts: CallOpts = {}): Promise<void> {
    const body = (await this.json('PUT', absPath, 'MKDIRS', {}, `creating directory ${absPath}`, opts)) as { boolean?: boolean } | undefined;
    if (body?.boolean === false) throw new MlflowError(`${PREFIX} creating directory ${absPath} failed (the gateway answered false)`, 'INTERNAL_ERROR');
  }

  /** DELETE; false when nothing was there. */
  async delete(absPath: string, recursive: boolean, opts: CallOpts = {}): Promise<boolean> {
    const body = (await this.json('DELETE', absPath, 'DELETE', { recursive }, `deleting ${absPath}`, opts)) as { boolean?: boolean } | undefined;
    return body?.boolean !== false;
  }

  /**
   * RENAME with `renameoptions=OVERWRITE`. The namenode runs rename2 (replaces a file atomically,
   * refuses a directory) and answers an empty 200: `'replaced'`. HttpFS ignores the option and runs
   * the old rename, answering `{"boolean": …}`: `'renamed'` or `'refused'` (the target exists).
   * Beware: the old rename moves the source INTO an existing directory target.
   */
  async renameOverwrite(from: string, to: string, opts: CallOpts = {}): Promise<'replaced' | 'renamed' | 'refused'> {
    const body = (await this.json('PUT', from, 'RENAME', { destination: to, renameoptions: 'OVERWRITE' }, `renaming ${from} to ${to}`, opts)) as
      | { boolean?: boolean }
      | undefined;
    if (typeof body?.boolean !== 'boolean') return 'replaced';
    return body.boolean ? 'renamed' : 'refused';
  }

  /**
   * CREATE in two steps: the gateway answers 307 with the datanode (or, for HttpFS, itself with
   * `data=true`), which takes the bytes. `overwrite` defaults to false in WebHDFS, so it is explicit.
   *
   * @throws MlflowError (BodyError mapped by the caller when the body stream fails).
   */
  async create(absPath: string, body: RequestBody, overwrite: boolean, opts: CallOpts = {}): Promise<void> {
    const what = `writing ${absPath}`;
    const params: Params = { overwrite, replication: this.settings.replication, blocksize: this.settings.blockSize };
    const res = await this.transport.sendRedirected(this.transport.opUrl(absPath, 'CREATE', params), 'PUT', {
      what,
      body,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    await this.expectDone(res, what, opts);
  }

  private async expectDone(res: http.IncomingMessage, what: string, opts: CallOpts): Promise<void> {
    let text: string;
    try {
      text = await readText(res);
    } catch (error) {
      throw mapHdfsError(error, what, opts.signal);
    }
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) throw webHdfsHttpError(what, status, text);
  }

  /**
   * OPEN (`offset`/`length` for ranges), following the datanode redirect; resolves once the data
   * starts. The returned stream fails with a mapped MlflowError (CANCELLED when `signal` fires,
   * TEMPORARILY_UNAVAILABLE when the connection is cut).
   */
  async open(absPath: string, range: { offset?: number; length?: number }, opts: CallOpts = {}): Promise<Readable> {
    const what = `reading ${absPath}`;
    const res = await this.transport.sendRedirected(this.transport.opUrl(absPath, 'OPEN', range), 'GET', {
      what,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    const status = res.statusCode ?? 0;
    if (status !== 200) {
      let text = '';
      try {
        text = await readText(res);
      } catch (error) {
        throw mapHdfsError(error, what, opts.signal);
      }
      throw webHdfsHttpError(what, status, text);
    }
    const out = new PassThrough();
    res.on('error', (error) => out.destroy(mapHdfsError(error, what, opts.signal)));
    res.on('aborted', () => out.destroy(mapHdfsError(Object.assign(new Error('the connection closed mid-transfer'), { code: 'ECONNRESET' }), what, opts.signal)));
    out.on('close', () => {
      if (!res.complete) res.destroy();
    });
    res.pipe(out);
    return out;
  }

  /** Closes idle connections. */
  close(): void {
    this.transport.close();
  }
}

/** Unwraps a {@link BodyError} into an MlflowError about the caller's stream. */
export function bodyFailure(error: unknown, what: string, signal?: AbortSignal): MlflowError {
  if (error instanceof BodyError) {
    const original = error.original;
    if (isMlflowError(original)) return original;
    if (signal?.aborted) return mapHdfsError(original, what, signal);
    return new MlflowError(`${PREFIX} ${what}: ${error.message}`, 'INTERNAL_ERROR', { cause: original });
  }
  return mapHdfsError(error, what, signal);
}
