#!/usr/bin/env node
// @ts-nocheck
// Entry point of the `eff` command: runs the program and ends with its exit code.
import { processIo } from './io.js';
import { runCli } from './program.js';

process.exitCode = await runCli(process.argv.slice(2), processIo());
