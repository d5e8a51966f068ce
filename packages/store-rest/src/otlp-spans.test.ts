import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MemoryTrackingStore, MlflowError, OTLP_EXPORT_TRACE_REQUEST, OTLP_TRACE_SCHEMA, type Span } from '@mlstore/core';
import { createMlflowHandler } from '@mlstore/server';
import protobuf from 'protobufjs/light.js';
import { afterAll, describe, expect, it } from 'vitest';
import { RestStore } from './rest-store.js';
import { checkServerVersionForSpans, encodeSpansRequest } from './otlp-spans.js';

const RequestType = protobuf.Root.fromJSON(OTLP_TRACE_SCHEMA as protobuf.INamespace).lookupType(OTLP_EXPORT_TRACE_REQUEST);
const decoded = (bytes: Uint8Array) => RequestType.toObject(RequestType.decode(bytes), { longs: String, enums: String, bytes: String, defaults: true });
const b64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');

const TRACE_HEX = '5b8efff798038103d269b633813fc60c';
/** A stored span (`Span.to_dict()`) with every attribute kind, an event and an error status. */
const SPAN: Span = {
  trace_id: b64(TRACE_HEX),
  span_id: '7uGbfsPBsXQ=',
  parent_span_id: 'AAAAAAAAAAE=',
  name: 'llm',
  kind: 'SPAN_KIND_CLIENT',
  start_time_unix_nano: '1700000000123456789',
  end_time_unix_nano: '1700000002987654321',
  events: [{ name: 'exception', time_unix_nano: '1700000001000000000', attributes: { 'exception.message': 'bad', n: 3, ok: true } }],
  status: { code: 'STATUS_CODE_ERROR', message: 'boom' },
  attributes: {
    s: '"x"',
    big: '4611686018427387905',
    f: '1.5',
    f0: '2.0',
    b: 'false',
    arr: '[1, "two", 3.5, null]',
    kv: '{"a": {"b": [true]}}',
    uni: '"héllo"',
    nul: 'null',
    'mlflow.traceRequestId': `"tr-${TRACE_HEX}"`,
  },
  links: [],
};
// What MLflow 3.18's RestStore.log_spans sends for SPAN: ExportTraceServiceRequest with
// resource_to_otel_proto(None) and Span.from_dict(SPAN).to_otel_proto(), serialized by Python's protobuf.
const PYTHON_HEX =
  '0af8020a0012f30212f0020a105b8efff798038103d269b633813fc60c1208eee19b7ec3c1b174220800000000000000012a036c6c6d30033915cd853dfe9c971741b1fc3de8fe9c97174a080a017312030a01784a110a03626967120a188180808080808080404a0e0a0166120921000000000000f83f4a0f0a02663012092100000000000000404a070a0162120210004a210a03617272121a2a180a0218010a050a0374776f0a09210000000000000c400a004a1e0a026b76121832160a140a0161120f320d0a0b0a016212062a040a0210014a0f0a03756e6912080a0668c3a96c6c6f4a050a036e756c4a3e0a156d6c666c6f772e747261636552657175657374496412250a2374722d35623865666666373938303338313033643236396236333338313366633630635a430900cac471fe9c97171209657863657074696f6e1a1a0a11657863657074696f6e2e6d65737361676512050a036261641a070a016e120218031a080a026f6b120210017a081204626f6f6d1802';

describe('encodeSpansRequest', () => {
  it("encodes what MLflow's RestStore.log_spans sends for the same span (typed AnyValues, event, status, empty resource)", () => {
    expect(decoded(encodeSpansRequest([SPAN]))).toEqual(decoded(Buffer.from(PYTHON_HEX, 'hex')));
  });
});

describe('checkServerVersionForSpans', () => {
  it.each(['3.4', '3.4.0', '3.18.0', '4.0.0rc1', '3.4.1.dev0', '3.5.0+local'])('accepts %s', (v) => expect(() => checkServerVersionForSpans(v)).not.toThrow());
  it.each([
    ['3.3.2', 'log_spans is not supported: MLflow server version 3.3.2 is less than 3.4'],
    ['3.4.0rc1', 'log_spans is not supported: MLflow server version 3.4.0rc1 is less than 3.4'],
    ['3.4.0.dev0', 'log_spans is not supported: MLflow server version 3.4.0.dev0 is less than 3.4'],
    ['2', 'log_spans is not supported: MLflow server version 2 is less than 3.4'],
    ['<html>', 'log_spans is not supported: could not identify MLflow server version'],
    [null, 'log_spans is not supported: could not identify MLflow server version'],
  ])('refuses %s as MLflow does', (v, message) => {
    expect(() => checkServerVersionForSpans(v)).toThrow(expect.objectContaining({ errorCode: 'NOT_IMPLEMENTED', message }));
  });
});

