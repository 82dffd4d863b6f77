#!/usr/bin/env node
// The CLI's process edge: the one place that reads argv and sets the exit code.
import { run } from './commands.js';

process.exitCode = await run(process.argv.slice(2));
