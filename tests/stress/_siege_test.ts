import assert from "node:assert/strict";
import { parseSiegeOutput } from "./_siege.ts";

const REPORT = `{	"transactions":			       20336,
	"availability":			       99.96,
	"elapsed_time":			        1.52,
	"data_transferred":		        0.06,
	"response_time":		        0.00,
	"transaction_rate":		    13378.95,
	"throughput":			        0.04,
	"concurrency":			       19.51,
	"successful_transactions":	       20336,
	"failed_transactions":		           9,
	"longest_transaction":		        0.10,
	"shortest_transaction":		        0.00
}
`;

Deno.test("parseSiegeOutput() reads the JSON report and the error lines", () => {
  const stderr =
    "** SIEGE 4.0.7\n[error] socket: unable to connect sock.c:282: Connection refused\n" +
    "[alert] socket: read error Connection reset by peer sock.c:635\nLifting the server siege...\n";
  const r = parseSiegeOutput(`\n${REPORT}`, stderr);
  assert.equal(r.transactions, 20336);
  assert.equal(r.availability, 99.96);
  assert.equal(r.failedTransactions, 9);
  assert.equal(r.transactionRate, 13378.95);
  assert.equal(r.longestTransaction, 0.1);
  assert.equal(r.errors.length, 2);
});

Deno.test("parseSiegeOutput() throws without a report or with a field missing", () => {
  assert.throws(() => parseSiegeOutput("siege: command failed", ""), /No JSON report/);
  assert.throws(
    () => parseSiegeOutput(REPORT.replace(/"availability".*\n/, ""), ""),
    /No "availability"/,
  );
});
