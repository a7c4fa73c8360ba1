import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabCredentials } from './clients.js';

/**
 * AWS CLI profiles for the lab's actors, in the lab's own files (never the user's ~/.aws): a user with the AWS CLI
 * can play the workshop's commands against the lab, e.g.
 *   AWS_CONFIG_FILE=<dir>/aws/config AWS_SHARED_CREDENTIALS_FILE=<dir>/aws/credentials aws --profile badbob dynamodb list-tables
 * The files are written with mode 0600; the credentials are the lab's, valid only against its endpoint.
 */
export class AwsCliProfiles {
  private readonly profiles = new Map<string, LabCredentials>();
  readonly configFile: string;
  readonly credentialsFile: string;

  constructor(
    dir: string,
    private readonly endpoint: string,
    private readonly region: string,
  ) {
    mkdirSync(join(dir, 'aws'), { recursive: true, mode: 0o700 });
    this.configFile = join(dir, 'aws', 'config');
    this.credentialsFile = join(dir, 'aws', 'credentials');
  }

  set(name: string, credentials: LabCredentials): void {
    this.profiles.set(name, credentials);
    const config: string[] = [];
    const creds: string[] = [];
    for (const [n, c] of this.profiles) {
      config.push(`[profile ${n}]`, `region = ${this.region}`, `endpoint_url = ${this.endpoint}`, '');
      creds.push(`[${n}]`, `aws_access_key_id = ${c.accessKeyId}`, `aws_secret_access_key = ${c.secretAccessKey}`);
      if (c.sessionToken) creds.push(`aws_session_token = ${c.sessionToken}`);
      creds.push('');
    }
    for (const [file, text] of [
      [this.configFile, config],
      [this.credentialsFile, creds],
    ] as const) {
      writeFileSync(file, text.join('\n'), { mode: 0o600 });
      chmodSync(file, 0o600); // the mode above applies only when the file is created
    }
  }

  /** The environment prefix that points the AWS CLI at these files. */
  env(): string {
    return `AWS_CONFIG_FILE=${this.configFile} AWS_SHARED_CREDENTIALS_FILE=${this.credentialsFile}`;
  }
}
