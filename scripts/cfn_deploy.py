#!/usr/bin/env python3
"""Deploys infra/template.yaml through CloudFormation on the AWS emulator (moto), the way the
runbook deploys it on AWS: code packages in S3, the two secrets in Secrets Manager, then the stack.

Usage: cfn_deploy.py ENDPOINT PREFIX LAMBDA_DIR
Prints the stack status and exits non-zero unless it is CREATE_COMPLETE.
"""
import io
import os
import sys
import zipfile

import boto3

endpoint, prefix, lambda_dir = sys.argv[1], sys.argv[2], sys.argv[3]
kw = dict(endpoint_url=endpoint, region_name="us-east-1",
          aws_access_key_id="testing", aws_secret_access_key="testing")
s3 = boto3.client("s3", **kw)
sm = boto3.client("secretsmanager", **kw)
cfn = boto3.client("cloudformation", **kw)

bucket = f"{prefix}code"
s3.create_bucket(Bucket=bucket)
for f in ("dispatch-stream-lambda", "dispatch-worker-lambda", "dispatch-web-lambda"):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(os.path.join(lambda_dir, f, "bootstrap"), "bootstrap")
    s3.put_object(Bucket=bucket, Key=f"releases/test/{f}.zip", Body=buf.getvalue())

link = sm.create_secret(Name=f"{prefix}link-keys",
                        SecretString="k1:" + "A" * 44)["ARN"]
google = sm.create_secret(Name=f"{prefix}google-key",
                          SecretString='{"type":"service_account"}')["ARN"]

params = {
    "Prefix": prefix, "OpsEmails": "ops@example.com", "AlarmEmail": "oncall@example.com",
    "PublicUrl": "https://crew.example.com", "LinkKeysSecretArn": link,
    "GoogleKeySecretArn": google, "CodeBucket": bucket, "CodePrefix": "releases/test/",
}
with open(os.path.join(os.path.dirname(__file__), "..", "infra", "template.yaml")) as t:
    body = t.read()
stack = f"{prefix}crew-dispatch"
# A change set, as `aws cloudformation deploy` does (moto's plain create_stack also validates
# outputs against resource types it does not model, such as AWS::Lambda::Url).
cfn.create_change_set(StackName=stack, ChangeSetName="deploy", ChangeSetType="CREATE",
                      TemplateBody=body, Capabilities=["CAPABILITY_IAM"],
                      Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()])
cfn.get_waiter("change_set_create_complete").wait(StackName=stack, ChangeSetName="deploy",
                                                  WaiterConfig={"Delay": 1, "MaxAttempts": 120})
cfn.execute_change_set(StackName=stack, ChangeSetName="deploy")
cfn.get_waiter("stack_create_complete").wait(StackName=stack, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
status = cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"]
resources = cfn.list_stack_resources(StackName=stack)["StackResourceSummaries"]
print(f"stack {stack}: {status}, {len(resources)} resources")
sys.exit(0 if status == "CREATE_COMPLETE" else 1)
