// Unit tests on the synthesized template (aws-cdk-lib/assertions): what the deployment must and
// must never contain. No AWS call: synthesis is local.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError, DEBUG_PCR0, readConfig } from '../lib/config';
import { NitroWalletStack } from '../lib/nitro-wallet-stack';

const PCR0 = 'ab'.repeat(48);

function artifacts(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'nw-infra-'));
  fs.writeFileSync(path.join(d, 'nitro-wallet.eif'), 'eif');
  fs.writeFileSync(path.join(d, 'host-bundle.tar.gz'), 'bundle');
  fs.writeFileSync(path.join(d, 'lambda.zip'), 'PK');
  return d;
}
const ART = artifacts();

function build(ctx: Record<string, unknown> = {}): { app: App; stack: Stack; t: Template } {
  const app = new App();
  const all: Record<string, unknown> = { pcr0: PCR0, artifacts: ART, ...ctx };
  const config = readConfig((k) => all[k], {}, '/');
  const stack = new NitroWalletStack(app, `${config.prefix}NitroWalletEth`, { config });
  return { app, stack, t: Template.fromStack(stack) };
}

const prod = build();
const tpl = prod.t.toJSON();
const resources = Object.entries(tpl.Resources as Record<string, any>);
const ofType = (type: string) => resources.filter(([, r]) => r.Type === type);
const asList = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** True when an IAM action pattern (with * and ?) covers the given action. */
function covers(pattern: string, action: string): boolean {
  const re = new RegExp('^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$', 'i');
  return re.test(action);
}
const CRYPTO = ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom',
  'kms:GenerateDataKeyPair', 'kms:Encrypt'];
const RELEASING = ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKeyPair', 'kms:ReEncryptFrom'];

describe('configuration', () => {
  const ctx = (c: Record<string, unknown>) => (k: string) => c[k];
  test('synth fails clearly without pcr0', () => {
    expect(() => readConfig(ctx({ artifacts: ART }), {}, '/')).toThrow(/context pcr0 is required/);
  });
  test('malformed pcr0 is refused', () => {
    expect(() => readConfig(ctx({ artifacts: ART, pcr0: 'abc' }), {}, '/')).toThrow(ConfigError);
    expect(() => readConfig(ctx({ artifacts: ART, pcr0: 'g'.repeat(96) }), {}, '/')).toThrow(/96 hex/);
  });
  test('all-zero PCR0 needs debug=true, and debug needs the all-zero PCR0', () => {
    expect(() => readConfig(ctx({ artifacts: ART, pcr0: DEBUG_PCR0 }), {}, '/')).toThrow(/debug=true/);
    expect(() => readConfig(ctx({ artifacts: ART, pcr0: PCR0, debug: 'true' }), {}, '/')).toThrow(/all zeros/);
    expect(readConfig(ctx({ artifacts: ART, pcr0: DEBUG_PCR0, debug: 'true' }), {}, '/').debug).toBe(true);
  });
  test('a missing artifact names the script that builds it', () => {
    expect(() => readConfig(ctx({ artifacts: '/nonexistent', pcr0: PCR0 }), {}, '/')).toThrow(/build-eif\.sh/);
  });
  test('CDK_PREFIX names the stack as the seed does', () => {
    expect(readConfig(ctx({ artifacts: ART, pcr0: PCR0 }), { CDK_PREFIX: 'prod' }, '/').prefix).toBe('prod');
    expect(() => readConfig(ctx({ artifacts: ART, pcr0: PCR0 }), { CDK_PREFIX: 'a b' }, '/')).toThrow(/CDK_PREFIX/);
  });
});

