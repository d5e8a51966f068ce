import type { TrackingStoreCapabilities } from '@mlstore/core';
import type { MlflowHttpClientOptions } from './http-client-options.js';
import type { HttpRequestOptions, HttpResponse } from './mlflow-http-client.js';

/** HTTP methods of MLflow's tracking RPCs. */
export type RestMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** Per-call options a {@link RestTransport} receives. */
export interface RestCallOptions {
  signal?: AbortSignal;
  /** The request may be sent twice (reads, and the POST searches MLflow lists as retry-safe). */
  idempotent?: boolean;
  /** Integers beyond 2^53 in the response kept exact as decimal text (span times). */
  exactIntegers?: boolean;
}

/**
 * What the {@link RestStore} needs from an HTTP client; {@link MlflowHttpClient} is one. `callJson`
 * sends `payload` as the query string for GET and as a JSON body otherwise, returns the response
 * object, and throws `MlflowError`s decoded from MLflow's error bodies.
 */
export interface RestTransport {
  callJson<T = Record<string, unknown>>(method: RestMethod, path: string, payload?: Record<string, unknown>, opts?: RestCallOptions): Promise<T>;
  /**
   * A raw request (as {@link MlflowHttpClient.request}), for the calls that are not JSON RPCs
   * (`logSpans`: `GET /version`, OTLP/protobuf to `/v1/traces`). Optional: without it `logSpans`
   * answers NOT_IMPLEMENTED.
   */
  request?(method: string, path: string, opts?: HttpRequestOptions): Promise<HttpResponse>;
  close(): Promise<void>;
}

/** Options shared by every way of building a {@link RestStore}. */
export interface RestStoreCommonOptions {
  /**
   * What the server behind the URL supports. Default: an MLflow server on a SQL backend
   * (paginated, sorted metric history; logged models; sequential experiment ids). Set
   * `metricHistoryPagination: false, metricHistoryOrder: 'logged', sequentialExperimentIds: false`
   * for a server on a file store.
   */
  capabilities?: Partial<TrackingStoreCapabilities>;
}

/**
 * Options of {@link RestStore}: either the HTTP client's options (`baseUrl`, auth, TLS, retries;
 * each falling back to MLflow's environment variables), or a ready `client`. A client built by the
 * store is closed by {@link RestStore.close}; a given `client` stays the caller's to close.
 */
export type RestStoreOptions = RestStoreCommonOptions & (MlflowHttpClientOptions | { client: RestTransport });

/** Options of {@link RestStore.open}: the HTTP client's options without `baseUrl` (the URI is it). */
export type RestStoreOpenOptions = RestStoreCommonOptions & Omit<MlflowHttpClientOptions, 'baseUrl'>;

/** What an MLflow tracking server on a SQL backend offers (`mlflow server --backend-store-uri sqlite:///…`). */
export const SQL_SERVER_CAPABILITIES: TrackingStoreCapabilities = Object.freeze({
  metricHistoryPagination: true,
  loggedModels: true,
  sequentialExperimentIds: true,
  metricHistoryOrder: 'sorted',
  traces: true,
  traceSpans: true,
  traceAnalytics: true,
});
