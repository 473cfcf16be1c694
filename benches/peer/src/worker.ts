// The peer of our queue worker in `cargo bench --bench worker`: Node's sqs-consumer with
// Powertools idempotency on DynamoDB, doing per job what ours does: claim the job's key, read one
// item, complete the key, delete the message. Defaults everywhere (sqs-consumer's batchSize 1),
// as a team would first deploy it. Configured only by environment variables set by the bench.
import { Consumer } from "sqs-consumer";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { IdempotencyConfig, makeIdempotent } from "@aws-lambda-powertools/idempotency";
import { DynamoDBPersistenceLayer } from "@aws-lambda-powertools/idempotency/dynamodb";

function env(name: string): string {
  const v = process.env[name];
  if (!v) {
    console.error(`peer: ${name} is not set`);
    process.exit(2);
  }
  return v;
}

const endpoint = env("BENCH_ENDPOINT");
const region = "us-east-1";
const queueUrl = env("BENCH_QUEUE_URL");
const rosterTable = env("BENCH_ROSTER_TABLE");
const crewId = env("BENCH_CREW_ID");

const ddb = new DynamoDBClient({ endpoint, region });
const persistenceStore = new DynamoDBPersistenceLayer({
  tableName: env("BENCH_IDEMPOTENCY_TABLE"),
  awsSdkV3Client: ddb,
});
// The job's key is its idempotency key; its payload is hashed and checked, as ours does.
const config = new IdempotencyConfig({ eventKeyJmesPath: "key", payloadValidationJmesPath: "payload" });
// Outside Lambda there is no invocation deadline; give the in-progress record the same 30 s our
// claims' leases have (Powertools otherwise warns on every call and sets none).
config.registerLambdaContext({ getRemainingTimeInMillis: () => 30_000 } as Parameters<
  IdempotencyConfig["registerLambdaContext"]
>[0]);

interface Job {
  kind: string;
  key: string;
  payload: unknown;
}

const work = makeIdempotent(
  async (_job: Job) => {
    const out = await ddb.send(
      new GetItemCommand({ TableName: rosterTable, Key: { crew_id: { S: crewId } }, ConsistentRead: true }),
    );
    if (!out.Item) throw new Error("the bench's roster item is missing");
    return { read: 1 };
  },
  { persistenceStore, config },
);

let done = 0;
const consumer = Consumer.create({
  queueUrl,
  sqs: new SQSClient({ endpoint, region }),
  handleMessage: async (message) => {
    await work(JSON.parse(message.Body ?? "{}") as Job);
    return message;
  },
});
consumer.on("message_processed", () => {
  done += 1;
});
consumer.on("error", (err) => console.error(`peer: ${err.message}`));
consumer.on("processing_error", (err) => console.error(`peer: processing: ${err.message}`));
process.on("SIGTERM", () => {
  consumer.stop();
  console.error(`peer: stopped after ${done} messages`);
  process.exit(0);
});
consumer.start();