describe('KMS key', () => {
  const keys = ofType('AWS::KMS::Key');
  const policy = keys[0][1].Properties.KeyPolicy;
  const instanceRoleId = ofType('AWS::IAM::Role').find(([id]) => id.startsWith('InstanceRole'))![0];
  test('one key, rotation on', () => {
    expect(keys).toHaveLength(1);
    expect(keys[0][1].Properties.EnableKeyRotation).toBe(true);
  });
  test('every decrypt/generate grant carries the PCR0 condition', () => {
    let grants = 0;
    for (const st of policy.Statement) {
      const actions = asList<string>(st.Action);
      if (st.Effect !== 'Allow' || !actions.some((a) => RELEASING.some((r) => covers(a, r)))) continue;
      grants++;
      expect(st.Condition).toEqual({ StringEqualsIgnoreCase: { 'kms:RecipientAttestation:ImageSha384': PCR0 } });
    }
    expect(grants).toBeGreaterThan(0);
  });
  test('no unconditioned decrypt: the instance role only under attestation, no account-wide delegation', () => {
    for (const st of policy.Statement) {
      const principal = JSON.stringify(st.Principal);
      expect(principal).not.toMatch(/:root"|"\*"/);
      const actions = asList<string>(st.Action);
      if (principal.includes(instanceRoleId)) {
        expect(actions.sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
        expect(st.Condition).toBeDefined();
      }
      if (st.Sid === 'KeyAdministration') {
        for (const a of actions) for (const c of CRYPTO) expect(covers(a, c)).toBe(false);
      }
    }
  });
  test('the Lambda role may only Encrypt', () => {
    const st = policy.Statement.find((s: any) => s.Sid === 'LambdaEncrypt');
    expect(st.Action).toBe('kms:Encrypt');
  });
  test('no IAM policy grants a cryptographic KMS action', () => {
    for (const [, p] of [...ofType('AWS::IAM::Policy'), ...ofType('AWS::IAM::ManagedPolicy')]) {
      for (const st of p.Properties.PolicyDocument.Statement) {
        for (const a of asList<string>(st.Action)) for (const c of CRYPTO) expect(covers(a, c)).toBe(false);
      }
    }
  });
});

describe('no plaintext secret', () => {
  test('the database password is a Secrets Manager reference', () => {
    const db = ofType('AWS::RDS::DBInstance')[0][1].Properties;
    expect(JSON.stringify(db.MasterUserPassword)).toMatch(/resolve:secretsmanager:/);
  });
  test('no secret carries a value; passwords are generated', () => {
    for (const [, s] of ofType('AWS::SecretsManager::Secret')) {
      expect(s.Properties.SecretString).toBeUndefined();
      expect(s.Properties.GenerateSecretString).toBeDefined();
    }
  });
  test('no literal password-like property anywhere in the template', () => {
    const walk = (v: any, key: string): void => {
      if (typeof v === 'string' && /^(MasterUserPassword|Password|SecretString|SecretAccessKey|PrivateKey|AuthToken)$/i.test(key)) {
        throw new Error(`literal ${key} in template`);
      }
      if (v && typeof v === 'object' && !('Fn::Join' in v || 'Ref' in v || 'Fn::GetAtt' in v)) {
        for (const [k, x] of Object.entries(v)) walk(x, k);
      }
    };
    expect(() => walk(tpl.Resources, '')).not.toThrow();
    expect(JSON.stringify(tpl)).not.toMatch(/BEGIN (RSA |EC )?PRIVATE KEY/);
  });
});

describe('parent instances', () => {
  test('IMDSv2 required, hop limit 1, Nitro Enclaves on, encrypted root volume, AL2023', () => {
    prod.t.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
        EnclaveOptions: { Enabled: true },
        BlockDeviceMappings: [Match.objectLike({ Ebs: Match.objectLike({ Encrypted: true }) })],
      }),
    });
    expect(JSON.stringify(tpl.Parameters)).toMatch(/al2023-ami/);
  });
  test('two instances, replaced when the NLB health check fails', () => {
    prod.t.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      MinSize: '2', MaxSize: '2', HealthCheckType: 'ELB',
    });
  });
  test('user data: no debug mode in production, PCR0 and RDS secret passed, setup runs', () => {
    const ud = JSON.stringify(ofType('AWS::EC2::LaunchTemplate')[0][1].Properties.LaunchTemplateData.UserData);
    expect(ud).toContain('NW_DEV=0');
    expect(ud).toContain(`NW_PCR0=${PCR0}`);
    expect(ud).toContain('NW_RDS_SECRET_ARN=');
    expect(ud).toContain('/opt/nitro-wallet/share/setup.sh /etc/nitro-wallet/deploy.env');
    expect(ud).not.toMatch(/debug-mode/);
  });
  test('a dev deployment asks for debug mode and can be torn down', () => {
    const dev = build({ pcr0: DEBUG_PCR0, debug: true }).t.toJSON();
    const ud = JSON.stringify(Object.values(dev.Resources as Record<string, any>)
      .find((r) => r.Type === 'AWS::EC2::LaunchTemplate')!.Properties.LaunchTemplateData.UserData);
    expect(ud).toContain('NW_DEV=1');
    const db = Object.values(dev.Resources as Record<string, any>).find((r) => r.Type === 'AWS::RDS::DBInstance')!;
    expect(db.Properties.DeletionProtection).toBe(false);
  });
});

describe('load balancer', () => {
  test('internal NLB, TCP 443, health check HTTPS GET /readyz', () => {
    prod.t.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Scheme: 'internal', Type: 'network' });
    prod.t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 443, Protocol: 'TCP' });
    prod.t.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: 443, Protocol: 'TCP', HealthCheckProtocol: 'HTTPS', HealthCheckPath: '/readyz', HealthCheckPort: '443',
    });
  });
});

describe('database', () => {
  test('encrypted, private, TLS forced, current PostgreSQL', () => {
    prod.t.hasResourceProperties('AWS::RDS::DBInstance', {
      StorageEncrypted: true, PubliclyAccessible: false, Engine: 'postgres', EngineVersion: '18', DeletionProtection: true,
    });
    prod.t.hasResourceProperties('AWS::RDS::DBParameterGroup', { Parameters: Match.objectLike({ 'rds.force_ssl': '1' }) });
  });
});

