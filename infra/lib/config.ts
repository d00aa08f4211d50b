// Deployment settings read from CDK context and the environment, checked before any resource
// is built so that a bad value stops `cdk synth` with one clear line.
import * as fs from 'fs';
import * as path from 'path';

/** PCR0 of a debug-mode enclave: KMS sees all zeros when the enclave runs with --debug-mode. */
export const DEBUG_PCR0 = '0'.repeat(96);

export interface DeployConfig {
  /** Stack name prefix (CDK_PREFIX, default "dev"), as the seed's. */
  readonly prefix: string;
  /** Lower-case hex SHA-384 of the enclave image (nitro-cli build-enclave's PCR0). */
  readonly pcr0: string;
  /** A dev deployment: enclave in debug mode (all-zero PCR0), resources easy to tear down. */
  readonly debug: boolean;
  /** Optional IAM role ARN that administers the KMS key (besides the CloudFormation role). */
  readonly adminRoleArn?: string;
  /** Directory holding the built artifacts (nitro-wallet.eif, host-bundle.tar.gz, lambda.zip). */
  readonly artifacts: string;
  /** EC2 instance type of the parent instances (Nitro Enclaves capable). */
  readonly instanceType: string;
  /** vCPUs given to the enclave. */
  readonly enclaveCpus: number;
}

/** Error with a message meant for the operator running `cdk synth`. */
export class ConfigError extends Error {}

type Ctx = (key: string) => unknown;

function str(ctx: Ctx, key: string): string | undefined {
  const v = ctx(key);
  if (v === undefined || v === null || v === '') return undefined;
  return String(v);
}

function bool(ctx: Ctx, key: string): boolean {
  const v = ctx(key);
  if (v === undefined || v === null || v === '') return false;
  if (v === true || v === 'true' || v === '1') return true;
  if (v === false || v === 'false' || v === '0') return false;
  throw new ConfigError(`context ${key}: expected true or false, got "${String(v)}"`);
}

/**
 * Reads and checks the deployment settings.
 * Throws ConfigError when pcr0 is missing or malformed, when the all-zero debug PCR0 is given
 * without debug=true, or when an artifact the stack ships is absent.
 */
export function readConfig(ctx: Ctx, env: NodeJS.ProcessEnv, baseDir: string): DeployConfig {
  const debug = bool(ctx, 'debug');
  const raw = str(ctx, 'pcr0');
  if (raw === undefined) {
    throw new ConfigError(
      'context pcr0 is required: the KMS key policy releases keys only to this enclave image. ' +
        'Build the image (deploy/enclave/build-eif.sh), read it with scripts/aws/pcrs.sh, then ' +
        '`cdk deploy -c pcr0=<96 hex digits>` (a debug deployment: -c pcr0=' +
        DEBUG_PCR0.slice(0, 8) + '... -c debug=true)',
    );
  }
  const pcr0 = raw.toLowerCase();
  if (!/^[0-9a-f]{96}$/.test(pcr0)) {
    throw new ConfigError(`context pcr0: expected 96 hex digits (SHA-384), got ${raw.length} characters`);
  }
  if (pcr0 === DEBUG_PCR0 && !debug) {
    throw new ConfigError(
      'context pcr0 is all zeros, the value of a debug-mode enclave whose memory the parent can read: ' +
        'refused unless -c debug=true (a dev deployment)',
    );
  }
  if (pcr0 !== DEBUG_PCR0 && debug) {
    throw new ConfigError(
      'context debug=true runs the enclave in debug mode, where KMS sees PCR0 = all zeros: ' +
        'give -c pcr0=' + DEBUG_PCR0 + ' with it',
    );
  }
  const adminRoleArn = str(ctx, 'adminRoleArn');
  if (adminRoleArn !== undefined && !/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/.test(adminRoleArn)) {
    throw new ConfigError(`context adminRoleArn: not an IAM role ARN: ${adminRoleArn}`);
  }
  const prefix = env.CDK_PREFIX ?? 'dev';
  if (!/^[A-Za-z][A-Za-z0-9-]{0,20}$/.test(prefix)) {
    throw new ConfigError(`CDK_PREFIX: letters, digits and '-', starting with a letter, at most 21: ${prefix}`);
  }
  const artifacts = path.resolve(baseDir, str(ctx, 'artifacts') ?? '../build/deploy');
  const need: [string, string][] = [
    ['nitro-wallet.eif', 'deploy/enclave/build-eif.sh'],
    ['host-bundle.tar.gz', 'deploy/host/package.sh'],
    ['lambda.zip', 'scripts/aws/host-cert.sh then deploy/lambda/stage.sh'],
  ];
  for (const [file, how] of need) {
    if (!fs.existsSync(path.join(artifacts, file))) {
      throw new ConfigError(`artifact ${path.join(artifacts, file)} is missing: build it with ${how}`);
    }
  }
  const cpus = Number(str(ctx, 'enclaveCpus') ?? '2');
  if (!Number.isInteger(cpus) || cpus < 2 || cpus % 2 !== 0) {
    throw new ConfigError('context enclaveCpus: an even number >= 2 (whole cores)');
  }
  return {
    prefix,
    pcr0,
    debug,
    adminRoleArn,
    artifacts,
    instanceType: str(ctx, 'instanceType') ?? 'm6i.xlarge',
    enclaveCpus: cpus,
  };
}
