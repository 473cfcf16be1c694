"""moto's server, one request at a time, for DynamoDB and DynamoDB Streams in tests.

moto's threaded server rolls a failed TransactWriteItems back by restoring a copy of the whole
table taken when that transaction started, which undoes other transactions that committed in the
meantime: concurrent transactions are not atomic there, unlike on DynamoDB. Serving DynamoDB one
request at a time restores DynamoDB's guarantee. SQS keeps the threaded server (long polls would
block a serial one); the tests point each service at its own server through the SDK's
per-service endpoints. Usage: python moto_serial.py HOST PORT
"""
import os
import sys

from werkzeug.serving import run_simple

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from moto.server import MotoRequestHandler

host, port = sys.argv[1], int(sys.argv[2])
os.environ.setdefault("MOTO_PORT", str(port))
app = DomainDispatcherApplication(create_backend_app)
run_simple(host, port, app, threaded=False, use_reloader=False, request_handler=MotoRequestHandler)
