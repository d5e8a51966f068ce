/**
 * A protobuf JSON descriptor (the shape `protobuf.Root.fromJSON` reads) of one message family. Plain
 * data so that core stays free of a protobuf runtime; the server and the RestStore load it.
 */
export interface ProtoDescriptor {
  nested?: Record<string, ProtoDescriptor>;
  fields?: Record<string, { id: number; type: string; rule?: 'repeated' }>;
  oneofs?: Record<string, { oneof: string[] }>;
  values?: Record<string, number>;
}

/** Fully qualified name of OTLP's trace export request (`POST /v1/traces` body). */
export const OTLP_EXPORT_TRACE_REQUEST = 'opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest';
/** Fully qualified name of OTLP's trace export response. */
export const OTLP_EXPORT_TRACE_RESPONSE = 'opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse';

const keyValues = (id: number) => ({ id, type: 'opentelemetry.proto.common.v1.KeyValue', rule: 'repeated' as const });

/**
 * The OTLP trace messages MLflow 3.18's `/v1/traces` reads and its `RestStore.log_spans` writes
 * (opentelemetry-proto 1.x: `collector/trace/v1`, `trace/v1`, `common/v1`, `resource/v1`), field
 * names in snake_case as in the `.proto` files, field numbers as opentelemetry-proto 1.45 declares
 * them. Fields MLflow ignores (scope, trace state, flags, dropped counts, schema URLs, entity refs)
 * are left out: a decoder skips them as unknown fields.
 */
export const OTLP_TRACE_SCHEMA: ProtoDescriptor = {
  nested: {
    opentelemetry: {
      nested: {
        proto: {
          nested: {
            collector: {
              nested: {
                trace: {
                  nested: {
                    v1: {
                      nested: {
                        ExportTraceServiceRequest: {
                          fields: { resource_spans: { id: 1, type: 'opentelemetry.proto.trace.v1.ResourceSpans', rule: 'repeated' } },
                        },
                        ExportTraceServiceResponse: {
                          fields: { partial_success: { id: 1, type: 'ExportTracePartialSuccess' } },
                        },
                        ExportTracePartialSuccess: {
                          fields: { rejected_spans: { id: 1, type: 'int64' }, error_message: { id: 2, type: 'string' } },
                        },
                      },
                    },
                  },
                },
              },
            },
            trace: {
              nested: {
                v1: {
                  nested: {
                    ResourceSpans: {
                      fields: {
                        resource: { id: 1, type: 'opentelemetry.proto.resource.v1.Resource' },
                        scope_spans: { id: 2, type: 'ScopeSpans', rule: 'repeated' },
                      },
                    },
                    ScopeSpans: {
                      fields: { spans: { id: 2, type: 'Span', rule: 'repeated' } },
                    },
                    Span: {
                      fields: {
                        trace_id: { id: 1, type: 'bytes' },
                        span_id: { id: 2, type: 'bytes' },
                        parent_span_id: { id: 4, type: 'bytes' },
                        name: { id: 5, type: 'string' },
                        kind: { id: 6, type: 'SpanKind' },
                        start_time_unix_nano: { id: 7, type: 'fixed64' },
                        end_time_unix_nano: { id: 8, type: 'fixed64' },
                        attributes: keyValues(9),
                        events: { id: 11, type: 'Event', rule: 'repeated' },
                        links: { id: 13, type: 'Link', rule: 'repeated' },
                        status: { id: 15, type: 'Status' },
                      },
                      nested: {
                        Event: {
                          fields: { time_unix_nano: { id: 1, type: 'fixed64' }, name: { id: 2, type: 'string' }, attributes: keyValues(3) },
                        },
                        Link: {
                          fields: { trace_id: { id: 1, type: 'bytes' }, span_id: { id: 2, type: 'bytes' }, attributes: keyValues(4) },
                        },
                        SpanKind: {
                          values: {
                            SPAN_KIND_UNSPECIFIED: 0,
                            SPAN_KIND_INTERNAL: 1,
                            SPAN_KIND_SERVER: 2,
                            SPAN_KIND_CLIENT: 3,
                            SPAN_KIND_PRODUCER: 4,
                            SPAN_KIND_CONSUMER: 5,
                          },
                        },
                      },
                    },
                    Status: {
                      fields: { message: { id: 2, type: 'string' }, code: { id: 3, type: 'StatusCode' } },
                      nested: { StatusCode: { values: { STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2 } } },
                    },
                  },
                },
              },
            },
            common: {
              nested: {
                v1: {
                  nested: {
                    AnyValue: {
                      oneofs: { value: { oneof: ['string_value', 'bool_value', 'int_value', 'double_value', 'array_value', 'kvlist_value', 'bytes_value', 'string_value_strindex'] } },
                      fields: {
                        string_value: { id: 1, type: 'string' },
                        bool_value: { id: 2, type: 'bool' },
                        int_value: { id: 3, type: 'int64' },
                        double_value: { id: 4, type: 'double' },
                        array_value: { id: 5, type: 'ArrayValue' },
                        kvlist_value: { id: 6, type: 'KeyValueList' },
                        bytes_value: { id: 7, type: 'bytes' },
                        string_value_strindex: { id: 8, type: 'int32' },
                      },
                    },
                    ArrayValue: { fields: { values: { id: 1, type: 'AnyValue', rule: 'repeated' } } },
                    KeyValueList: { fields: { values: keyValues(1) } },
                    KeyValue: { fields: { key: { id: 1, type: 'string' }, value: { id: 2, type: 'AnyValue' } } },
                  },
                },
              },
            },
            resource: {
              nested: {
                v1: {
                  nested: { Resource: { fields: { attributes: keyValues(1) } } },
                },
              },
            },
          },
        },
      },
    },
  },
};
