#!/usr/bin/env node
/**
 * The `paystream` command line's entry point; the commands are in program.ts.
 * Run through `npm start` / `npm run paystream -- <command>`, which make sure Node.js 24 is used.
 */
import { runCli } from './program.ts';

process.exitCode = await runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  env: process.env,
});
