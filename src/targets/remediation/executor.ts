import {
  AssociateIamInstanceProfileCommand,
  CreateSecurityGroupCommand,
  CreateTagsCommand,
  DeleteTagsCommand,
  DescribeIamInstanceProfileAssociationsCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  DisassociateIamInstanceProfileCommand,
  type EC2Client,
  ModifyNetworkInterfaceAttributeCommand,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import {
  DeleteRolePolicyCommand,
  DeleteUserPolicyCommand,
  GetInstanceProfileCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetUserPolicyCommand,
  type IAMClient,
  ListAccessKeysCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { awsErrorText } from '../aws/common.js';

/** The API calls playbooks may make, by service. Anything else cannot be sent. */
const COMMANDS = {
  iam: {
    GetRole: GetRoleCommand,
    GetRolePolicy: GetRolePolicyCommand,
    PutRolePolicy: PutRolePolicyCommand,
    DeleteRolePolicy: DeleteRolePolicyCommand,
    ListAccessKeys: ListAccessKeysCommand,
    UpdateAccessKey: UpdateAccessKeyCommand,
    GetUserPolicy: GetUserPolicyCommand,
    PutUserPolicy: PutUserPolicyCommand,
    DeleteUserPolicy: DeleteUserPolicyCommand,
    GetInstanceProfile: GetInstanceProfileCommand,
  },
  ec2: {
    DescribeInstances: DescribeInstancesCommand,
    DescribeSecurityGroups: DescribeSecurityGroupsCommand,
    CreateSecurityGroup: CreateSecurityGroupCommand,
    RevokeSecurityGroupEgress: RevokeSecurityGroupEgressCommand,
    RevokeSecurityGroupIngress: RevokeSecurityGroupIngressCommand,
    ModifyNetworkInterfaceAttribute: ModifyNetworkInterfaceAttributeCommand,
    DescribeIamInstanceProfileAssociations: DescribeIamInstanceProfileAssociationsCommand,
    DisassociateIamInstanceProfile: DisassociateIamInstanceProfileCommand,
    AssociateIamInstanceProfile: AssociateIamInstanceProfileCommand,
    CreateTags: CreateTagsCommand,
    DeleteTags: DeleteTagsCommand,
  },
} as const;

export type Service = keyof typeof COMMANDS;
export type CommandName<S extends Service> = keyof (typeof COMMANDS)[S] & string;

/** One API call: the exact input the SDK command is built with. */
export interface ApiCall {
  service: Service;
  command: string;
  input: Record<string, unknown>;
}

/** A call as recorded: `sent` false in a dry run; `error` when AWS refused it. */
export interface CallRecord extends ApiCall {
  sent: boolean;
  error?: string;
}

export interface Clients {
  iam: IAMClient;
  ec2: EC2Client;
}

export interface SendOptions<T> {
  /** What a read returns in a dry run (placeholders for what only AWS knows), so planning can go on. */
  dry?: T;
  /** Error names that are an answer rather than a failure (e.g. NoSuchEntityException): `send` returns undefined. */
  tolerate?: string[];
}

/**
 * Makes (or, in a dry run, only records) a playbook's API calls, in order. A dry run sends nothing: each call is
 * recorded exactly as it would be sent, and reads answer with the placeholders the playbook supplies.
 */
export class Executor {
  readonly calls: CallRecord[] = [];

  constructor(
    readonly dryRun: boolean,
    private readonly clients: Clients,
  ) {}

  async send<S extends Service, T = any>(service: S, command: CommandName<S>, input: Record<string, unknown>, options: SendOptions<T> = {}): Promise<T> {
    const record: CallRecord = { service, command, input: structuredClone(input), sent: !this.dryRun };
    this.calls.push(record);
    if (this.dryRun) return options.dry as T;
    const Command = (COMMANDS[service] as Record<string, new (input: any) => any>)[command];
    if (!Command) throw new Error(`unknown command ${service}:${command}`);
    try {
      return (await (this.clients[service] as { send(c: unknown): Promise<unknown> }).send(new Command(input))) as T;
    } catch (err) {
      record.error = awsErrorText(err);
      if (options.tolerate?.includes((err as { name?: string }).name ?? '')) return undefined as T;
      throw err;
    }
  }
}
