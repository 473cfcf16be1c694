"""moto's server with IAM enforced as AWS enforces it, for the deployment test (tests/deploy).

Usage: python moto_iam.py HOST PORT AUDIT_FILE

moto checks IAM only after INITIAL_NO_AUTH_ACTION_COUNT requests (its IAM access-control docs);
here that count is 3: the script spends them creating the deployer (an IAM user allowed
everything, as the engineer who runs CloudFormation is) and prints its key as one JSON line on
stdout, with the keys of the identities the test uses when it plays the Lambda service and
EventBridge Scheduler (AssumeRole by those is allowed only by a trust policy naming that service).
Every later request, the deployer's included, is signed and checked against the caller's
policies: an IAM user's, or an assumed role's (credentials from sts:AssumeRole).

moto alone checks only the action for most services, against the resource "*", so a grant on a
table ARN would never match and a grant on "*" would always pass. This script gives moto the
resources AWS authorizes against, per request:

- DynamoDB: the table ARN (`/index/NAME` for a Query or Scan of an index); BatchGetItem and
  BatchWriteItem are checked on every table they touch; TransactWriteItems and TransactGetItems
  have no IAM action of their own: each item is checked as the PutItem, UpdateItem, DeleteItem,
  ConditionCheckItem or GetItem it is, on its table (the AWS DynamoDB developer guide, "IAM
  policy for transactions").
- DynamoDB Streams: the stream ARN (GetRecords: the stream of its iterator); ListStreams "*".
- Secrets Manager: the secret's full ARN. CloudWatch Logs: `log-group:G:log-stream:S`.
- SQS: the queue ARN (moto does this itself, except for GetQueueUrl by name); the batch calls
  are checked as SendMessage, DeleteMessage and ChangeMessageVisibility, as on AWS.

Every decision is appended to AUDIT_FILE as a JSON line (principal, action, resource,
allowed): the deployment test reads it to show which grant each story used. It also stops
moto from running Lambda functions itself (it would on every stream record and queue message
of an event source mapping): the test plays Lambda's pollers, with the function's role.
"""
import json
import sys
import threading
import time

import boto3
from werkzeug.serving import run_simple

from moto import settings
from moto.awslambda import models as lambda_models
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.exceptions import AccessDeniedError, JsonRESTError
from moto.iam import access_control as ac
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from moto.secretsmanager.models import secretsmanager_backends
from moto.server import MotoRequestHandler
from moto.sqs.models import sqs_backends

host, port, audit_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
BOOTSTRAP_REQUESTS = 3
settings.INITIAL_NO_AUTH_ACTION_COUNT = BOOTSTRAP_REQUESTS
audit_lock = threading.Lock()

SQS_BATCH = {"SendMessageBatch": "SendMessage", "DeleteMessageBatch": "DeleteMessage",
             "ChangeMessageVisibilityBatch": "ChangeMessageVisibility"}
TRANSACT_WRITE = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                  "ConditionCheck": "ConditionCheckItem"}


def table_arn(req, name):
    if name.startswith("arn:"):
        return name
    return f"arn:aws:dynamodb:{req._region}:{req.account_id}:table/{name}"


def body_json(req):
    try:
        raw = req._body
        if isinstance(raw, bytes):
            raw = raw.decode("utf-8")
        return json.loads(raw) if raw else {}
    except (ValueError, UnicodeDecodeError):
        return {}


def resolve(req, resource):
    """The (action, resource) pairs AWS authorizes for this request."""
    service, action = req._action.split(":", 1)
    body = body_json(req)
    if service == "dynamodb":
        if action in ("BatchGetItem", "BatchWriteItem"):
            return [(req._action, table_arn(req, t)) for t in body.get("RequestItems", {})]
        if action in ("TransactWriteItems", "TransactGetItems"):
            pairs = []
            for item in body.get("TransactItems", []):
                for kind, spec in item.items():
                    name = TRANSACT_WRITE.get(kind, "GetItem")
                    pair = (f"dynamodb:{name}", table_arn(req, spec.get("TableName", "")))
                    if pair not in pairs:
                        pairs.append(pair)
            return pairs
        if action in ("ListStreams", "ListTables", "DescribeLimits"):
            return [(req._action, "*")]  # no resource-level permissions on AWS
        if "StreamArn" in body:
            return [(req._action, body["StreamArn"])]
        if action == "GetRecords" and "ShardIterator" in body:
            return [(req._action, body["ShardIterator"].split("|", 1)[0])]
        if "TableName" in body:
            arn = table_arn(req, body["TableName"])
            if body.get("IndexName"):
                arn += f"/index/{body['IndexName']}"
            return [(req._action, arn)]
        return [(req._action, "*")]
    if service == "secretsmanager" and "SecretId" in body:
        secret = secretsmanager_backends[req.account_id][req._region].secrets.get(body["SecretId"])
        return [(req._action, secret.arn if secret else body["SecretId"])]
    if service == "logs" and "logGroupName" in body:
        arn = f"arn:aws:logs:{req._region}:{req.account_id}:log-group:{body['logGroupName']}"
        if "logStreamName" in body:
            arn += f":log-stream:{body['logStreamName']}"
        return [(req._action, arn)]
    if service == "sqs" and action in SQS_BATCH:
        # Batch calls are authorized as their single counterparts (the SQS developer guide).
        return [(f"sqs:{SQS_BATCH[action]}", resource)]
    if service == "sqs" and action == "GetQueueUrl":
        name = body.get("QueueName") or (req._data.get("QueueName") or [""])[0]
        queue = sqs_backends[req.account_id][req._region].queues.get(name)
        return [(req._action, queue.queue_arn if queue else "*")]
    return [(req._action, resource)]