describe('lambda', () => {
  test('provided.al2023 in the VPC with the seed environment and the host CA', () => {
    const fn = ofType('AWS::Lambda::Function')
      .find(([, r]) => r.Properties.Runtime === 'provided.al2023');
    expect(fn).toBeDefined();
    const p = fn![1].Properties;
    expect(p.VpcConfig).toBeDefined();
    expect(Object.keys(p.Environment.Variables).sort()).toEqual(
      ['KEY_ARN', 'LOG_LEVEL', 'NITRO_CA_CERT_PATH', 'NITRO_INSTANCE_PRIVATE_DNS', 'SECRET_ARN']);
    expect(p.Environment.Variables.NITRO_CA_CERT_PATH).toBe('/var/task/host-ca.pem');
    expect(JSON.stringify(p.Environment.Variables.NITRO_INSTANCE_PRIVATE_DNS)).toMatch(/DNSName/);
    expect(p.Environment.Variables.LOG_LEVEL).toBe('INFO');
  });
});

describe('security groups', () => {
  const sgs = ofType('AWS::EC2::SecurityGroup');
  const idOf = (prefix: string) => sgs.find(([id]) => id.startsWith(prefix))![0];
  const rules = (type: string) => ofType(type).map(([, r]) => r.Properties);
  const inline = (key: string) => sgs.flatMap(([id, r]) => asList<any>(r.Properties[key]).map((x) => ({ ...x, GroupId: { 'Fn::GetAtt': [id, 'GroupId'] } })));
  const ingress = [...rules('AWS::EC2::SecurityGroupIngress'), ...inline('SecurityGroupIngress')];
  const egress = [...rules('AWS::EC2::SecurityGroupEgress'), ...inline('SecurityGroupEgress')];
  const ref = (r: any, k: string) => JSON.stringify(r[k] ?? null);
  test('no ingress from an address range; every ingress names a source security group', () => {
    expect(ingress.length).toBeGreaterThan(0);
    for (const r of ingress) {
      expect(r.CidrIp).toBeUndefined();
      expect(r.CidrIpv6).toBeUndefined();
      expect(r.SourceSecurityGroupId).toBeDefined();
      expect(r.IpProtocol).toBe('tcp');
      expect(r.FromPort).toBe(r.ToPort);
    }
  });
  test('database: 5432 from the instances only; instances: 443 from the NLB only', () => {
    const to = (sg: string) => ingress.filter((r) => ref(r, 'GroupId').includes(sg));
    const db = to(idOf('DatabaseSG'));
    expect(db).toHaveLength(1);
    expect(db[0].FromPort).toBe(5432);
    expect(ref(db[0], 'SourceSecurityGroupId')).toContain(idOf('InstanceSG'));
    const inst = to(idOf('InstanceSG'));
    expect(inst).toHaveLength(1);
    expect(inst[0].FromPort).toBe(443);
    expect(ref(inst[0], 'SourceSecurityGroupId')).toContain(idOf('NlbSG'));
  });
  test('no allow-all egress; the one address-range egress is HTTPS from the instances', () => {
    for (const r of egress) expect(r.IpProtocol).not.toBe('-1');
    const cidr = egress.filter((r) => r.CidrIp !== undefined || r.CidrIpv6 !== undefined);
    // CDK's "disallow all" placeholder (255.255.255.255/32, icmp 252-86) is not a real rule.
    const real = cidr.filter((r) => r.CidrIp !== '255.255.255.255/32');
    expect(real).toHaveLength(1);
    expect(real[0]).toMatchObject({ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443 });
    expect(ref(real[0], 'GroupId')).toContain(idOf('InstanceSG'));
  });
});

describe('outputs', () => {
  test("the seed's outputs plus the Lambda role and NLB name", () => {
    for (const o of ['EC2InstanceRoleARN', 'ASGGroupName', 'KMSKeyID', 'RDSEndpoint', 'RDSPort',
      'LambdaExecutionRoleARN', 'NLBName']) {
      prod.t.hasOutput(o, {});
    }
  });
});

describe('cdk-nag', () => {
  test('AwsSolutions: no finding left unacknowledged', () => {
    const report = new AwsSolutionsChecks(prod.app).validateScope(prod.app);
    const open = report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.resourceLogicalId).join(',')}`);
    expect(open).toEqual([]);
    expect(report.success).toBe(true);
  });
  test('AwsSolutions: a dev deployment is clean too (its waivers are reasoned)', () => {
    const dev = build({ pcr0: DEBUG_PCR0, debug: true });
    const report = new AwsSolutionsChecks(dev.app).validateScope(dev.app);
    expect(report.violations.map((v) => v.ruleName)).toEqual([]);
  });
  test('the pack does find what it is meant to find (an unacknowledged finding fails)', () => {
    const app = new App();
    const s = new Stack(app, 'Probe');
    new (require('aws-cdk-lib').aws_sqs.Queue)(s, 'Q');
    const report = new AwsSolutionsChecks(app).validateScope(app);
    expect(report.success).toBe(false);
  });
});
