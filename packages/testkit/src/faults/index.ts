export { requireService } from './require-service.js';
export { until, rejection, caughtMlflowError } from './wait.js';
export { expectRetryableMlflowError } from './expect-retryable.js';
export { bigStream, type BigStreamOptions } from './big-stream.js';
export { readAtLeast, drain, dirBytes } from './streams.js';
export { freePort, greetsWith } from './ports.js';
export { ServerProcess } from './server-process.js';
export { TcpCutProxy } from './tcp-cut-proxy.js';
export { loadServicePorts, servicePort, NO_SERVICE_PORT, SERVICE_PORTS_FILE, type ServicePortKey } from './service-ports.js';
