import { expect } from 'vitest';
import { expectMlflowError } from '../../tracking/expect-error.js';
import { expectRegistryError, startingWith } from './fixtures.js';
import type { RegistryCaseGroup } from './group.js';

const ENTITY = (x: string) => `Invalid entity type '${x}'. Valid entity types are ('attribute', 'tag', 'tags')`;

/** Filters both searches refuse with the same message in both flavours (observed on MLflow 3.18.0). */
const COMMON_FILTER_ERRORS: { filter: string; message: string | RegExp }[] = [
  { filter: "name = 'a' OR name = 'b'", message: 'Invalid clause(s) in filter string: OR' },
  { filter: "(name = 'a')", message: "Invalid clause(s) in filter string: (name = 'a')" },
  { filter: 'name', message: 'Invalid clause(s) in filter string: name' },
  { filter: "foo.name = 'a'", message: ENTITY('foo') },
  { filter: "params.x = 'a'", message: ENTITY('params') },
  { filter: "attributes.name = 'a'", message: ENTITY('attributes') },
  { filter: "metrics.x = 'a'", message: ENTITY('metrics') },
  { filter: 'name = a', message: 'Parameter value is either not quoted or unidentified quote types used for string value a. Use either single or double quotes.' },
  { filter: 'name IN ()', message: 'While parsing a list in the query, expected a non-empty list of string values, but got empty list' },
  { filter: "tags.k IN ('a')", message: "Expected a quoted string value for tag (e.g. 'my-value'). Got value ('a')" },
  { filter: 'tags.k = 1', message: "Expected a quoted string value for tag (e.g. 'my-value'). Got value 1" },
];

const RM_FILTER_ERRORS: { filter: string; message: string | RegExp }[] = [
  ...COMMON_FILTER_ERRORS,
  { filter: "description = 'a'", message: "Invalid attribute key 'description' specified. Valid keys are '{'name'}'" },
  { filter: 'creation_timestamp > 1', message: "Invalid attribute key 'creation_timestamp' specified. Valid keys are '{'name'}'" },
  { filter: "last_updated_timestamp = '1'", message: "Invalid attribute key 'last_updated_timestamp' specified. Valid keys are '{'name'}'" },
  { filter: "run_id = 'a'", message: "Invalid attribute key 'run_id' specified. Valid keys are '{'name'}'" },
  { filter: 'name IS NULL', message: 'IS NULL / IS NOT NULL is not supported for registered model search.' },
  { filter: 'name IS NOT NULL', message: 'IS NULL / IS NOT NULL is not supported for registered model search.' },
  { filter: 'name = 1', message: 'Expected a quoted string value or a list of quoted string values for attributes. Got value 1' },
];

const MV_FILTER_ERRORS: { filter: string; message: string | RegExp }[] = [
  ...COMMON_FILTER_ERRORS,
  { filter: "name = 'a' OR version_number = 1", message: 'Invalid clause(s) in filter string: OR' },
  { filter: "source_path IN ('a')", message: "Only ['name', 'run_id'] attributes support comparison with a list of quoted string values." },
  { filter: 'creation_timestamp > 1', message: startingWith("Invalid attribute key 'creation_timestamp' specified. Valid keys are '{") },
  { filter: 'last_updated_timestamp > 1', message: startingWith("Invalid attribute key 'last_updated_timestamp' specified. Valid keys are '{") },
  { filter: "foo = 'a'", message: startingWith("Invalid attribute key 'foo' specified. Valid keys are '{") },
  { filter: "source = 'a'", message: "Invalid clause(s) in filter string: source, =, 'a'" },
  { filter: 'run_id = 1', message: startingWith("Only the '{") },
  { filter: 'name IS NOT NULL', message: 'IS NULL / IS NOT NULL is not supported for model version search.' },
  { filter: 'run_id IN ()', message: 'While parsing a list in the query, expected a non-empty list of string values, but got empty list' },
];

/** SQL-only refusals (MLflow's file store evaluates these lazily and answers an empty page on an empty store). */
const SQL_MV_FILTER_ERRORS: { filter: string; message: string }[] = [
  { filter: "version_number LIKE '1'", message: 'Invalid comparator for attribute version_number: LIKE' },
  { filter: 'version_number = 3.0', message: "Invalid value for numeric attribute 'version_number': 3.0" },
  { filter: "version_number = 'x'", message: "Invalid value for numeric attribute 'version_number': 'x'" },
  { filter: "run_id > 'a'", message: 'Invalid comparator for attribute: >' },
  { filter: "tags.k > 'a'", message: 'Invalid comparator for tag: >' },
];