def audit(req, action, resource, allowed):
    line = json.dumps({"principal": req._access_key.arn, "action": action,
                       "resource": resource, "allowed": allowed, "at": time.time()})
    with audit_lock, open(audit_path, "a") as f:
        f.write(line + "\n")


original_check = ac.IAMRequestBase.check_action_permitted


def check_action_permitted(self, resource):
    for action, res in resolve(self, resource):
        self._action = action
        try:
            original_check(self, res)
        except Exception:
            audit(self, action, res, False)
            raise
        audit(self, action, res, True)


ac.IAMRequestBase.check_action_permitted = check_action_permitted
JSON_SERVICES = ("dynamodb", "logs", "secretsmanager")


class JsonAccessDenied(JsonRESTError):
    code = 400


def raise_access_denied(self):
    """The JSON services answer AccessDeniedException in JSON, as on AWS (moto sends XML)."""
    message = f"User: {self._access_key.arn} is not authorized to perform: {self._action}"
    if self._service in JSON_SERVICES:
        raise JsonAccessDenied("AccessDeniedException", message)
    raise AccessDeniedError(user_arn=self._access_key.arn, action=self._action)


ac.IAMRequest._raise_access_denied = raise_access_denied
original_policy_init = ac.IAMPolicy.__init__


def policy_init(self, policy):
    """An inline role policy made by CloudFormation is kept as a parsed document, which moto's
    checker cannot read: give it the JSON text."""
    if isinstance(policy, dict) and "policy_document" not in policy:
        policy = json.dumps(policy)
    original_policy_init(self, policy)


ac.IAMPolicy.__init__ = policy_init
original_aws_request = ac.IAMRequestBase._create_aws_request


def create_aws_request(self):
    """moto signs a GET with an empty body as if its parsed parameters were the body (so every
    signed Lambda GET fails): a GET's payload is empty."""
    request = original_aws_request(self)
    if self._method in ("GET", "HEAD", "DELETE") and not self._body:
        request.data = b""
    return request


ac.IAMRequestBase._create_aws_request = create_aws_request

# The identities the test acts as when it plays an AWS service: AssumeRole by one of these is
# allowed only by a trust policy naming that service as Principal.Service, as on AWS.
SERVICE_USERS = {"aws-lambda-service": "lambda.amazonaws.com",
                 "aws-scheduler-service": "scheduler.amazonaws.com"}


def listed(value):
    return value if isinstance(value, list) else [value]


def check_role_trust(self, role_arn):
    """The role's trust policy: a service principal for the service identities above, else the
    caller's ARN, its account's root, or "*" as Principal.AWS (moto fails on service principals)."""
    role = self.backend.get_role_by_arn(role_arn)
    doc = json.loads(role.assume_role_policy_document)
    caller = self._access_key.arn
    service = SERVICE_USERS.get(caller.rsplit("/", 1)[-1]) if ":user/" in caller else None
    root = f"arn:aws:iam::{self.account_id}:root"
    for st in listed(doc.get("Statement", [])):
        if st.get("Effect") != "Allow" or "sts:AssumeRole" not in listed(st.get("Action", [])):
            continue
        principal = st.get("Principal", {})
        if principal == "*":
            return service is None
        if service is not None:
            if service in listed(principal.get("Service", [])):
                return True
        elif {caller, root, "*", self.account_id} & set(listed(principal.get("AWS", []))):
            return True
    return False


ac.IAMRequestBase._check_role_trust_relationship = check_role_trust

original_esm = lambda_models.LambdaBackend.create_event_source_mapping


def create_event_source_mapping(self, spec):
    """Keeps the mapping (the test reads it) but detaches it from moto's queues and tables."""
    esm = original_esm(self, spec)
    for queue in sqs_backends[self.account_id][self.region_name].queues.values():
        queue.lambda_event_source_mappings.clear()
    from moto.dynamodb.models import dynamodb_backends
    for table in dynamodb_backends[self.account_id][self.region_name].tables.values():
        table.lambda_event_source_mappings.clear()
    return esm


lambda_models.LambdaBackend.create_event_source_mapping = create_event_source_mapping


def bootstrap():
    """Spends the unauthenticated requests on the deployer and prints its key."""
    url = f"http://{host}:{port}"
    for _ in range(300):
        try:
            import socket
            socket.create_connection((host, port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    iam = boto3.client("iam", endpoint_url=url, region_name="us-east-1",
                       aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap")
    iam.create_user(UserName="deployer")
    iam.put_user_policy(UserName="deployer", PolicyName="deploy-everything", PolicyDocument=json.dumps(
        {"Version": "2012-10-17",
         "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="deployer")["AccessKey"]
    out = {"account": DEFAULT_ACCOUNT_ID,
           "deployer": {"access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"]}}
    # From here on every request is checked: the deployer makes the service identities.
    iam = boto3.client("iam", endpoint_url=url, region_name="us-east-1",
                       aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
    for user in SERVICE_USERS:
        iam.create_user(UserName=user)
        iam.put_user_policy(UserName=user, PolicyName="assume-roles", PolicyDocument=json.dumps(
            {"Version": "2012-10-17",
             "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}))
        k = iam.create_access_key(UserName=user)["AccessKey"]
        out[user] = {"access_key_id": k["AccessKeyId"], "secret_access_key": k["SecretAccessKey"]}
    print(json.dumps(out), flush=True)


threading.Thread(target=bootstrap, daemon=True).start()
# One request at a time, as scripts/moto_serial.py explains (transactions atomic as on DynamoDB).
app = DomainDispatcherApplication(create_backend_app)
run_simple(host, port, app, threaded=False, use_reloader=False, request_handler=MotoRequestHandler)
