// npm run soak: 10 minutes of mixed load against the built server (SOAK_SECONDS, SOAK_RATE,
// SOAK_CONNECTIONS to change), with its own registry and API stand-in, and a certificate
// rotation, a policy reload and an API server restart in the middle.
// Exits 1 when any request failed.
import { formatReport, runSoak } from './soak.js';

const seconds = Number(process.env.SOAK_SECONDS ?? 600);
const rate = Number(process.env.SOAK_RATE ?? 200);
const connections = Number(process.env.SOAK_CONNECTIONS ?? 8);
console.log(`soak: ${seconds} s at ${rate} req/s over ${connections} connections`);
const report = await runSoak({ seconds, rate, connections, windowSeconds: 60, log: console.log });
console.log(formatReport(report));
process.exitCode = report.failed === 0 ? 0 : 1;