/** mlstore's server over a memory store, counting the requests a RestStore makes. */
async function serve(options: { version?: string; versionStatus?: number; store?: MemoryTrackingStore } = {}) {
  const store = options.store ?? new MemoryTrackingStore({ artifactRoot: 'mlflow-artifacts:/' });
  const handler = createMlflowHandler({ trackingStore: store, security: false, ...(options.version ? { version: options.version } : {}) });
  const seen: string[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    seen.push(`${req.method} ${req.url}`);
    if (req.url === '/version' && options.versionStatus) {
      res.writeHead(options.versionStatus).end('nope');
      return;
    }
    void handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const rest = new RestStore({ baseUrl: url, maxRetries: 0 });
  opened.push(async () => {
    await rest.close();
    await new Promise((r) => server.close(r));
  });
  return { store, rest, seen, otlpPosts: () => seen.filter((s) => s === 'POST /v1/traces').length };
}
const opened: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const close of opened) await close();
});

const spanOf = (traceHex: string, extra: Partial<Span> = {}): Span => ({ ...SPAN, trace_id: b64(traceHex), parent_span_id: null, attributes: { ...SPAN.attributes, 'mlflow.traceRequestId': `"tr-${traceHex}"` }, ...extra });

describe('RestStore.logSpans against mlstore server', () => {
  it('checks /version once, POSTs OTLP/protobuf, and the spans read back as stored', async () => {
    const { store, rest, seen, otlpPosts } = await serve();
    const exp = await store.createExperiment('spans');
    const a = spanOf('a'.repeat(32));
    const b = spanOf('b'.repeat(32), { name: 'second' });
    expect(await rest.logSpans(exp, [a])).toEqual([a]);
    expect(await rest.logSpans(exp, [b])).toEqual([b]);
    expect(seen.filter((s) => s === 'GET /version')).toHaveLength(1);
    expect(otlpPosts()).toBe(2);
    expect((await store.getTrace(`tr-${'a'.repeat(32)}`)).data.spans).toEqual([a]);
    expect((await rest.getTrace(`tr-${'b'.repeat(32)}`)).data.spans).toEqual([b]);
    expect(await rest.logSpans(exp, [])).toEqual([]);
  });

  it.each([
    [{ version: '3.3.2' }, 'log_spans is not supported: MLflow server version 3.3.2 is less than 3.4'],
    [{ versionStatus: 404 }, 'log_spans is not supported: could not identify MLflow server version'],
  ])('refuses a server that %o before sending anything', async (options, message) => {
    const { store, rest, otlpPosts } = await serve(options);
    const exp = await store.createExperiment('old');
    await expect(rest.logSpans(exp, [spanOf('c'.repeat(32))])).rejects.toMatchObject({ errorCode: 'NOT_IMPLEMENTED', message });
    expect(otlpPosts()).toBe(0);
  });

  it('refuses a span Span.from_dict refuses without sending it; the server refuses an unknown experiment with its error', async () => {
    const { store, rest, otlpPosts } = await serve();
    const exp = await store.createExperiment('bad');
    const good = spanOf('d'.repeat(32));
    const err = await rest.logSpans(exp, [good, { ...good, attributes: {} }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MlflowError);
    expect(err).toMatchObject({ errorCode: 'INVALID_PARAMETER_VALUE', message: 'Failed to create a Span object from the given dictionary' });
    expect(otlpPosts()).toBe(0);
    await expect(rest.logSpans('987654321', [good])).rejects.toMatchObject({
      errorCode: 'RESOURCE_DOES_NOT_EXIST',
      httpStatus: 404,
      message: 'RESOURCE_DOES_NOT_EXIST: No Experiment with id=987654321 exists',
    });
    await expect(store.getTraceInfo(`tr-${'d'.repeat(32)}`)).rejects.toMatchObject({ errorCode: 'RESOURCE_DOES_NOT_EXIST' });
  });

  it("surfaces the server's 501 when the store behind it cannot log spans", async () => {
    class NoSpans extends MemoryTrackingStore {
      override logSpans(): Promise<Span[]> {
        return Promise.reject(new MlflowError('no spans here', 'NOT_IMPLEMENTED'));
      }
    }
    const { store, rest } = await serve({ store: new NoSpans({ artifactRoot: 'mlflow-artifacts:/' }) });
    const exp = await store.createExperiment('nospans');
    await expect(rest.logSpans(exp, [spanOf('e'.repeat(32))])).rejects.toMatchObject({ errorCode: 'INTERNAL_ERROR', httpStatus: 501, message: expect.stringContaining('REST OTLP span logging is not supported by NoSpans') });
  });
});
