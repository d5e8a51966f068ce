import { describe, expect, it } from 'vitest';
import { modelVersionFromWire, modelVersionToWire, registeredModelFromWire, registeredModelToWire } from './registry-wire.js';

describe('registry entities on the wire (MLflow to_proto / message_to_json)', () => {
  it('keeps empty version strings, drops model_id and empty lists, in proto field order', () => {
    const wire = modelVersionToWire({
      name: 'm1', version: '1', creation_timestamp: 5, last_updated_timestamp: 6, current_stage: 'None', description: '', source: 's3://b/p',
      run_id: '', status: 'READY', status_message: '', tags: [], run_link: '', aliases: [], model_id: 'm-x',
    });
    expect(JSON.stringify(wire)).toBe(
      '{"name":"m1","version":"1","creation_timestamp":5,"last_updated_timestamp":6,"current_stage":"None","description":"","source":"s3://b/p","run_id":"","status":"READY","run_link":""}',
    );
  });

  it('drops an empty registered-model description and writes alias versions as strings', () => {
    const wire = registeredModelToWire({ name: 'm', creation_timestamp: 1, last_updated_timestamp: 2, description: '', latest_versions: [], tags: [{ key: 'k', value: '' }], aliases: [{ alias: 'a', version: '3' }] });
    expect(wire).toEqual({ name: 'm', creation_timestamp: 1, last_updated_timestamp: 2, tags: [{ key: 'k', value: '' }], aliases: [{ alias: 'a', version: '3' }] });
  });

  it('reads back what it writes (status by name or number)', () => {
    const mv = modelVersionFromWire({ name: 'm', version: '2', creation_timestamp: '7', current_stage: 'Staging', status: 3, aliases: ['x'], tags: [{ key: 'k' }] });
    expect(mv).toEqual({ name: 'm', version: '2', creation_timestamp: 7, current_stage: 'Staging', status: 'READY', aliases: ['x'], tags: [{ key: 'k', value: '' }] });
    const rm = registeredModelFromWire({ name: 'm', creation_timestamp: 1, latest_versions: [{ name: 'm', version: '1', status: 'READY' }], aliases: [{ alias: 'a', version: '1' }] });
    expect(rm.latest_versions[0]!.version).toBe('1');
    expect(rm.aliases).toEqual([{ alias: 'a', version: '1' }]);
    expect(rm.description).toBeUndefined();
  });
});
