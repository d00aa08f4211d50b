#!/usr/bin/env node
// CDK entry point: one stack, `${CDK_PREFIX}NitroWalletEth` (the seed's name), in
// CDK_DEPLOY_ACCOUNT/CDK_DEPLOY_REGION, checked by cdk-nag's AwsSolutions pack.
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import * as path from 'path';
import { ConfigError, readConfig } from '../lib/config';
import { NitroWalletStack } from '../lib/nitro-wallet-stack';

const app = new App();
try {
  const config = readConfig((k) => app.node.tryGetContext(k), process.env, path.join(__dirname, '..', '..'));
  new NitroWalletStack(app, `${config.prefix}NitroWalletEth`, {
    config,
    env: { account: process.env.CDK_DEPLOY_ACCOUNT, region: process.env.CDK_DEPLOY_REGION },
  });
} catch (e) {
  if (e instanceof ConfigError) {
    process.stderr.write(`nitro-wallet infra: ${e.message}\n`);
    process.exit(2);
  }
  throw e;
}
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
app.synth();
