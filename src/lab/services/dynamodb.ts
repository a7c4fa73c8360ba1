/** DynamoDB (JSON 1.0): ListTables and DescribeTable. Tables have no items in the lab (only a declared count). */
import type { Table } from '../account.js';
import { type CallContext, type Input, LabServiceError, type Operation, optStr, type ServiceDef } from '../protocols/common.js';
import { DYNAMODB_JSON } from '../protocols/json.js';

type Op = Operation<Input, Record<string, unknown>>;

const tableArn = (ctx: CallContext, name: string) => `arn:aws:dynamodb:${ctx.region}:${ctx.account.accountId}:table/${name}`;

function tables(ctx: CallContext): Table[] {
  return ctx.region === ctx.account.region ? [...ctx.account.tables.values()].sort((a, b) => (a.tableName < b.tableName ? -1 : 1)) : [];
}

const operations: Record<string, Op> = {
  ListTables: {
    action: 'dynamodb:ListTables',
    readOnly: true,
    resources: (_i, ctx) => [tableArn(ctx, '*')],
    params: (i) => {
      const out: Record<string, unknown> = {};
      if (i.Limit !== undefined) out.limit = i.Limit;
      if (i.ExclusiveStartTableName !== undefined) out.exclusiveStartTableName = i.ExclusiveStartTableName;
      return Object.keys(out).length ? out : null;
    },
    run(i, ctx) {
      const limit = i.Limit === undefined ? 100 : Number(i.Limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 100)
        throw new LabServiceError(
          'ValidationException',
          `1 validation error detected: Value '${String(i.Limit)}' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 100`,
        );
      const start = optStr(i.ExclusiveStartTableName);
      const names = tables(ctx)
        .map((t) => t.tableName)
        .filter((n) => start === undefined || n > start);
      const page = names.slice(0, limit);
      return { result: { TableNames: page, ...(names.length > limit ? { LastEvaluatedTableName: page[page.length - 1] } : {}) } };
    },
  },
  DescribeTable: {
    action: 'dynamodb:DescribeTable',
    readOnly: true,
    resources: (i, ctx) => [tableArn(ctx, optStr(i.TableName) ?? '*')],
    params: (i) => ({ tableName: optStr(i.TableName) }),
    run(i, ctx) {
      const name = optStr(i.TableName);
      if (!name)
        throw new LabServiceError(
          'ValidationException',
          "1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null",
        );
      const t = tables(ctx).find((x) => x.tableName === name);
      if (!t) throw new LabServiceError('ResourceNotFoundException', `Requested resource not found: Table: ${name} not found`);
      return {
        result: {
          Table: {
            TableName: t.tableName,
            TableArn: t.arn,
            TableId: t.tableId,
            TableStatus: 'ACTIVE',
            CreationDateTime: t.creationDateTime.getTime() / 1000,
            KeySchema: t.keySchema,
            AttributeDefinitions: t.attributeDefinitions,
            ItemCount: t.itemCount,
            TableSizeBytes: t.sizeBytes,
            ProvisionedThroughput: { NumberOfDecreasesToday: 0, ReadCapacityUnits: 0, WriteCapacityUnits: 0 },
            BillingModeSummary: { BillingMode: t.billingMode, LastUpdateToPayPerRequestDateTime: t.creationDateTime.getTime() / 1000 },
            DeletionProtectionEnabled: false,
          },
        },
      };
    },
  },
};

export const dynamodbService: ServiceDef<Input> = {
  name: 'dynamodb',
  eventSource: 'dynamodb.amazonaws.com',
  protocol: 'json',
  json: DYNAMODB_JSON,
  operations,
};
