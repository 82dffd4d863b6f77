// `node --import ./module-log.mjs`: appends every module specifier the process resolves to the
// file named by KUBE_HYGIENE_MODULE_LOG, through Node's public module customization hooks
// (module.register), so a test can tell which packages a command loaded.
import { appendFileSync } from 'node:fs';
import { register } from 'node:module';
import process from 'node:process';
import { isMainThread } from 'node:worker_threads';

let log;

/** Runs in the hooks thread: where to write. */
export function initialize(data) {
  log = data.log;
}

export async function resolve(specifier, context, next) {
  appendFileSync(log, `${specifier}\n`);
  return next(specifier, context);
}

// The hooks run in a thread of their own, which loads this file too: register once, from the main one.
if (isMainThread && process.env.KUBE_HYGIENE_MODULE_LOG)
  register(import.meta.url, { data: { log: process.env.KUBE_HYGIENE_MODULE_LOG } });
