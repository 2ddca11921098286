/**
 * One measurement's load, in a process of its own (bench/run.ts starts one per measurement):
 * autocannon against one target, every response checked. A client inside the benchmark's own
 * process shares its heap (the seeded datasets' keys, the answers kept, earlier rows' garbage) and
 * slowed as the run went on, so the fastest targets (bare node:http, the authorizer) measured the
 * client more than the server. Reads its job on stdin (an expected answer can pass the size of one
 * command-line argument) and prints autocannon's figures as one JSON line.
 */
import { text } from 'node:stream/consumers';
import autocannon from 'autocannon';
import { sameAnswer } from './answers.js';

export interface LoadJob {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  expected?: string;
  connections: number;
  seconds: number;
}

export interface LoadFigures {
  requests: number;
  seconds: number;
  p99: number;
  /** Errors, timeouts, non-2xx answers and answers other than the expected one. */
  failed: number;
}

const job = JSON.parse(await text(process.stdin)) as LoadJob;
const result = await autocannon({
  url: job.url,
  method: job.method,
  headers: job.headers,
  ...(job.body === undefined ? {} : { body: job.body }),
  connections: job.connections,
  duration: job.seconds,
  // Every response must be the complete, correct answer: a cheap error must not pass for speed.
  ...(job.expected === undefined ? {} : { verifyBody: sameAnswer(job.expected) }),
});
const figures: LoadFigures = {
  requests: result.requests.total,
  seconds: result.duration || job.seconds,
  p99: result.latency.p99,
  failed: result.errors + result.timeouts + result.non2xx + (result.mismatches ?? 0),
};
process.stdout.write(`${JSON.stringify(figures)}\n`);
