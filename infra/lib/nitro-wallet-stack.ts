// The nitro-wallet deployment: the seed's stack (VPC with endpoints, RDS PostgreSQL, a KMS key
// released only to the attested enclave image, Secrets Manager, two Nitro instances behind an
// internal NLB, the Lambda), fixed: no password in the template, no two-phase deploy, an
// HTTPS health check, IMDSv2 only, no unconditioned decrypt, security groups by reference.
import * as path from 'path';
import {
  CfnOutput,
  Duration,
  RemovalPolicy,
  Stack,
  StackProps,
  DefaultStackSynthesizer,
  ArnFormat,
  Fn,
  Validations,
  aws_autoscaling as autoscaling,
  aws_ec2 as ec2,
  aws_elasticloadbalancingv2 as elbv2,
  aws_iam as iam,
  aws_kms as kms,
  aws_lambda as lambda,
  aws_logs as logs,
  aws_rds as rds,
  aws_s3_assets as s3assets,
  aws_secretsmanager as sm,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { DeployConfig } from './config';

/** Where the host bundle is unpacked on the parent instance (deploy/host/package.sh's layout). */
export const HOST_ROOT = '/opt/nitro-wallet';
/** Enclave CID and ports (DESIGN.md section 2). */
export const ENCLAVE_CID = 16;
/** Path of the host CA inside the Lambda package (deploy/lambda/stage.sh puts it there). */
export const LAMBDA_CA_PATH = '/var/task/host-ca.pem';

/** KMS actions a key administrator gets: management only, never a cryptographic operation. */
export const KEY_ADMIN_ACTIONS = [
  'kms:Create*', 'kms:Describe*', 'kms:Enable*', 'kms:List*', 'kms:Put*', 'kms:Update*',
  'kms:Revoke*', 'kms:Disable*', 'kms:Get*', 'kms:Delete*', 'kms:TagResource',
  'kms:UntagResource', 'kms:ScheduleKeyDeletion', 'kms:CancelKeyDeletion',
];

export interface NitroWalletStackProps extends StackProps {
  readonly config: DeployConfig;
}

export class NitroWalletStack extends Stack {
  constructor(scope: Construct, id: string, props: NitroWalletStackProps) {
    super(scope, id, props);
    const cfg = props.config;
    const removal = cfg.debug ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;

    // ---- network: public + private-with-egress subnets, flow logs, endpoints by SG reference
    const vpc = new ec2.Vpc(this, 'VPC', {
      maxAzs: 2,
      natGateways: 1,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC },
        { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      ],
      enableDnsHostnames: true,
      enableDnsSupport: true,
    });
    vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(
        new logs.LogGroup(this, 'FlowLogGroup', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: removal }),
      ),
    });
    // S3 (assets, Amazon Linux repositories) through a gateway endpoint: no NAT traffic for them.
    vpc.addGatewayEndpoint('S3Endpoint', { service: ec2.GatewayVpcEndpointAwsService.S3 });

    const instanceSg = new ec2.SecurityGroup(this, 'InstanceSG', {
      vpc, allowAllOutbound: false, description: 'nitro-wallet parent instances: HTTPS from the NLB only',
    });
    const nlbSg = new ec2.SecurityGroup(this, 'NlbSG', {
      vpc, allowAllOutbound: false, description: 'nitro-wallet NLB: HTTPS from the Lambda, to the instances',
    });
    const lambdaSg = new ec2.SecurityGroup(this, 'LambdaSG', {
      vpc, allowAllOutbound: false, description: 'nw-lambda: HTTPS to the NLB and the KMS/Secrets Manager endpoints',
    });
    const dbSg = new ec2.SecurityGroup(this, 'DatabaseSG', {
      vpc, allowAllOutbound: false, description: 'RDS PostgreSQL: 5432 from the parent instances only',
    });
    const https = ec2.Port.tcp(443);
    lambdaSg.connections.allowTo(nlbSg, https, 'nw-lambda to the NLB');
    nlbSg.connections.allowTo(instanceSg, https, 'NLB to nw-host (traffic and the /readyz health check)');
    instanceSg.connections.allowTo(dbSg, ec2.Port.tcp(5432), 'RDS relay (nw-proxy) to PostgreSQL');
    // S3 through the gateway endpoint and the dnf repositories have no fixed addresses: HTTPS out only.
    instanceSg.addEgressRule(ec2.Peer.anyIpv4(), https, 'HTTPS out: S3 gateway endpoint, package repositories');

    const endpointSg = new ec2.SecurityGroup(this, 'EndpointSG', {
      vpc, allowAllOutbound: false, description: 'Interface endpoints: HTTPS from the instances and the Lambda',
    });
    endpointSg.connections.allowFrom(instanceSg, https, 'parent instances');
    endpointSg.connections.allowFrom(lambdaSg, https, 'nw-lambda');
    const endpoints: [string, ec2.InterfaceVpcEndpointAwsService][] = [
      ['KMS', ec2.InterfaceVpcEndpointAwsService.KMS],
      ['SecretsManager', ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER],
      ['SSM', ec2.InterfaceVpcEndpointAwsService.SSM],
      ['SSMMessages', ec2.InterfaceVpcEndpointAwsService.SSM_MESSAGES],
      ['EC2Messages', ec2.InterfaceVpcEndpointAwsService.EC2_MESSAGES],
      ['ECR', ec2.InterfaceVpcEndpointAwsService.ECR],
      ['ECRDocker', ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER],
      ['Logs', ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS],
    ];
    for (const [name, service] of endpoints) {
      vpc.addInterfaceEndpoint(`${name}Endpoint`, {
        service, privateDnsEnabled: true, open: false, securityGroups: [endpointSg],
        subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      });
    }

    // ---- RDS PostgreSQL: generated credentials in Secrets Manager, encrypted, TLS forced
    const dbParams = new rds.ParameterGroup(this, 'DatabaseParams', {
      engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_18 }),
      parameters: { 'rds.force_ssl': '1', 'log_connections': '1', 'log_disconnections': '1' },
    });
    const db = new rds.DatabaseInstance(this, 'Database', {
      engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_18 }),
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.BURSTABLE4_GRAVITON, ec2.InstanceSize.SMALL),
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [dbSg],
      credentials: rds.Credentials.fromGeneratedSecret('nwadmin', { secretName: `${id}/rds` }),
      databaseName: 'nitro_wallet',
      parameterGroup: dbParams,
      storageEncrypted: true,
      multiAz: !cfg.debug,
      allocatedStorage: 20,
      maxAllocatedStorage: 200,
      backupRetention: Duration.days(7),
      deletionProtection: !cfg.debug,
      removalPolicy: cfg.debug ? RemovalPolicy.DESTROY : RemovalPolicy.SNAPSHOT,
      cloudwatchLogsExports: ['postgresql'],
      publiclyAccessible: false,
    });
    const dbSecret = db.secret!;

    // ---- secrets: the seed's wallet secret (set_key writes it), readable under the stack prefix
    const walletSecret = new sm.Secret(this, 'WalletSecret', {
      secretName: `${id}/wallet`,
      description: 'nitro-wallet: base64 KMS ciphertext of the wallet key (written by set_key)',
      removalPolicy: removal,
    });

    // ---- roles
    const instanceRole = new iam.Role(this, 'InstanceRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: 'nitro-wallet parent instances: nw-host, the KMS relay, SSM',
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore')],
    });
    // Every secret under the stack's name prefix (another wallet is one set_key away), and the RDS one.
    instanceRole.addToPolicy(new iam.PolicyStatement({
      actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
      resources: [this.formatArn({
        service: 'secretsmanager', resource: 'secret', resourceName: `${id}/*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      })],
    }));
    // GenerateRandom (relay op) is not a key resource: IAM allows it on * only.
    instanceRole.addToPolicy(new iam.PolicyStatement({ actions: ['kms:GenerateRandom'], resources: ['*'] }));

    const lambdaRole = new iam.Role(this, 'LambdaRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'nw-lambda: KMS Encrypt of a key, UpdateSecret of the wallet secret',
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaVPCAccessExecutionRole')],
    });
    walletSecret.grantWrite(lambdaRole);
    if (cfg.debug) walletSecret.grantRead(lambdaRole); // the seed's get_key, in dev only

    // ---- the KMS key: decrypt/generate only for the attested image, encrypt for the Lambda
    const synth = this.synthesizer;
    const cfnRoleArn = synth instanceof DefaultStackSynthesizer
      ? Fn.sub(synth.cloudFormationExecutionRoleArn)
      : undefined;
    const admins: string[] = [];
    if (cfnRoleArn) admins.push(cfnRoleArn);
    if (cfg.adminRoleArn) admins.push(cfg.adminRoleArn);
    if (admins.length === 0) {
      throw new Error('no key administrator: give -c adminRoleArn=... (the stack does not use the default synthesizer)');
    }
    const keyPolicy = new iam.PolicyDocument({
      statements: [
        new iam.PolicyStatement({
          sid: 'KeyAdministration',
          principals: admins.map((a) => new iam.ArnPrincipal(a)),
          actions: KEY_ADMIN_ACTIONS,
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          sid: 'EnclaveDecryptOnlyWithAttestation',
          principals: [new iam.ArnPrincipal(instanceRole.roleArn)],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: ['*'],
          conditions: { StringEqualsIgnoreCase: { 'kms:RecipientAttestation:ImageSha384': cfg.pcr0 } },
        }),
        new iam.PolicyStatement({
          sid: 'LambdaEncrypt',
          principals: [new iam.ArnPrincipal(lambdaRole.roleArn)],
          actions: ['kms:Encrypt'],
          resources: ['*'],
        }),
      ],
    });
    const key = new kms.CfnKey(this, 'WalletKey', {
      description: `nitro-wallet ${id}: wallet keys, released only to enclave image PCR0 ${cfg.pcr0.slice(0, 16)}...`,
      enableKeyRotation: true,
      keyPolicy,
      pendingWindowInDays: cfg.debug ? 7 : 30,
    });
    key.applyRemovalPolicy(removal);
    new kms.CfnAlias(this, 'WalletKeyAlias', { aliasName: `alias/${id}`, targetKeyId: key.ref });
    const keyArn = key.attrArn;

    // ---- artifacts: the enclave image (EIF, measured into pcr0) and the host bundle
    const eif = new s3assets.Asset(this, 'EnclaveImage', { path: path.join(cfg.artifacts, 'nitro-wallet.eif') });
    const hostBundle = new s3assets.Asset(this, 'HostBundle', { path: path.join(cfg.artifacts, 'host-bundle.tar.gz') });
    // Exactly the two objects (not the whole asset bucket).
    instanceRole.addToPolicy(new iam.PolicyStatement({
      actions: ['s3:GetObject'],
      resources: [eif, hostBundle].map((a) => `arn:${this.partition}:s3:::${a.s3BucketName}/${a.s3ObjectKey}`),
    }));

    // ---- parent instances: AL2023, Nitro Enclaves on, IMDSv2 only, user data runs setup.sh
    const envLines = [
      `NW_STACK=${id}`,
      `NW_REGION=${this.region}`,
      `NW_DEV=${cfg.debug ? 1 : 0}`,
      `NW_PCR0=${cfg.pcr0}`,
      `NW_KMS_KEY_ARN=${keyArn}`,
      `NW_RDS_SECRET_ARN=${dbSecret.secretArn}`,
      `NW_RDS_HOST=${db.dbInstanceEndpointAddress}`,
      `NW_RDS_PORT=${db.dbInstanceEndpointPort}`,
      `NW_SECRET_PREFIX=${id}/`,
      `NW_ENCLAVE_CPUS=${cfg.enclaveCpus}`,
      `NW_ENCLAVE_CID=${ENCLAVE_CID}`,
    ];
    const userData = ec2.UserData.forLinux();
    userData.addCommands(
      'set -euo pipefail',
      `install -d -m 0755 ${HOST_ROOT} /etc/nitro-wallet`,
      `cat > /etc/nitro-wallet/deploy.env <<'NW_EOF'\n${envLines.join('\n')}\nNW_EOF`,
      `aws s3 cp --only-show-errors s3://${hostBundle.s3BucketName}/${hostBundle.s3ObjectKey} /tmp/host-bundle.tar.gz`,
      `tar -C ${HOST_ROOT} -xzf /tmp/host-bundle.tar.gz && rm -f /tmp/host-bundle.tar.gz`,
      `install -d -m 0755 ${HOST_ROOT}/enclave`,
      `aws s3 cp --only-show-errors s3://${eif.s3BucketName}/${eif.s3ObjectKey} ${HOST_ROOT}/enclave/nitro-wallet.eif`,
      `${HOST_ROOT}/share/setup.sh /etc/nitro-wallet/deploy.env`,
    );
    const launchTemplate = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      instanceType: new ec2.InstanceType(cfg.instanceType),
      machineImage: ec2.MachineImage.latestAmazonLinux2023(),
      nitroEnclaveEnabled: true,
      requireImdsv2: true,
      // nw-host runs on the instance itself (no container), so one hop reaches it.
      httpPutResponseHopLimit: 1,
      role: instanceRole,
      securityGroup: instanceSg,
      userData,
      blockDevices: [{
        deviceName: '/dev/xvda',
        volume: ec2.BlockDeviceVolume.ebs(32, { encrypted: true, volumeType: ec2.EbsDeviceVolumeType.GP3, deleteOnTermination: true }),
      }],
    });
    const asg = new autoscaling.AutoScalingGroup(this, 'ASG', {
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      launchTemplate,
      minCapacity: 2,
      maxCapacity: 2,
      healthChecks: autoscaling.HealthChecks.withAdditionalChecks({
        additionalTypes: [autoscaling.AdditionalHealthCheckType.ELB],
        gracePeriod: Duration.minutes(10),
      }),
      updatePolicy: autoscaling.UpdatePolicy.rollingUpdate(),
    });

    // ---- internal NLB on 443, HTTPS health check GET /readyz (enclave answers and is configured)
    const nlb = new elbv2.NetworkLoadBalancer(this, 'NLB', {
      vpc,
      internetFacing: false,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [nlbSg],
      crossZoneEnabled: true,
    });
    const listener = nlb.addListener('HTTPS', { port: 443, protocol: elbv2.Protocol.TCP });
    listener.addTargets('Instances', {
      port: 443,
      protocol: elbv2.Protocol.TCP,
      targets: [asg],
      healthCheck: {
        protocol: elbv2.Protocol.HTTPS,
        path: '/readyz',
        port: '443',
        interval: Duration.seconds(10),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 2,
      },
      deregistrationDelay: Duration.seconds(30),
    });

    // ---- nw-lambda: provided.al2023 custom runtime in the VPC, verifies nw-host with its CA
    const fn = new lambda.Function(this, 'Lambda', {
      runtime: lambda.Runtime.PROVIDED_AL2023,
      architecture: lambda.Architecture.X86_64,
      handler: 'bootstrap',
      code: lambda.Code.fromAsset(path.join(cfg.artifacts, 'lambda.zip')),
      role: lambdaRole,
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [lambdaSg],
      timeout: Duration.minutes(2),
      memorySize: 256,
      environment: {
        LOG_LEVEL: cfg.debug ? 'DEBUG' : 'INFO',
        NITRO_INSTANCE_PRIVATE_DNS: nlb.loadBalancerDnsName,
        SECRET_ARN: walletSecret.secretArn,
        KEY_ARN: keyArn,
        NITRO_CA_CERT_PATH: LAMBDA_CA_PATH,
      },
    });
    fn.node.addDependency(key);

    // ---- outputs: the seed's, plus the Lambda role and the NLB name
    new CfnOutput(this, 'EC2InstanceRoleARN', { value: instanceRole.roleArn, description: 'EC2 Instance Role ARN' });
    new CfnOutput(this, 'ASGGroupName', { value: asg.autoScalingGroupName, description: 'ASG Group Name' });
    new CfnOutput(this, 'KMSKeyID', { value: key.ref, description: 'KMS Key ID' });
    new CfnOutput(this, 'RDSEndpoint', { value: db.dbInstanceEndpointAddress, description: 'RDS endpoint' });
    new CfnOutput(this, 'RDSPort', { value: db.dbInstanceEndpointPort, description: 'RDS port' });
    new CfnOutput(this, 'LambdaExecutionRoleARN', { value: lambdaRole.roleArn, description: 'Lambda Execution Role ARN' });
    new CfnOutput(this, 'NLBName', { value: nlb.loadBalancerName, description: 'NLB name' });
    new CfnOutput(this, 'NLBDNSName', { value: nlb.loadBalancerDnsName, description: 'NLB DNS name (NITRO_INSTANCE_PRIVATE_DNS)' });
    new CfnOutput(this, 'WalletSecretARN', { value: walletSecret.secretArn, description: 'Wallet secret (set_key)' });
    new CfnOutput(this, 'LambdaFunctionName', { value: fn.functionName, description: 'nw-lambda function name' });
    new CfnOutput(this, 'PCR0', { value: cfg.pcr0, description: 'Enclave image PCR0 in the key policy' });

    this.suppressNag(cfg, { instanceRole, lambdaRole, fn, asg, db, dbSecret, nlb, instanceSg, launchTemplate, walletSecret });
  }

  /** cdk-nag AwsSolutions findings accepted on purpose, each with its reason. */
  private suppressNag(cfg: DeployConfig, r: {
    instanceRole: iam.Role; lambdaRole: iam.Role; fn: lambda.Function; asg: autoscaling.AutoScalingGroup;
    db: rds.DatabaseInstance; dbSecret: sm.ISecret; nlb: elbv2.NetworkLoadBalancer; instanceSg: ec2.SecurityGroup;
    launchTemplate: ec2.LaunchTemplate; walletSecret: sm.Secret;
  }): void {
    const ack = (c: Construct, id: string, reason: string) => Validations.of(c).acknowledge({ id, reason });
    const prefix = `arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${this.stackName}/*`;
    ack(r.asg, 'AwsSolutions-AS3',
      'Scaling events are in CloudTrail and the ASG activity history; no notification target is part of ' +
      'this stack (operators subscribe their own SNS topic)');
    ack(r.db, 'AwsSolutions-RDS11',
      'A non-default port is obscurity, not a control: only the instances\' security group reaches 5432 and ' +
      'TLS (rds.force_ssl) with verify-full is required');
    ack(r.db.node.findChild('Secret'), 'AwsSolutions-SMG4',
      'Rotation needs a rotation Lambda and nw-host re-reading the secret after a change; nw-host reads it ' +
      'at every enclave (re)connect, rotation itself is not configured yet');
    ack(r.walletSecret, 'AwsSolutions-SMG4',
      'The secret holds a KMS ciphertext of the wallet key, not a credential: rotating it means a new wallet ' +
      '(set_key), an application decision');
    ack(r.instanceRole, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
      'Session Manager access to the parent instances instead of SSH or a bastion; AWS maintains the policy ' +
      'for the SSM agent');
    ack(r.instanceRole, 'AwsSolutions-IAM5[Resource::*]',
      'kms:GenerateRandom (a KMS relay op) has no resource type: IAM accepts only "*" for it');
    ack(r.instanceRole, `AwsSolutions-IAM5[Resource::${prefix}]`,
      'nw-host reads any wallet secret under the stack name prefix (the seed flow: POST / names its ' +
      'secret_id) and the RDS secret; nothing outside the prefix');
    ack(r.lambdaRole, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
      'ENI management for a Lambda in a VPC and its own CloudWatch logs; AWS maintains the policy');
    ack(r.nlb, 'AwsSolutions-ELB2',
      'NLB access logs exist only for TLS listeners; TLS is end to end to nw-host (TCP listener), which ' +
      'logs every request and exports metrics');
    if (cfg.debug) {
      ack(r.db, 'AwsSolutions-RDS3',
        'Dev deployment (-c debug=true): one AZ to halve its cost; production deployments are multi-AZ');
      ack(r.db, 'AwsSolutions-RDS10',
        'Dev deployment (-c debug=true): torn down with cdk destroy; production has deletion protection');
    }
  }
}
