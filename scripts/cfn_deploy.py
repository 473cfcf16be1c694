#!/usr/bin/env python3
"""Deploys infra/template.yaml through CloudFormation on the AWS emulator (moto), the way the
runbook deploys it on AWS: code packages in S3, the two secrets in Secrets Manager, then the stack.

Usage: cfn_deploy.py ENDPOINT PREFIX LAMBDA_DIR
Prints the stack status and exits non-zero unless it is CREATE_COMPLETE.

The caller's credentials come from the usual AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (default
`testing`, for a moto without IAM). For the deployment test (tests/deploy), which runs it as the
deployer of an IAM-enforcing moto:
- DISPATCH_DEPLOY_GOOGLE_KEY: a file holding the service-account key JSON stored in the secret;
- DISPATCH_DEPLOY_PARAMS: a JSON object of extra stack parameters;
- DISPATCH_DEPLOY_JSON: a file to write what was deployed to: each function's configuration as
  Lambda reports it (role, environment, reserved concurrency), the event source mappings, and
  every resource's physical id by logical id.
"""
import io
import json
import os
import sys
import zipfile

import boto3

endpoint, prefix, lambda_dir = sys.argv[1], sys.argv[2], sys.argv[3]
kw = dict(endpoint_url=endpoint, region_name="us-east-1",
          aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
          aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
          aws_session_token=os.environ.get("AWS_SESSION_TOKEN") or None)
s3 = boto3.client("s3", **kw)
sm = boto3.client("secretsmanager", **kw)
cfn = boto3.client("cloudformation", **kw)
lam = boto3.client("lambda", **kw)

FUNCTIONS = ("dispatch-stream-lambda", "dispatch-worker-lambda", "dispatch-web-lambda")
bucket = f"{prefix}code"
s3.create_bucket(Bucket=bucket)
for f in FUNCTIONS:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.write(os.path.join(lambda_dir, f, "bootstrap"), "bootstrap")
    s3.put_object(Bucket=bucket, Key=f"releases/test/{f}.zip", Body=buf.getvalue())

google_key = '{"type":"service_account"}'
if os.environ.get("DISPATCH_DEPLOY_GOOGLE_KEY"):
    with open(os.environ["DISPATCH_DEPLOY_GOOGLE_KEY"]) as f:
        google_key = f.read()
link = sm.create_secret(Name=f"{prefix}link-keys",
                        SecretString="k1:" + "A" * 44)["ARN"]
google = sm.create_secret(Name=f"{prefix}google-key", SecretString=google_key)["ARN"]

params = {
    "Prefix": prefix, "OpsEmails": "ops@example.com", "AlarmEmail": "oncall@example.com",
    "PublicUrl": "https://crew.example.com", "LinkKeysSecretArn": link,
    "GoogleKeySecretArn": google, "CodeBucket": bucket, "CodePrefix": "releases/test/",
    "MailFrom": "office@jada.example",
}
params.update(json.loads(os.environ.get("DISPATCH_DEPLOY_PARAMS") or "{}"))
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

if os.environ.get("DISPATCH_DEPLOY_JSON"):
    physical = {r["LogicalResourceId"]: r.get("PhysicalResourceId", "") for r in resources}
    types = {r["LogicalResourceId"]: r["ResourceType"] for r in resources}
    functions = {}
    for logical, kind in types.items():
        if kind != "AWS::Lambda::Function":
            continue
        got = lam.get_function(FunctionName=physical[logical])
        conf = got["Configuration"]
        functions[logical] = {
            "name": conf["FunctionName"], "arn": conf["FunctionArn"], "role": conf["Role"],
            "env": conf.get("Environment", {}).get("Variables", {}),
            "timeout": conf.get("Timeout"), "memory": conf.get("MemorySize"),
            "reserved_concurrency": got.get("Concurrency", {}).get("ReservedConcurrentExecutions"),
            "log_group": conf.get("LoggingConfig", {}).get("LogGroup"),
        }
    mappings = [{"function": m["FunctionArn"], "source": m["EventSourceArn"],
                 "batch_size": m.get("BatchSize", 10)}
                for m in lam.list_event_source_mappings()["EventSourceMappings"]]
    with open(os.environ["DISPATCH_DEPLOY_JSON"], "w") as f:
        json.dump({"stack": stack, "status": status, "physical": physical, "types": types,
                   "functions": functions, "mappings": mappings,
                   "secrets": {"link_keys": link, "google_key": google}}, f, indent=1)
sys.exit(0 if status == "CREATE_COMPLETE" else 1)
