import { describe, expect, it } from 'vitest';
import { classifyReceivedError, classifyRaisedError } from './error-classification.js';
import { ERROR_CODE_TO_HTTP_STATUS, MlflowError } from './errors.js';

describe('MlflowError classification (MLflow 3.18 error_classification.py)', () => {
  it('serialises as MLflow 3.18 does: error_code, message, sqlstate, error_class', () => {
    const err = MlflowError.invalidParameter('bad');
    expect(JSON.stringify(err)).toBe('{"error_code":"INVALID_PARAMETER_VALUE","message":"bad","sqlstate":"KAM00","error_class":"INVALID_PARAMETER_VALUE"}');
  });

  // Every code MlflowException may be raised with, as MLflow 3.18.0 serialises it (checked
  // against mlflow.exceptions.MlflowException(…, error_code=…).serialize_as_json()).
  it.each([
    ['INTERNAL_ERROR', 'XXM00', 'CLIENT_INTERNAL_ERROR'],
    ['INVALID_STATE', 'XXM00', 'CLIENT_INTERNAL_ERROR'],
    ['TEMPORARILY_UNAVAILABLE', 'XXM00', 'CLIENT_INTERNAL_ERROR'],
    ['INVALID_PARAMETER_VALUE', 'KAM00', 'INVALID_PARAMETER_VALUE'],
    ['BAD_REQUEST', 'KAM00', 'INVALID_PARAMETER_VALUE'],
    ['RESOURCE_DOES_NOT_EXIST', 'KAM00', 'RESOURCE_NOT_FOUND'],
    ['ENDPOINT_NOT_FOUND', 'KAM00', 'RESOURCE_NOT_FOUND'],
    ['NOT_FOUND', 'KAM00', 'RESOURCE_NOT_FOUND'],
    ['RESOURCE_ALREADY_EXISTS', 'KAM00', 'RESOURCE_ALREADY_EXISTS'],
    ['PERMISSION_DENIED', 'KAM00', 'PERMISSION_DENIED'],
    ['CUSTOMER_UNAUTHORIZED', 'KAM00', 'PERMISSION_DENIED'],
    ['FEATURE_DISABLED', 'KAM00', 'FEATURE_DISABLED'],
    ['NOT_IMPLEMENTED', undefined, undefined],
    ['UNAUTHENTICATED', undefined, undefined],
    ['RESOURCE_CONFLICT', undefined, undefined],
    ['REQUEST_LIMIT_EXCEEDED', undefined, undefined],
    ['CANCELLED', undefined, undefined],
  ] as const)('%s → %s / %s', (code, sqlstate, errorClass) => {
    const err = new MlflowError('m', code);
    expect([err.sqlstate, err.errorClass]).toEqual([sqlstate, errorClass]);
    const body = err.toJSON();
    expect('sqlstate' in body).toBe(sqlstate !== undefined);
    expect('error_class' in body).toBe(errorClass !== undefined);
  });

  it('classifies every code of the status table', () => {
    for (const code of Object.keys(ERROR_CODE_TO_HTTP_STATUS)) {
      const { sqlstate } = classifyRaisedError(code);
      expect(sqlstate === undefined || /^[A-Z0-9]{5}$/.test(sqlstate)).toBe(true);
    }
  });

  it('takes explicit values: an error class with its own SQLSTATE wins over the code, null means none', () => {
    expect(classifyRaisedError('INVALID_PARAMETER_VALUE', { errorClass: 'SCHEMA_ENFORCEMENT_FAILED' })).toEqual({ sqlstate: 'KAM01', errorClass: 'SCHEMA_ENFORCEMENT_FAILED' });
    expect(classifyRaisedError('INVALID_PARAMETER_VALUE', { errorClass: 'CUSTOM' })).toEqual({ sqlstate: 'KAM00', errorClass: 'CUSTOM' });
    const none = new MlflowError('m', 'INTERNAL_ERROR', { sqlstate: null, errorClass: null });
    expect(none.toJSON()).toEqual({ error_code: 'INTERNAL_ERROR', message: 'm' });
  });

  it("classifies a received error as MLflow's RestException: the body's values, else the server (CP) table", () => {
    expect(classifyReceivedError('INVALID_PARAMETER_VALUE', {})).toEqual({ sqlstate: 'KAMC4', errorClass: 'CP_INVALID_PARAMETER_VALUE' });
    expect(classifyReceivedError('RESOURCE_DOES_NOT_EXIST', { sqlstate: 'KAM00', error_class: '' })).toEqual({ sqlstate: 'KAM00', errorClass: 'CP_RESOURCE_NOT_FOUND' });
    expect(classifyReceivedError('NOT_IMPLEMENTED')).toEqual({ sqlstate: undefined, errorClass: undefined });
    expect(classifyReceivedError('UNAUTHENTICATED')).toEqual({ sqlstate: 'KAMC1', errorClass: 'CP_PERMISSION_DENIED' });
  });
});
