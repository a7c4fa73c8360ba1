/**
 * SSM Parameter Store (JSON 1.1): DescribeParameters, GetParameters, GetParameter. SecureString values are returned
 * in clear only WithDecryption (there is no KMS: the lab keeps them in memory; without decryption a stand-in
 * ciphertext is returned).
 */
import { createHash } from 'node:crypto';
import type { Parameter } from '../account.js';
import { type CallContext, type Input, LabServiceError, type Operation, objList, optBool, optStr, type ServiceDef, strList } from '../protocols/common.js';
import { SSM_JSON } from '../protocols/json.js';

type Op = Operation<Input, Record<string, unknown>>;

const epoch = (d: Date) => d.getTime() / 1000;

function param(ctx: CallContext, name: string): Parameter | undefined {
  return ctx.region === ctx.account.region ? ctx.account.parameters.get(name) : undefined;
}

function value(p: Parameter, decrypt: boolean): string {
  if (p.type !== 'SecureString' || decrypt) return p.value;
  return `AQICAH${createHash('sha256').update(`${p.name}:${p.version}:${p.value}`).digest('base64')}`;
}

function parameterJson(ctx: CallContext, p: Parameter, decrypt: boolean) {
  return {
    Name: p.name,
    Type: p.type,
    Value: value(p, decrypt),
    Version: p.version,
    LastModifiedDate: epoch(p.lastModifiedDate),
    ARN: ctx.account.parameterArn(p.name, ctx.region),
    DataType: 'text',
  };
}

function validation(message: string): LabServiceError {
  return new LabServiceError('ValidationException', message, 400);
}

/** DescribeParameters filters: Filters (Name/Type/KeyId, equality) and ParameterFilters (Name/Type/KeyId/Path with Option). */
function describeMatch(p: Parameter, input: Input): boolean {
  for (const f of objList(input.Filters)) {
    const key = optStr(f.Key);
    const values = strList(f.Values);
    const field = key === 'Name' ? p.name : key === 'Type' ? p.type : key === 'KeyId' ? (p.keyId ?? '') : undefined;
    if (field === undefined) throw validation(`Invalid filter key: ${key}`);
    if (!values.includes(field)) return false;
  }
  for (const f of objList(input.ParameterFilters)) {
    const key = optStr(f.Key);
    const option = optStr(f.Option) ?? 'Equals';
    const values = strList(f.Values);
    if (key === 'Path') {
      const recursive = option === 'Recursive';
      const ok = values.some((v) => {
        const prefix = v.endsWith('/') ? v : `${v}/`;
        if (!p.name.startsWith(prefix)) return false;
        return recursive || !p.name.slice(prefix.length).includes('/');
      });
      if (!ok) return false;
      continue;
    }
    const field =
      key === 'Name'
        ? p.name
        : key === 'Type'
          ? p.type
          : key === 'KeyId'
            ? (p.keyId ?? '')
            : key === 'DataType'
              ? 'text'
              : key === 'Tier'
                ? 'Standard'
                : undefined;
    if (field === undefined) throw validation(`The following filter key is not valid: ${key}.`);
    const ok =
      option === 'BeginsWith'
        ? values.some((v) => field.startsWith(v))
        : option === 'Contains'
          ? values.some((v) => field.includes(v))
          : option === 'Equals'
            ? values.includes(field)
            : undefined;
    if (ok === undefined) throw validation(`The following filter option is not valid: ${option}.`);
    if (!ok) return false;
  }
  return true;
}

const operations: Record<string, Op> = {
  DescribeParameters: {
    action: 'ssm:DescribeParameters',
    readOnly: true,
    resources: (_i, ctx) => [`arn:aws:ssm:${ctx.region}:${ctx.account.accountId}:*`],
    params: (i) => {
      const out: Record<string, unknown> = {};
      if (i.Filters !== undefined) out.filters = i.Filters;
      if (i.ParameterFilters !== undefined) out.parameterFilters = i.ParameterFilters;
      if (i.MaxResults !== undefined) out.maxResults = i.MaxResults;
      if (i.NextToken !== undefined) out.nextToken = i.NextToken;
      return Object.keys(out).length ? out : null;
    },
    run(i, ctx) {
      const max = i.MaxResults === undefined ? 10 : Number(i.MaxResults);
      if (!Number.isInteger(max) || max < 1 || max > 50)
        throw validation(
          `1 validation error detected: Value '${String(i.MaxResults)}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 50`,
        );
      const all = ctx.region === ctx.account.region ? [...ctx.account.parameters.values()].sort((a, b) => a.name.localeCompare(b.name)) : [];
      const matching = all.filter((p) => describeMatch(p, i));
      const token = optStr(i.NextToken);
      const start = token ? Number(Buffer.from(token, 'base64').toString('utf8')) : 0;
      if (!Number.isInteger(start) || start < 0) throw new LabServiceError('InvalidNextToken', 'The specified token is not valid.', 400);
      const page = matching.slice(start, start + max);
      const next = start + max < matching.length ? Buffer.from(String(start + max)).toString('base64') : undefined;
      return {
        result: {
          Parameters: page.map((p) => ({
            Name: p.name,
            ARN: ctx.account.parameterArn(p.name, ctx.region),
            Type: p.type,
            ...(p.keyId ? { KeyId: p.keyId } : {}),
            LastModifiedDate: epoch(p.lastModifiedDate),
            LastModifiedUser: p.lastModifiedUser,
            ...(p.description ? { Description: p.description } : {}),
            Version: p.version,
            Tier: 'Standard',
            Policies: [],
            DataType: 'text',
          })),
          ...(next ? { NextToken: next } : {}),
        },
      };
    },
  },
  GetParameters: {
    action: 'ssm:GetParameters',
    readOnly: true,
    resources: (i, ctx) => {
      const names = strList(i.Names);
      return names.length ? names.map((n) => ctx.account.parameterArn(n, ctx.region)) : ['*'];
    },
    params: (i) => ({ names: strList(i.Names), withDecryption: optBool(i.WithDecryption) ?? false }),
    run(i, ctx) {
      const names = strList(i.Names);
      if (names.length === 0 || names.length > 10)
        throw validation(`1 validation error detected: Value at 'names' failed to satisfy constraint: Member must have length between 1 and 10`);
      const decrypt = optBool(i.WithDecryption) ?? false;
      const found: ReturnType<typeof parameterJson>[] = [];
      const invalid: string[] = [];
      for (const n of names) {
        const p = param(ctx, n);
        if (p) found.push(parameterJson(ctx, p, decrypt));
        else invalid.push(n);
      }
      return { result: { Parameters: found, InvalidParameters: invalid } };
    },
  },
  GetParameter: {
    action: 'ssm:GetParameter',
    readOnly: true,
    resources: (i, ctx) => [ctx.account.parameterArn(optStr(i.Name) ?? '', ctx.region)],
    params: (i) => ({ name: optStr(i.Name), withDecryption: optBool(i.WithDecryption) ?? false }),
    run(i, ctx) {
      const name = optStr(i.Name);
      if (!name) throw validation(`1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null`);
      const p = param(ctx, name);
      if (!p) throw new LabServiceError('ParameterNotFound', '', 400);
      return { result: { Parameter: parameterJson(ctx, p, optBool(i.WithDecryption) ?? false) } };
    },
  },
};

export const ssmService: ServiceDef<Input> = { name: 'ssm', eventSource: 'ssm.amazonaws.com', protocol: 'json', json: SSM_JSON, operations };
