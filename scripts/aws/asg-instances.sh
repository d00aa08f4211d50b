#!/bin/sh
# Lists the in-service instance ids of the stack's auto-scaling group (one per line), from the
# CDK outputs file (ASGGroupName). Needs the aws CLI and credentials.
#
# Usage: scripts/aws/asg-instances.sh OUTPUTS_FILE [--stack NAME] [--region R]
set -eu
outputs=${1:?usage: asg-instances.sh OUTPUTS_FILE [--stack NAME] [--region R]}
shift
stack=${CDK_PREFIX:-dev}NitroWalletEth
region=${CDK_DEPLOY_REGION:-}
while [ $# -gt 0 ]; do
    case "$1" in
        --stack) stack=${2:?}; shift 2 ;;
        --region) region=${2:?}; shift 2 ;;
        *) echo "asg-instances: unknown option $1" >&2; exit 2 ;;
    esac
done
asg=$(jq -r --arg s "$stack" '.[$s].ASGGroupName // empty' "$outputs")
if [ -z "$asg" ]; then
    echo "asg-instances: no $stack.ASGGroupName in $outputs" >&2
    exit 2
fi
set -- autoscaling describe-auto-scaling-groups --auto-scaling-group-names "$asg" --output json
if [ -n "$region" ]; then
    set -- --region "$region" "$@"
fi
aws "$@" | jq -r '.AutoScalingGroups[].Instances[] | select(.LifecycleState == "InService") | .InstanceId'
