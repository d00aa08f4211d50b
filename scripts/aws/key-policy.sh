#!/bin/sh
# Generates the KMS key policy from the CDK outputs file (`cdk deploy --outputs-file FILE`) and
# the enclave image's PCR0, in the shape the stack deploys: key administration for the named
# admin role(s) and CloudFormation's role (no cryptographic action), kms:Decrypt and
# kms:GenerateDataKey for the instance role ONLY under kms:RecipientAttestation:ImageSha384 =
# PCR0, kms:Encrypt for the Lambda role. No statement for the account root: IAM policies cannot
# add a decrypt. Prints the policy JSON; with --apply, also puts it (aws kms put-key-policy).
#
# Usage: scripts/aws/key-policy.sh OUTPUTS_FILE (--pcr0 HEX | --measurements FILE | --debug)
#            [--stack NAME] [--admin-role ARN]... [--region R] [--qualifier Q] [--apply]
#   --measurements  nitro-cli build-enclave output (scripts/aws/pcrs.sh reads it)
#   --debug         the all-zero PCR0 of a debug-mode enclave (dev only: warns loudly)
#   --stack         default ${CDK_PREFIX:-dev}NitroWalletEth
#   --region        default CDK_DEPLOY_REGION (names CloudFormation's role); --qualifier hnb659fds
set -eu
here=$(cd "$(dirname "$0")" && pwd)
outputs=""
pcr0=""
debug=0
stack=${CDK_PREFIX:-dev}NitroWalletEth
admins=""
region=${CDK_DEPLOY_REGION:-}
qualifier=hnb659fds
apply=0
zero=000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000

die() {
    echo "key-policy: $*" >&2
    exit 2
}

while [ $# -gt 0 ]; do
    case "$1" in
        --pcr0) pcr0=${2:?}; shift 2 ;;
        --measurements) pcr0=$("$here/pcrs.sh" --pcr0 "${2:?}") || exit 1; shift 2 ;;
        --debug) debug=1; shift ;;
        --stack) stack=${2:?}; shift 2 ;;
        --admin-role) admins="$admins ${2:?}"; shift 2 ;;
        --region) region=${2:?}; shift 2 ;;
        --qualifier) qualifier=${2:?}; shift 2 ;;
        --apply) apply=1; shift ;;
        -h | --help) sed -n '2,16p' "$0"; exit 0 ;;
        -*) die "unknown option $1" ;;
        *) [ -z "$outputs" ] || die "one outputs file"; outputs=$1; shift ;;
    esac
done
[ -n "$outputs" ] || die "usage: key-policy.sh OUTPUTS_FILE (--pcr0 HEX | --measurements FILE | --debug)"
[ -f "$outputs" ] || die "$outputs: no such file"

if [ "$debug" = 1 ]; then
    [ -z "$pcr0" ] || [ "$pcr0" = "$zero" ] || die "--debug and a PCR0 other than all zeros"
    pcr0=$zero
    cat >&2 <<'WARN'
key-policy: ############################################################################
key-policy: WARNING: DEBUG POLICY. PCR0 = all zeros is what KMS sees from an enclave
key-policy: started with --debug-mode, whose memory and console the parent instance can
key-policy: read. ANY debug-mode enclave on an instance with this role can decrypt the
key-policy: wallet keys. Use it for a dev deployment only, never for real funds.
key-policy: ############################################################################
WARN
else
    [ -n "$pcr0" ] || die "give --pcr0 HEX, --measurements FILE or --debug"
    pcr0=$(printf '%s' "$pcr0" | tr 'A-F' 'a-f')
    printf '%s' "$pcr0" | grep -Eq '^[0-9a-f]{96}$' || die "PCR0 must be 96 hex digits (SHA-384)"
    [ "$pcr0" != "$zero" ] || die "the all-zero PCR0 is the debug value: say --debug"
fi

get() {
    v=$(jq -r --arg s "$stack" --arg k "$1" '.[$s][$k] // empty' "$outputs" 2>/dev/null) || die "$outputs is not JSON"
    [ -n "$v" ] || die "$outputs has no $stack.$1 (is --stack right? stacks in it: $(jq -r 'keys | join(", ")' "$outputs"))"
    printf '%s' "$v"
}
instance_role=$(get EC2InstanceRoleARN)
lambda_role=$(get LambdaExecutionRoleARN)
key_id=$(get KMSKeyID)
account=$(printf '%s' "$instance_role" | cut -d: -f5)
partition=$(printf '%s' "$instance_role" | cut -d: -f2)
printf '%s' "$account" | grep -Eq '^[0-9]{12}$' || die "EC2InstanceRoleARN is not a role ARN: $instance_role"
[ -n "$region" ] || die "give --region or CDK_DEPLOY_REGION (names CloudFormation's execution role)"
for a in $admins; do
    printf '%s' "$a" | grep -Eq '^arn:aws[a-z-]*:iam::[0-9]{12}:role/' || die "--admin-role $a is not a role ARN"
done
cfn_role="arn:$partition:iam::$account:role/cdk-$qualifier-cfn-exec-role-$account-$region"

# shellcheck disable=SC2086 # admins is a space-separated list of ARNs
policy=$(jq -n --arg pcr0 "$pcr0" --arg inst "$instance_role" --arg lam "$lambda_role" \
    --arg cfn "$cfn_role" --args '
  {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "KeyAdministration",
        Effect: "Allow",
        Principal: {AWS: ([$cfn] + $ARGS.positional | unique)},
        Action: ["kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*",
                 "kms:Update*", "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*",
                 "kms:TagResource", "kms:UntagResource", "kms:ScheduleKeyDeletion",
                 "kms:CancelKeyDeletion"],
        Resource: "*"
      },
      {
        Sid: "EnclaveDecryptOnlyWithAttestation",
        Effect: "Allow",
        Principal: {AWS: $inst},
        Action: ["kms:Decrypt", "kms:GenerateDataKey"],
        Resource: "*",
        Condition: {StringEqualsIgnoreCase: {"kms:RecipientAttestation:ImageSha384": $pcr0}}
      },
      {
        Sid: "LambdaEncrypt",
        Effect: "Allow",
        Principal: {AWS: $lam},
        Action: "kms:Encrypt",
        Resource: "*"
      }
    ]
  }' $admins)
printf '%s\n' "$policy"
if [ "$apply" = 1 ]; then
    f=$(mktemp)
    printf '%s\n' "$policy" >"$f"
    echo "key-policy: applying to key $key_id (you must be one of the KeyAdministration principals)" >&2
    aws kms put-key-policy --key-id "$key_id" --policy-name default --policy "file://$f"
    rm -f "$f"
else
    echo "key-policy: to apply: scripts/aws/key-policy.sh ... --apply   (key $key_id); prefer redeploying with cdk deploy -c pcr0=... so the stack keeps the policy" >&2
fi