const TOKENS: { token: string; message: string }[] = [
  { token: 'not base64!!', message: 'Invalid page token, could not base64-decode' },
  { token: 'e30=', message: 'Invalid page token, parsed value={}' },
  { token: 'aGVsbG8=', message: "Invalid page token, decoded value=b'hello'" },
  { token: 'eyJvZmZzZXQiOiAiYSJ9', message: 'Invalid page token, not stringable a' },
  { token: 'eyJvZmZzZXQiOiAwfQ==', message: "Invalid page token, parsed value={'offset': 0}" },
];

/** Search errors with MLflow's exact messages (§4.1–§4.5). */
export const searchErrorsGroup: RegistryCaseGroup = {
  name: 'search errors',
  define(ctx) {
    const s = () => ctx.store();

    ctx.each(RM_FILTER_ERRORS, 'searchRegisteredModels refuses filter: $filter', async (row) => {
      await expectRegistryError(s().searchRegisteredModels({ filterString: row.filter }), 'INVALID_PARAMETER_VALUE', row.message);
    });

    ctx.each(MV_FILTER_ERRORS, 'searchModelVersions refuses filter: $filter', async (row) => {
      await expectRegistryError(s().searchModelVersions({ filterString: row.filter }), 'INVALID_PARAMETER_VALUE', row.message);
    });

    ctx.each(SQL_MV_FILTER_ERRORS, 'searchModelVersions (SQL) refuses filter: $filter', async (row) => {
      if (ctx.flavour() !== 'SqlStore') {
        // MLflow's File store evaluates per version (an empty store answers an empty page); any
        // answer but a page or an INVALID_PARAMETER_VALUE is a bug.
        await s().searchModelVersions({ filterString: row.filter }).catch((err: unknown) => expectMlflowError(Promise.reject(err), 'INVALID_PARAMETER_VALUE'));
        return;
      }
      await expectRegistryError(s().searchModelVersions({ filterString: row.filter }), 'INVALID_PARAMETER_VALUE', row.message);
    });

    ctx.it("searchRegisteredModels (SQL) refuses name > 'a': Invalid comparator for attribute", async () => {
      if (ctx.flavour() !== 'SqlStore') {
        await s().searchRegisteredModels({ filterString: "name > 'a'" }).catch((err: unknown) => expectMlflowError(Promise.reject(err), 'INVALID_PARAMETER_VALUE'));
        return;
      }
      await expectRegistryError(s().searchRegisteredModels({ filterString: "name > 'a'" }), 'INVALID_PARAMETER_VALUE', 'Invalid comparator for attribute: >');
    });

    ctx.it('a filter with ";" reports multiple expressions (File quotes the filter with its prompt clause)', async () => {
      const filter = "name = 'a'; name = 'b'";
      const shown = ctx.flavour() === 'SqlStore' ? filter : `${filter} AND tag.\`mlflow.prompt.is_prompt\` != 'true'`;
      await expectRegistryError(s().searchRegisteredModels({ filterString: filter }), 'INVALID_PARAMETER_VALUE', `Search filter contained multiple expression "${shown}". Provide AND-ed expression list.`);
    });

    ctx.each(TOKENS, 'both searches refuse page token $token', async (row) => {
      await expectRegistryError(s().searchRegisteredModels({ pageToken: row.token }), 'INVALID_PARAMETER_VALUE', row.message);
      await expectRegistryError(s().searchModelVersions({ pageToken: row.token }), 'INVALID_PARAMETER_VALUE', row.message);
    });

    ctx.it('an empty page token is the first page', async () => {
      expect((await s().searchRegisteredModels({ pageToken: '' })).items).toBeInstanceOf(Array);
      expect((await s().searchModelVersions({ pageToken: '' })).items).toBeInstanceOf(Array);
    });

    ctx.each([{ n: 1001 }, { n: 5000 }], 'searchRegisteredModels refuses max_results $n', async (row) => {
      await expectRegistryError(s().searchRegisteredModels({ maxResults: row.n }), 'INVALID_PARAMETER_VALUE', `Invalid value for request parameter max_results. It must be at most 1000, but got value ${row.n}`);
    });

    ctx.each([{ n: 200001 }, { n: 1000000 }], 'searchModelVersions refuses max_results $n', async (row) => {
      await expectRegistryError(s().searchModelVersions({ maxResults: row.n }), 'INVALID_PARAMETER_VALUE', `Invalid value for request parameter max_results. It must be at most 200000, but got value ${row.n}`);
    });

    ctx.each([{ n: 0 }, { n: -1 }], 'searchModelVersions refuses max_results $n', async (row) => {
      await expectRegistryError(s().searchModelVersions({ maxResults: row.n }), 'INVALID_PARAMETER_VALUE', `Invalid value for max_results. It must be a positive integer, but got ${row.n}`);
    });

    ctx.each([{ n: 0 }, { n: -1 }], 'searchRegisteredModels max_results $n: SQL answers an empty page, File refuses', async (row) => {
      if (ctx.flavour() === 'SqlStore') {
        await s().createRegisteredModel(ctx.uniq());
        expect((await s().searchRegisteredModels({ maxResults: row.n })).items).toEqual([]);
      } else {
        await expectRegistryError(s().searchRegisteredModels({ maxResults: row.n }), 'INVALID_PARAMETER_VALUE', `Invalid value for max_results. It must be a positive integer, but got ${row.n}`);
      }
    });

    ctx.it('max_results at the limits (1000 / 200000) is accepted', async () => {
      await s().searchRegisteredModels({ maxResults: 1000 });
      await s().searchModelVersions({ maxResults: 200000 });
    });

    ctx.each(
      [
        { orderBy: ['name SIDEWAYS'], message: "Invalid ordering key in order_by clause 'name SIDEWAYS'." },
        { orderBy: ['name ASC DESC'], message: "Invalid order_by clause 'name ASC DESC'. Could not be parsed." },
      ],
      'searchRegisteredModels refuses order_by $orderBy',
      async (row) => {
        await expectRegistryError(s().searchRegisteredModels({ orderBy: row.orderBy }), 'INVALID_PARAMETER_VALUE', row.message);
      },
    );

    ctx.each(
      [{ key: 'foo' }, { key: 'timestamp' }, { key: 'run_id' }, { key: 'source_path' }],
      'searchModelVersions refuses order_by key $key',
      async (row) => {
        await expectRegistryError(s().searchModelVersions({ orderBy: [row.key] }), 'INVALID_PARAMETER_VALUE', startingWith(`Invalid attribute key '${row.key}' specified. Valid keys are '{`));
      },
    );

    ctx.it('registered-model order_by keys per flavour: SQL refuses creation_timestamp, File refuses timestamp', async () => {
      if (ctx.flavour() === 'SqlStore') {
        await expectRegistryError(s().searchRegisteredModels({ orderBy: ['creation_timestamp'] }), 'INVALID_PARAMETER_VALUE', startingWith("Invalid order by key 'creation_timestamp' specified. Valid keys are '{"));
        await expectRegistryError(s().searchRegisteredModels({ orderBy: ['foo'] }), 'INVALID_PARAMETER_VALUE', startingWith("Invalid order by key 'foo' specified. Valid keys are '{"));
        await s().searchRegisteredModels({ orderBy: ['timestamp DESC'] });
      } else {
        await expectRegistryError(s().searchRegisteredModels({ orderBy: ['timestamp'] }), 'INVALID_PARAMETER_VALUE', startingWith("Invalid attribute key 'timestamp' specified. Valid keys are '{"));
        await expectRegistryError(s().searchRegisteredModels({ orderBy: ['foo'] }), 'INVALID_PARAMETER_VALUE', startingWith("Invalid attribute key 'foo' specified. Valid keys are '{"));
        await s().searchRegisteredModels({ orderBy: ['creation_timestamp DESC', 'attribute.name'] });
      }
    });

    ctx.it('duplicate order_by fields: SQL → INTERNAL_ERROR, File takes the first', async () => {
      const rm = ['name DESC', 'name ASC'];
      const mv = ['version_number DESC', 'version_number'];
      if (ctx.flavour() === 'SqlStore') {
        await expectRegistryError(s().searchRegisteredModels({ orderBy: rm }), 'INTERNAL_ERROR', "`order_by` contains duplicate fields: ['name DESC', 'name ASC']");
        await expectRegistryError(s().searchModelVersions({ orderBy: mv }), 'INTERNAL_ERROR', "`order_by` contains duplicate fields: ['version_number DESC', 'version_number']");
      } else {
        await s().searchRegisteredModels({ orderBy: rm });
        await s().searchModelVersions({ orderBy: mv });
      }
    });
  },
};
